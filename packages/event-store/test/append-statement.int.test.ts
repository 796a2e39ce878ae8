import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventStoreDatabase } from "../src/database.js";
import {
  type AppendResult,
  type EventStoreHandle,
  type ExpectedVersion,
  type OpenedEventStore,
  openMemoryEventStore,
  type RecordedEvent,
  type StreamAppend,
} from "../src/index.js";
import { SqlEventStore } from "../src/sql-event-store.js";
import { DATABASE_URL, events, pgFactory, pgliteFactory, type StoreFactory } from "./support.js";

describe("appendMany on PostgreSQL", () => {
  const factory = pgFactory();
  let opened: OpenedEventStore;
  let pool: pg.Pool;
  let db: Kysely<EventStoreDatabase>;
  const statements: string[] = [];

  beforeAll(async () => {
    opened = await factory.open();
    pool = new pg.Pool({
      connectionString: DATABASE_URL,
      max: 2,
      options: `-c search_path=${opened.schema}`,
    });
    // Every statement the store sends on its connections, transaction control included.
    db = new Kysely<EventStoreDatabase>({
      dialect: new PostgresDialect({ pool }),
      log: (event) => {
        if (event.level === "query") statements.push(event.query.sql);
      },
    });
  });
  afterAll(async () => {
    await db.destroy();
    await factory.cleanup();
  });

  it("sends one statement per batch, without a transaction around it", async () => {
    const store = new SqlEventStore(db, async () => undefined, "test");
    const agent = `agent-${randomUUID()}`;
    const call = () => `call-${randomUUID()}`;
    statements.length = 0;
    await store.appendMany([[{ streamId: call(), expectedVersion: "no_stream", events: events(1) }]]);
    expect(statements).toHaveLength(1);

    statements.length = 0;
    const results = await store.appendMany([
      [
        { streamId: call(), expectedVersion: "no_stream", events: events(1) },
        { streamId: agent, expectedVersion: "no_stream", events: events(1) },
      ],
      [{ streamId: agent, expectedVersion: 1, events: events(2) }],
      [{ streamId: agent, expectedVersion: 1, events: events(1) }],
    ]);
    expect(statements).toHaveLength(1);
    expect(results[1]).toEqual({ streams: [{ streamId: agent, version: 3 }], written: 2 });
    expect(results[2]).toMatchObject({ name: "WrongExpectedVersionError", expected: 1, actual: 3 });

    statements.length = 0;
    await store.append([{ streamId: agent, expectedVersion: 3, events: events(1) }]);
    expect(statements).toHaveLength(1);
  });
});

/**
 * The SQL back ends decide a batch in the database (event_store_append); the in-memory back end by
 * planAppends. Random batches over a few streams and reused event ids (retries, partly stored appends,
 * duplicates in one append, conflicts) must get the same results and leave the same streams.
 */
function sameDecisionsAsPlanAppends(makeFactory: () => StoreFactory, numRuns: number): void {
  const factory = makeFactory();
  let sqlStore: OpenedEventStore;
  const memory: EventStoreHandle[] = [];

  describe(`appendMany decided in the database (${factory.name})`, () => {
    beforeAll(async () => {
      sqlStore = await factory.open();
    });
    afterAll(async () => {
      await Promise.all(memory.map((m) => m.close()));
      await factory.cleanup();
    });

    it("gives the results and streams planAppends gives", async () => {
      const expected = fc.oneof(
        fc.constantFrom<ExpectedVersion>("any", "no_stream", "stream_exists"),
        fc.integer({ min: 0, max: 4 }),
      );
      const streamAppend = fc.record({
        stream: fc.integer({ min: 0, max: 2 }),
        expected,
        ids: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
      });
      const append = fc.uniqueArray(streamAppend, { minLength: 1, maxLength: 3, selector: (s) => s.stream });
      const batch = fc.array(append, { minLength: 1, maxLength: 5 });
      await fc.assert(
        fc.asyncProperty(fc.array(batch, { minLength: 1, maxLength: 3 }), async (batches) => {
          const run = randomUUID().slice(0, 8);
          const ids = Array.from({ length: 6 }, () => randomUUID());
          const reference = openMemoryEventStore();
          memory.push(reference);
          const streamId = (n: number) => `d-${run}-${n}`;
          for (const spec of batches) {
            const appends: StreamAppend[][] = spec.map((a) =>
              a.map((s) => ({
                streamId: streamId(s.stream),
                expectedVersion: s.expected,
                events: s.ids.map((i) => ({
                  eventId: ids[i]!,
                  type: `T${i}`,
                  data: { i },
                  metadata: { run },
                })),
              })),
            );
            const [got, want] = await Promise.all([
              sqlStore.store.appendMany(appends),
              reference.store.appendMany(appends),
            ]);
            expect(got.map(outcome)).toEqual(want.map(outcome));
          }
          for (const n of [0, 1, 2]) {
            const [got, want] = await Promise.all([
              sqlStore.store.readStream(streamId(n)),
              reference.store.readStream(streamId(n)),
            ]);
            expect(got.map(recorded)).toEqual(want.map(recorded));
            expect(await sqlStore.store.streamVersion(streamId(n))).toBe(
              await reference.store.streamVersion(streamId(n)),
            );
          }
        }),
        { numRuns, endOnFailure: true },
      );
    });
  });
}

function outcome(result: AppendResult | Error): unknown {
  if (!(result instanceof Error)) return result;
  const { name, message } = result;
  return { name, message };
}

function recorded(e: RecordedEvent): unknown {
  return {
    eventId: e.eventId,
    streamVersion: e.streamVersion,
    type: e.type,
    data: e.data,
    metadata: e.metadata,
  };
}

sameDecisionsAsPlanAppends(() => pgFactory(), 150);
sameDecisionsAsPlanAppends(() => pgliteFactory(), 60);
