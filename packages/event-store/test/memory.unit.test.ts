// The in-memory back end against the contract every back end must show (the same conformance suite and
// follower property as PostgreSQL and PGlite), plus what only it promises.
import { afterAll, describe, expect, it } from "vitest";
import { EventStoreError, openMemoryEventStore, START } from "../src/index.js";
import { eventStoreConformance } from "./conformance.js";
import { followerProperty } from "./follower-property.js";
import { events, memoryFactory, newEvent } from "./support.js";

eventStoreConformance(() => memoryFactory());

describe("readAll follower property (in memory)", () => {
  const factory = memoryFactory();
  afterAll(async () => {
    await factory.cleanup();
  });

  it("a follower sees every committed event exactly once, in commit order, and no rolled-back one", async () => {
    await followerProperty(await factory.open(), 25);
  });
});

describe("in-memory event store", () => {
  it("stamps recorded_at from the clock it is given, one instant per append", async () => {
    let now = Date.parse("2026-01-05T09:00:00Z");
    const opened = openMemoryEventStore({ now: () => new Date(now) });
    await opened.store.append([{ streamId: "a", expectedVersion: "no_stream", events: events(2) }]);
    now += 90_000;
    await opened.store.append([{ streamId: "b", expectedVersion: "no_stream", events: events(1) }]);
    const { events: log } = await opened.store.readAll(START);
    expect(log.map((e) => e.recordedAt.toISOString())).toEqual([
      "2026-01-05T09:00:00.000Z",
      "2026-01-05T09:00:00.000Z",
      "2026-01-05T09:01:30.000Z",
    ]);
    await opened.close();
  });

  it("hands out events a reader cannot change for the readers after it", async () => {
    const opened = openMemoryEventStore();
    await opened.store.append([
      { streamId: "a", expectedVersion: "no_stream", events: [newEvent("Set", { nested: { n: 1 } })] },
    ]);
    const [first] = await opened.store.readStream("a");
    const data = first?.data as { nested: { n: number } };
    expect(data.nested.n).toBe(1);
    expect(() => {
      data.nested.n = 2;
    }).toThrow(TypeError);
    const [again] = await opened.store.readStream("a");
    expect(again?.data).toEqual({ nested: { n: 1 } });
    await opened.close();
  });

  it("stores what the writer gave as JSON, as the SQL back ends do (undefined fields dropped)", async () => {
    const opened = openMemoryEventStore();
    const data = { kept: 1, dropped: undefined, list: [1, undefined] };
    await opened.store.append([
      { streamId: "a", expectedVersion: "no_stream", events: [newEvent("X", data)] },
    ]);
    data.kept = 2;
    const [read] = await opened.store.readStream("a");
    expect(read?.data).toEqual({ kept: 1, list: [1, null] });
    expect(Object.keys(read?.data as object)).toEqual(["kept", "list"]);
    await opened.close();
  });

  it("refuses every call once closed, and tells the relay's horizon and notifications apart per store", async () => {
    const opened = openMemoryEventStore();
    const woken: number[] = [];
    await opened.appends.listen(() => woken.push(1));
    expect(await opened.horizon()).toEqual({ xmin: 1n });
    await opened.store.append([{ streamId: "a", expectedVersion: "no_stream", events: events(1) }]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(woken.length).toBe(1);
    expect(await opened.horizon()).toEqual({ xmin: 2n });
    expect(opened.writes).toMatchObject({ exclusive: true, inFlight: 0, committed: 1 });
    await opened.close();
    await expect(opened.store.readStream("a")).rejects.toBeInstanceOf(EventStoreError);
    await expect(
      opened.store.append([{ streamId: "a", expectedVersion: 1, events: events(1) }]),
    ).rejects.toBeInstanceOf(EventStoreError);
    await expect(opened.appends.listen(() => undefined)).rejects.toBeInstanceOf(EventStoreError);
  });
});
