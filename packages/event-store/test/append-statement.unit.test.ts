import { describe, expect, it } from "vitest";
import { appendStatement } from "../src/append-statement.js";
import { EventStoreError, WrongExpectedVersionError } from "../src/errors.js";

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const ev = (n: number) => ({ eventId: id(n), type: "T", data: { n } });

describe("appendStatement", () => {
  it("fails invalid and unserialisable appends alone, before SQL, and sends the others", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const statement = appendStatement([
      [{ streamId: "a", expectedVersion: "any", events: [{ eventId: id(1), type: "T", data: circular }] }],
      [
        {
          streamId: "b",
          expectedVersion: 2 ** 40,
          events: [ev(2), { ...ev(2), eventId: id(2).toUpperCase() }],
        },
      ],
      [{ streamId: "", expectedVersion: "any", events: [ev(3)] }],
      [],
      [
        { streamId: "c", expectedVersion: "stream_exists", events: [] },
        { streamId: "b", expectedVersion: "no_stream", events: [ev(4)] },
      ],
    ]);
    const payload = JSON.parse(statement.payload!);
    expect(payload).toMatchObject({
      s: ["b", "c"],
      i: [id(2), id(4)],
      a: [1, 2, 2],
      k: [1, 2, 1],
      x: [2 ** 31, -3, -2],
      n: [1, 1, 3],
      j: [1, 1, 2],
    });
    expect(payload.e).toEqual([
      { t: "T", d: { n: 2 }, m: {} },
      { t: "T", d: { n: 2 }, m: {} },
      { t: "T", d: { n: 4 }, m: {} },
    ]);

    const results = statement.results([
      { append_no: 1, written: null, versions: [7], mismatch: 0 },
      { append_no: 2, written: 1, versions: [1, 8], mismatch: null },
    ]);
    expect(results[0]).toBeInstanceOf(EventStoreError);
    expect((results[0] as Error).message).toMatch(/cannot be serialised/);
    // The error carries the caller's expected version, not the one clamped for int4.
    expect(results[1]).toBeInstanceOf(WrongExpectedVersionError);
    expect(results[1]).toMatchObject({ streamId: "b", expected: 2 ** 40, actual: 7 });
    expect((results[2] as Error).message).toMatch(/non-empty string/);
    expect(results[3]).toEqual({ streams: [], written: 0 });
    expect(results[4]).toEqual({
      streams: [
        { streamId: "c", version: 1 },
        { streamId: "b", version: 8 },
      ],
      written: 1,
    });
  });

  it("sends nothing when no append needs the database", () => {
    const statement = appendStatement([
      [],
      [{ streamId: "a", expectedVersion: "any", events: [{ ...ev(1), type: "" }] }],
    ]);
    expect(statement.payload).toBeUndefined();
    const results = statement.results([]);
    expect(results[0]).toEqual({ streams: [], written: 0 });
    expect(results[1]).toBeInstanceOf(EventStoreError);
  });

  it("reports an append the database gave no row for instead of inventing a result", () => {
    const statement = appendStatement([[{ streamId: "a", expectedVersion: "any", events: [ev(1)] }]]);
    expect(statement.results([])[0]).toMatchObject({ message: "append produced no result" });
  });
});
