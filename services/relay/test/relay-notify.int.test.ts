import { randomUUID } from "node:crypto";
import { type Bus, connectBus, type PublishOptions } from "@switchyard/bus";
import { dropSchema, type OpenedEventStore, openEventStore } from "@switchyard/event-store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RelayLogLevel, start } from "../src/index.js";
import { DATABASE_URL, eventually, NATS_URL, readStream, suffix } from "./helpers.js";

// The relay wakes on the event store's commit notifications (LISTEN/NOTIFY), polls only as a fallback,
// publishes a batch pipelined, and warns about a transaction that holds pg_snapshot_xmin back.
// Nothing here asserts on time: the fallback poll is set to an hour where a test shows that a
// notification, not the poll, woke the relay.

const HOUR = 3_600_000;
const id = suffix();
const schema = `relay_ntf_${id}`;
const prefix = `trelayntf${id}`;
let bus: Bus;
const stores: OpenedEventStore[] = [];

interface LogLine {
  level: RelayLogLevel;
  message: string;
  fields: Readonly<Record<string, unknown>>;
}
const capture = (lines: LogLine[]) => (level: RelayLogLevel, message: string, fields?: object) => {
  lines.push({ level, message, fields: { ...fields } });
};

beforeAll(async () => {
  bus = await connectBus({ url: NATS_URL, prefix, name: "relay-notify-test" });
});

afterAll(async () => {
  await Promise.allSettled(stores.map((s) => s.close()));
  await bus.deleteStreams();
  await bus.close();
  await dropSchema(DATABASE_URL, schema);
});

async function openPg(): Promise<OpenedEventStore> {
  const s = await openEventStore({ url: DATABASE_URL, schema, poolSize: 3 });
  stores.push(s);
  return s;
}

async function append(store: OpenedEventStore, streamId: string, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  await store.store.append([
    {
      streamId,
      expectedVersion: "no_stream",
      events: ids.map((eventId, i) => ({ eventId, type: "Tested", data: { i } })),
    },
  ]);
  return ids;
}

async function publishedIds(): Promise<Set<string>> {
  return new Set((await readStream(bus, "EVENTS")).map((m) => m.msgId));
}

const allOf = (ids: readonly string[]) => async () => {
  const seen = await publishedIds();
  return ids.every((i) => seen.has(i)) ? true : undefined;
};

describe("relay on PostgreSQL notifications", () => {
  it("wakes on a commit (the fallback poll is an hour) and publishes a batch with every publish in flight", async () => {
    const store = await openPg();
    // Already in the log before the relay starts: the first read takes all 500 as one batch.
    const first = await append(store, `call-pipe-${id}`, 500);
    let inFlight = 0;
    let maxInFlight = 0;
    const countingBus = {
      ensureStreams: bus.ensureStreams.bind(bus),
      publish(subject: string, payload: unknown, options: PublishOptions) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        return bus.publish(subject, payload, options).finally(() => {
          inFlight--;
        });
      },
    };
    const relay = await start({
      eventStore: store,
      bus: countingBus,
      name: "relay_pipe",
      batchSize: 500,
      pollIntervalMs: HOUR,
      log: () => {},
    });
    try {
      await eventually(allOf(first), "the first 500 events");
      expect(maxInFlight).toBe(500);
      await eventually(() => (relay.stats().listening ? true : undefined), "listening");
      // Caught up and waiting: appended any earlier, the events could be found by the read after the first
      // batch's checkpoint (no wake-up needed), which a loaded machine made happen.
      await eventually(() => (relay.busyHere() ? undefined : true), "waiting for a commit");
      const polledBefore = relay.stats().wakeups.polled;
      const second = await append(store, `call-ntf-${id}`, 3);
      await eventually(allOf(second), "the events appended while it waits");
      const stats = relay.stats();
      expect(stats.wakeups.notified).toBeGreaterThanOrEqual(1);
      expect(stats.wakeups.polled).toBe(polledBefore);
    } finally {
      await relay[Symbol.asyncDispose]();
    }
  });

  it("polls when it loses its LISTEN connection, then listens again", async () => {
    const store = await openPg();
    const lines: LogLine[] = [];
    const relay = await start({
      eventStore: store,
      bus,
      name: "relay_lost",
      pollIntervalMs: 20,
      log: capture(lines),
    });
    try {
      await eventually(() => (relay.stats().listening ? true : undefined), "listening");
      // The relay's listening session is the one whose last statement was LISTEN on this schema's channel.
      const rows = await store.db
        .withTables<{ pg_stat_activity: { pid: number; query: string } }>()
        .selectFrom("pg_stat_activity")
        .select((eb) => eb.fn<boolean>("pg_terminate_backend", ["pid"]).as("terminated"))
        .where("query", "=", `listen "${store.appends.channel}"`)
        .execute();
      expect(rows.map((r) => r.terminated)).toEqual([true]);
      await eventually(() => (relay.stats().listening ? undefined : true), "the loss to be noticed");
      expect(
        lines.some((l) => l.level === "warn" && l.message.includes("lost its commit notifications")),
      ).toBe(true);
      const ids = await append(store, `call-lost-${id}`, 2);
      await eventually(allOf(ids), "events published by polling");
      // It tries again 5 s after the loss (the bound of eventually is 60 s).
      await eventually(() => (relay.stats().listening ? true : undefined), "listening again");
      const again = await append(store, `call-again-${id}`, 2);
      await eventually(allOf(again), "events after listening again");
    } finally {
      await relay[Symbol.asyncDispose]();
    }
  });

  it("warns, naming the backend pid, when one transaction holds pg_snapshot_xmin longer than xminWarnAfterMs; its events wait", async () => {
    const store = await openPg();
    const lines: LogLine[] = [];
    const relay = await start({
      eventStore: store,
      bus,
      name: "relay_xmin",
      pollIntervalMs: HOUR,
      xminWarnAfterMs: 200,
      horizonCheckMs: 50,
      log: capture(lines),
    });
    // A transaction with an xid, held open on a connection of its own until `release`.
    const other = await openPg();
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    let began: (v: { pid: number; xid: string }) => void = () => {};
    const beganP = new Promise<{ pid: number; xid: string }>((r) => {
      began = r;
    });
    const holding = other.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectNoFrom((eb) => [
          eb.fn<number>("pg_backend_pid").as("pid"),
          eb.cast<string>(eb.fn("pg_current_xact_id"), "text").as("xid"),
        ])
        .executeTakeFirstOrThrow();
      began(row);
      await released;
    });
    try {
      const mine = await beganP;
      const ids = await append(store, `call-held-${id}`, 2);
      const warning = await eventually(
        () =>
          lines.find(
            (l) => l.level === "warn" && l.message.includes("pg_snapshot_xmin") && l.fields.pid === mine.pid,
          ),
        "the warning about our transaction",
      );
      expect(warning.fields).toMatchObject({
        xid: String(BigInt(mine.xid) % 2n ** 32n),
        state: "idle in transaction",
      });
      expect(warning.fields.xactAgeMs as number).toBeGreaterThanOrEqual(200);
      expect(relay.stats().xminWarnings).toBeGreaterThanOrEqual(1);
      // Committed after our transaction began: held back until it ends.
      const seen = await publishedIds();
      expect(ids.some((i) => seen.has(i))).toBe(false);
      release();
      await holding;
      // No notification comes from the holder's commit (it wrote no events): the held-back poll reads them.
      await eventually(allOf(ids), "the held-back events");
      await eventually(
        () => lines.find((l) => l.message === "pg_snapshot_xmin moved on" && l.fields.pid === mine.pid),
        "the all-clear",
      );
    } finally {
      release();
      await holding.catch(() => undefined);
      await relay[Symbol.asyncDispose]();
    }
  });

  it("polls every pollIntervalMs when told not to listen", async () => {
    const store = await openPg();
    const relay = await start({
      eventStore: store,
      bus,
      name: "relay_poll",
      listen: false,
      pollIntervalMs: 20,
      log: () => {},
    });
    try {
      // Idle, it reads again every pollIntervalMs (timer-driven reads; "held back" ones too when another
      // session's transaction holds the horizon on this shared server).
      const timed = () => relay.stats().wakeups.polled + relay.stats().wakeups.heldBack;
      await eventually(() => (timed() >= 2 ? true : undefined), "two timer-driven reads");
      const ids = await append(store, `call-poll-${id}`, 2);
      await eventually(allOf(ids), "polled events");
      expect(relay.stats()).toMatchObject({ listening: false, wakeups: { notified: 0 } });
    } finally {
      await relay[Symbol.asyncDispose]();
    }
  });
});

describe("relay on PGlite notifications", () => {
  it("wakes on a commit in the embedded database (the fallback poll is an hour)", async () => {
    const store = await openEventStore({ schema: "relay_pglite" });
    stores.push(store);
    const relay = await start({
      eventStore: store,
      bus,
      name: "relay_pglite",
      pollIntervalMs: HOUR,
      log: () => {},
    });
    try {
      await eventually(() => (relay.stats().listening ? true : undefined), "listening");
      const ids = await append(store, `call-pglite-${id}`, 3);
      await eventually(allOf(ids), "the PGlite events");
      expect(relay.stats().wakeups.notified).toBeGreaterThanOrEqual(1);
      expect(relay.stats().wakeups.polled).toBe(0);
    } finally {
      await relay[Symbol.asyncDispose]();
    }
  });
});
