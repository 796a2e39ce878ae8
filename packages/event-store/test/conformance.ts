import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppendResult,
  EventStoreError,
  type EventStoreHandle,
  type OpenedEventStore,
  type RecordedEvent,
  START,
  WrongExpectedVersionError,
} from "../src/index.js";
import { events, newEvent, type StoreFactory } from "./support.js";

/** The behaviour every back end must show. Each back end's test file calls this with its factory. */
export function eventStoreConformance(makeFactory: () => StoreFactory<EventStoreHandle>): void {
  const factory = makeFactory();
  let opened: EventStoreHandle;
  const stream = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

  describe(`event store conformance (${factory.name})`, () => {
    beforeAll(async () => {
      opened = await factory.open();
    });
    afterAll(async () => {
      await factory.cleanup();
    });

    it("appends to a new stream and reads it back with contiguous versions from 1", async () => {
      const id = stream("call");
      const written = events(3);
      const result = await opened.store.append([
        { streamId: id, expectedVersion: "no_stream", events: written },
      ]);
      expect(result).toEqual({ streams: [{ streamId: id, version: 3 }], written: 3 });
      const more = await opened.store.append([{ streamId: id, expectedVersion: 3, events: events(2) }]);
      expect(more.streams).toEqual([{ streamId: id, version: 5 }]);

      const read = await opened.store.readStream(id);
      expect(read.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5]);
      expect(read.slice(0, 3).map((e) => e.eventId)).toEqual(written.map((e) => e.eventId));
      expect(read[0]).toMatchObject({ streamId: id, type: "Something", data: { i: 0 } });
      expect(read[0]?.metadata).toEqual({ correlationId: "c-1" });
      expect(typeof read[0]?.position).toBe("bigint");
      expect(typeof read[0]?.transactionId).toBe("bigint");
      expect(read[0]?.recordedAt).toBeInstanceOf(Date);
      expect(await opened.store.streamVersion(id)).toBe(5);
      expect((await opened.store.readStream(id, { fromVersion: 4 })).map((e) => e.streamVersion)).toEqual([
        4, 5,
      ]);
      expect(await opened.store.streamVersion(stream("nothing"))).toBe(0);
      expect(await opened.store.readStream(stream("nothing"))).toEqual([]);
    });

    it("checks every kind of expected version", async () => {
      const id = stream("agent");
      const expectConflict = async (
        expectedVersion: number | "no_stream" | "stream_exists",
        actual: number,
      ) => {
        const error = await opened.store.append([{ streamId: id, expectedVersion, events: events(1) }]).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect(error).toMatchObject({
          name: "WrongExpectedVersionError",
          streamId: id,
          expected: expectedVersion,
          actual,
        });
      };
      await expectConflict("stream_exists", 0);
      await expectConflict(1, 0);
      await opened.store.append([{ streamId: id, expectedVersion: "no_stream", events: events(1) }]);
      await expectConflict("no_stream", 1);
      await expectConflict(0, 1);
      await expectConflict(2, 1);
      await opened.store.append([{ streamId: id, expectedVersion: "stream_exists", events: events(1) }]);
      await opened.store.append([{ streamId: id, expectedVersion: "any", events: events(1) }]);
      await opened.store.append([{ streamId: id, expectedVersion: 3, events: events(1) }]);
      expect((await opened.store.readStream(id)).map((e) => e.streamVersion)).toEqual([1, 2, 3, 4]);
      // "any" on a stream that does not exist yet starts it.
      const fresh = stream("fresh");
      await opened.store.append([{ streamId: fresh, expectedVersion: "any", events: events(2) }]);
      expect(await opened.store.streamVersion(fresh)).toBe(2);
    });

    it("writes nothing on any stream when one stream of a multi-stream append conflicts", async () => {
      const agent = stream("agent");
      const call = stream("call");
      await opened.store.append([{ streamId: agent, expectedVersion: "no_stream", events: events(1) }]);
      const error = await opened.store
        .append([
          { streamId: call, expectedVersion: "no_stream", events: events(2) },
          { streamId: agent, expectedVersion: 0, events: events(1) },
        ])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedVersionError);
      expect(await opened.store.readStream(call)).toEqual([]);
      expect(await opened.store.streamVersion(call)).toBe(0);
      expect(await opened.store.streamVersion(agent)).toBe(1);

      const ok = await opened.store.append([
        { streamId: call, expectedVersion: "no_stream", events: events(2) },
        { streamId: agent, expectedVersion: 1, events: events(1) },
      ]);
      expect(ok.streams).toEqual([
        { streamId: call, version: 2 },
        { streamId: agent, version: 2 },
      ]);
      const [callEvents, agentEvents] = [
        await opened.store.readStream(call),
        await opened.store.readStream(agent),
      ];
      // Atomic: one transaction wrote both.
      expect(callEvents[0]?.transactionId).toBe(agentEvents[1]?.transactionId);
    });

    it("treats a re-append of stored event ids as a no-op retry", async () => {
      const id = stream("call");
      const batch = events(2);
      await opened.store.append([{ streamId: id, expectedVersion: "no_stream", events: batch }]);
      await opened.store.append([{ streamId: id, expectedVersion: 2, events: events(1) }]);
      // The retry's expected version is stale, but every event is stored: success, nothing written.
      const retry = await opened.store.append([
        { streamId: id, expectedVersion: "no_stream", events: batch },
      ]);
      expect(retry).toEqual({ streams: [{ streamId: id, version: 3 }], written: 0 });
      // Partly stored: the stored one is skipped, the new one appended under the normal check.
      const extra = newEvent();
      const partial = await opened.store.append([
        { streamId: id, expectedVersion: 3, events: [batch[0]!, extra] },
      ]);
      expect(partial).toEqual({ streams: [{ streamId: id, version: 4 }], written: 1 });
      const read = await opened.store.readStream(id);
      expect(read.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4]);
      expect(new Set(read.map((e) => e.eventId)).size).toBe(4);
      expect(read[3]?.eventId).toBe(extra.eventId);
      // The same id twice in one append is written once.
      const twice = newEvent();
      const dup = await opened.store.append([{ streamId: id, expectedVersion: 4, events: [twice, twice] }]);
      expect(dup.written).toBe(1);
    });

    it("recognises concurrent retries of the same append as retries, not conflicts", async () => {
      const id = stream("call");
      const batch = events(3);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, () =>
          opened.store.append([{ streamId: id, expectedVersion: "no_stream", events: batch }]),
        ),
      );
      expect(outcomes.map((o) => o.written).sort()).toEqual([0, 0, 0, 0, 0, 0, 0, 3]);
      for (const o of outcomes) expect(o.streams).toEqual([{ streamId: id, version: 3 }]);
      // The same ids sent to another stream at the same time: stored once, the others are retries.
      const other = events(2);
      const split = await Promise.all(
        [stream("a"), stream("b"), stream("c")].map((s) =>
          opened.store.append([{ streamId: s, expectedVersion: "any", events: other }]),
        ),
      );
      expect(split.map((o) => o.written).sort()).toEqual([0, 0, 2]);
      expect((await opened.store.readStream(id)).map((e) => e.eventId)).toEqual(batch.map((e) => e.eventId));
    });

    it("appendMany gives each append its own result in one transaction", async () => {
      const a = stream("agent");
      const b = stream("agent");
      const c = stream("call");
      const first = events(1);
      await opened.store.append([{ streamId: c, expectedVersion: "no_stream", events: first }]);
      const results = await opened.store.appendMany([
        [{ streamId: a, expectedVersion: "no_stream", events: events(1) }],
        [{ streamId: a, expectedVersion: "no_stream", events: events(1) }], // loses to the one above
        [
          { streamId: b, expectedVersion: "no_stream", events: events(2) },
          { streamId: a, expectedVersion: 1, events: events(1) }, // sees the first append's effect
        ],
        [{ streamId: c, expectedVersion: "no_stream", events: first }], // retry of a stored append
        [{ streamId: c, expectedVersion: 5, events: events(1) }], // conflict
      ]);
      expect(results).toHaveLength(5);
      expect(results[0]).toEqual({ streams: [{ streamId: a, version: 1 }], written: 1 });
      expect(results[1]).toBeInstanceOf(WrongExpectedVersionError);
      expect(results[1]).toMatchObject({ streamId: a, expected: "no_stream", actual: 1 });
      expect(results[2]).toEqual({
        streams: [
          { streamId: b, version: 2 },
          { streamId: a, version: 2 },
        ],
        written: 3,
      });
      expect(results[3]).toEqual({ streams: [{ streamId: c, version: 1 }], written: 0 });
      expect(results[4]).toMatchObject({
        name: "WrongExpectedVersionError",
        streamId: c,
        expected: 5,
        actual: 1,
      });
      const aEvents = await opened.store.readStream(a);
      const bEvents = await opened.store.readStream(b);
      expect(aEvents.map((e) => e.streamVersion)).toEqual([1, 2]);
      expect(bEvents.map((e) => e.streamVersion)).toEqual([1, 2]);
      expect(new Set([...aEvents, ...bEvents].map((e) => e.transactionId)).size).toBe(1);
    });

    it("appendMany isolates an append that PostgreSQL rejects", async () => {
      const good = stream("good");
      const bad = stream("bad");
      const results = await opened.store.appendMany([
        [{ streamId: good, expectedVersion: "no_stream", events: events(1) }],
        // jsonb cannot hold \u0000: the batch statement fails, the savepoint path isolates it.
        [{ streamId: bad, expectedVersion: "no_stream", events: [newEvent("Bad", { text: "nul\u0000" })] }],
        [{ streamId: good, expectedVersion: 1, events: events(1) }],
        [
          {
            streamId: stream("invalid"),
            expectedVersion: "any",
            events: [{ eventId: "nope", type: "X", data: 1 }],
          },
        ],
      ]);
      expect(results[0]).toEqual({ streams: [{ streamId: good, version: 1 }], written: 1 });
      expect(results[1]).toBeInstanceOf(EventStoreError);
      expect(results[1]).not.toBeInstanceOf(WrongExpectedVersionError);
      expect(results[2]).toEqual({ streams: [{ streamId: good, version: 2 }], written: 1 });
      expect((results[3] as Error).message).toMatch(/not a uuid/);
      expect(await opened.store.streamVersion(good)).toBe(2);
      expect(await opened.store.streamVersion(bad)).toBe(0);
    });

    it("rolls back when the in-transaction hook throws", async () => {
      const id = stream("call");
      const boom = new Error("boom");
      await expect(
        opened.store.append([{ streamId: id, expectedVersion: "no_stream", events: events(2) }], {
          inTransaction: async () => {
            throw boom;
          },
        }),
      ).rejects.toBe(boom);
      await expect(
        opened.store.appendMany([[{ streamId: id, expectedVersion: "no_stream", events: events(1) }]], {
          inTransaction: async () => {
            throw boom;
          },
        }),
      ).rejects.toBe(boom);
      expect(await opened.store.readStream(id)).toEqual([]);
      expect(await opened.store.streamVersion(id)).toBe(0);
    });

    it("lets exactly one of 20 concurrent appenders with the same expected version win", async () => {
      const id = stream("agent");
      await opened.store.append([{ streamId: id, expectedVersion: "no_stream", events: events(1) }]);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, () =>
          opened.store.append([{ streamId: id, expectedVersion: 1, events: events(2) }]),
        ),
      );
      const won = outcomes.filter((o): o is PromiseFulfilledResult<AppendResult> => o.status === "fulfilled");
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
      expect(won).toHaveLength(1);
      expect(won[0]?.value.streams).toEqual([{ streamId: id, version: 3 }]);
      expect(lost).toHaveLength(19);
      for (const l of lost) {
        expect(l.reason).toBeInstanceOf(WrongExpectedVersionError);
        expect(l.reason).toMatchObject({ streamId: id, expected: 1, actual: 3 });
      }
      expect((await opened.store.readStream(id)).map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    });

    it("lets 20 concurrent creators of one new stream race with exactly one winner", async () => {
      const id = stream("call");
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, () =>
          opened.store.append([{ streamId: id, expectedVersion: "no_stream", events: events(1) }]),
        ),
      );
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
      const reasons = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason] : []));
      expect(reasons).toHaveLength(19);
      expect(reasons.every((r) => r instanceof WrongExpectedVersionError)).toBe(true);
      expect((await opened.store.readStream(id)).map((e) => e.streamVersion)).toEqual([1]);
    });

    it("reads the whole log in pages from a checkpoint", async () => {
      const head = await drain(opened, START);
      const id = stream("log");
      const written = events(7);
      await opened.store.append([
        { streamId: id, expectedVersion: "no_stream", events: written.slice(0, 4) },
      ]);
      await opened.store.append([{ streamId: id, expectedVersion: 4, events: written.slice(4) }]);
      const seen = await follow(
        opened,
        head.checkpoint,
        written.map((e) => e.eventId),
        3,
      );
      expect(seen.filter((e) => e.streamId === id).map((e) => e.eventId)).toEqual(
        written.map((e) => e.eventId),
      );
      expect(head.events.some((e) => e.streamId === id)).toBe(false);
    });

    it("orders the log numerically across a change in the number of digits of positions", async () => {
      const head = await drain(opened, START);
      const top = await topPosition(opened, head.events);
      // Enough events in one transaction to go from e.g. position 57 past 100 (text order would put
      // "100" before "99").
      const n = Number(10n ** BigInt(String(top + 1n).length) - top) + 3;
      const id = stream("digits");
      const batch = events(n);
      await opened.store.append([{ streamId: id, expectedVersion: "no_stream", events: batch }]);
      const page = {
        events: await follow(
          opened,
          head.checkpoint,
          batch.map((e) => e.eventId),
          n,
        ),
      };
      const ours = page.events.filter((e) => e.streamId === id);
      expect(ours.map((e) => e.streamVersion)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      const positions = page.events.map((e) => e.position);
      expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      expect(String(positions.at(-1)).length).toBeGreaterThan(String(positions[0]).length);
    });

    it("stores named checkpoints", async () => {
      const name = `relay-${randomUUID()}`;
      expect(await opened.checkpoints.load(name)).toEqual(START);
      await opened.checkpoints.save(name, { transactionId: 42n, position: 7n });
      expect(await opened.checkpoints.load(name)).toEqual({ transactionId: 42n, position: 7n });
      await opened.checkpoints.save(name, { transactionId: 2n ** 40n, position: 2n ** 50n });
      expect(await opened.checkpoints.load(name)).toEqual({ transactionId: 2n ** 40n, position: 2n ** 50n });
    });

    it("grants a leader lock to one holder at a time", async () => {
      const name = `relay-${randomUUID()}`;
      const first = await opened.leadership.tryAcquire(name);
      expect(first).not.toBeNull();
      expect(await first!.isHeld()).toBe(true);
      expect(await opened.leadership.tryAcquire(name)).toBeNull();
      const other = await opened.leadership.tryAcquire(`${name}-other`);
      expect(other).not.toBeNull();
      await first!.release();
      expect(await first!.isHeld()).toBe(false);
      const second = await opened.leadership.tryAcquire(name);
      expect(second).not.toBeNull();
      await second!.release();
      await other!.release();
    });
  });
}

/**
 * Reads pages from `from` until every id in `ids` has been seen.
 * An empty page is not the end: xmin is cluster-wide, so another session's open transaction can hold
 * newly committed events back for a while.
 */
async function follow(
  opened: EventStoreHandle,
  from: typeof START,
  ids: readonly string[],
  pageSize: number,
): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  const wanted = new Set(ids);
  let checkpoint = from;
  const deadline = Date.now() + 20_000;
  const done = () => [...wanted].every((id) => seen.some((e) => e.eventId === id));
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`events not readable after 20 s (saw ${seen.length})`);
    const page = await opened.store.readAll(checkpoint, { limit: pageSize });
    expect(page.events.length).toBeLessThanOrEqual(pageSize);
    if (page.events.length === 0) {
      expect(page.checkpoint).toEqual(checkpoint);
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    seen.push(...page.events);
    checkpoint = page.checkpoint;
    const last = page.events.at(-1)!;
    expect(checkpoint).toEqual({ transactionId: last.transactionId, position: last.position });
  }
  return seen;
}

/** The highest position stored (SQL back ends: from the table, which also counts events held back). */
async function topPosition(opened: EventStoreHandle, readable: readonly RecordedEvent[]): Promise<bigint> {
  if (!("db" in opened)) return readable.at(-1)?.position ?? 0n;
  const { rows } = await sql<{
    top: string;
  }>`select coalesce(max(position), 0)::text as top from events`.execute((opened as OpenedEventStore).db);
  return BigInt(rows[0]!.top);
}

async function drain(opened: EventStoreHandle, from: typeof START) {
  let checkpoint = from;
  const all: RecordedEvent[] = [];
  for (;;) {
    const page = await opened.store.readAll(checkpoint, { limit: 500 });
    if (page.events.length === 0) return { events: all, checkpoint };
    all.push(...page.events);
    checkpoint = page.checkpoint;
  }
}
