import { describe, expect, it } from "vitest";
import { planAppends } from "../src/append-plan.js";
import { describeTarget, redactUrl } from "../src/connection.js";
import {
  DatabaseUnreachableError,
  describeError,
  EventStoreError,
  WrongExpectedVersionError,
} from "../src/errors.js";
import { expectedVersionHolds } from "../src/index.js";
import { wrap } from "../src/sql-event-store.js";

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const ev = (n: number) => ({ eventId: id(n), type: "T", data: { n } });

describe("planAppends", () => {
  it("assigns contiguous versions and lets later appends see earlier ones", () => {
    const plan = planAppends(
      [
        [{ streamId: "a", expectedVersion: 2, events: [ev(1), ev(2)] }],
        [{ streamId: "a", expectedVersion: 4, events: [ev(3)] }],
        [{ streamId: "a", expectedVersion: 4, events: [ev(4)] }],
      ],
      new Map([["a", 2]]),
      new Set(),
    );
    expect(plan.results[0]).toEqual({ streams: [{ streamId: "a", version: 4 }], written: 2 });
    expect(plan.results[1]).toEqual({ streams: [{ streamId: "a", version: 5 }], written: 1 });
    expect(plan.results[2]).toBeInstanceOf(WrongExpectedVersionError);
    expect(plan.versions.get("a")).toBe(5);
    expect(plan.rows.map((r) => JSON.parse(r).v)).toEqual([3, 4, 5]);
  });

  it("treats an append whose events are all stored as a retry, and skips stored ids otherwise", () => {
    const plan = planAppends(
      [
        [{ streamId: "a", expectedVersion: "no_stream", events: [ev(1)] }],
        [{ streamId: "a", expectedVersion: 1, events: [ev(1), ev(2)] }],
      ],
      new Map([["a", 1]]),
      new Set([id(1)]),
    );
    expect(plan.results[0]).toEqual({ streams: [{ streamId: "a", version: 1 }], written: 0 });
    expect(plan.results[1]).toEqual({ streams: [{ streamId: "a", version: 2 }], written: 1 });
  });

  it("rejects invalid input per append without touching the others", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const plan = planAppends(
      [
        [{ streamId: "", expectedVersion: "any", events: [ev(1)] }],
        [{ streamId: "a", expectedVersion: -1, events: [ev(2)] }],
        [
          { streamId: "a", expectedVersion: "any", events: [ev(3)] },
          { streamId: "a", expectedVersion: "any", events: [ev(4)] },
        ],
        [{ streamId: "a", expectedVersion: "any", events: [{ eventId: id(5), type: "T", data: circular }] }],
        [{ streamId: "a", expectedVersion: "any", events: [{ eventId: id(6), type: "", data: 1 }] }],
        [{ streamId: "a", expectedVersion: "no_stream", events: [ev(7)] }],
      ],
      new Map(),
      new Set(),
    );
    expect(plan.results.slice(0, 5).every((r) => r instanceof EventStoreError)).toBe(true);
    expect(plan.results[5]).toEqual({ streams: [{ streamId: "a", version: 1 }], written: 1 });
    expect(plan.rows).toHaveLength(1);
  });

  it("checks every expected-version kind", () => {
    expect([0, 1].map((v) => expectedVersionHolds("no_stream", v))).toEqual([true, false]);
    expect([0, 1].map((v) => expectedVersionHolds("stream_exists", v))).toEqual([false, true]);
    expect([0, 1].map((v) => expectedVersionHolds("any", v))).toEqual([true, true]);
    expect([0, 1].map((v) => expectedVersionHolds(1, v))).toEqual([false, true]);
  });
});

describe("URLs in messages", () => {
  it("redacts the password and names host:port/database", () => {
    expect(redactUrl("postgres://app:s3cret@db.example:6543/calls")).toBe(
      "postgres://app:***@db.example:6543/calls",
    );
    expect(redactUrl("postgres://app@db/calls")).toBe("postgres://app@db/calls");
    expect(describeTarget("postgres://app:s3cret@db.example:6543/calls")).toBe("db.example:6543/calls");
    expect(describeTarget("postgres://db.example/calls")).toBe("db.example:5432/calls");
    expect(redactUrl("not a url user:pw@host")).not.toContain("pw@");
  });
});

describe("error classification", () => {
  it("maps connection failures to DatabaseUnreachableError and statement failures to EventStoreError", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    const dropped = new Error("Connection terminated unexpectedly");
    const timeout = Object.assign(new Error("canceling statement due to statement timeout"), {
      code: "57014",
    });
    const unreachable = wrap(refused, "append failed", "db:5432/calls");
    expect(unreachable).toBeInstanceOf(DatabaseUnreachableError);
    expect(unreachable.message).toBe(
      "cannot reach PostgreSQL at db:5432/calls: connect ECONNREFUSED 127.0.0.1:5432",
    );
    expect(unreachable.cause).toBe(refused);
    expect(wrap(dropped, "append failed", "db:5432/calls")).toBeInstanceOf(DatabaseUnreachableError);
    const failed = wrap(timeout, "append failed", "db:5432/calls");
    expect(failed).not.toBeInstanceOf(DatabaseUnreachableError);
    expect(failed).toBeInstanceOf(EventStoreError);
    expect(failed.message).toBe("append failed: canceling statement due to statement timeout");
    expect(failed.name).toBe("EventStoreError");
    const aggregate = Object.assign(new AggregateError([refused], ""), { code: "ECONNREFUSED" });
    expect(describeError(aggregate)).toBe("connect ECONNREFUSED 127.0.0.1:5432");
    expect(describeError(Object.assign(new Error("boom"), { code: "XX000" }))).toBe("XX000 boom");
  });
});
