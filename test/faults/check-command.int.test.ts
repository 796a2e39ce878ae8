// `switchyard check` against a deployment on the real PostgreSQL and NATS: a log and its EVENTS stream as
// the relay leaves them pass (exit 0); then this test plants, on the bus, an event never relayed, one
// relayed twice (another message id, so JetStream keeps both) and a message PostgreSQL never had, and in the
// log an agent booked twice: each is reported with its stream ids and the exit code is 1. The check itself
// writes nothing: the log and the stream are the same before and after, and its consumer is gone.
import { spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { type Bus, connectBus, EVENTS_STREAM, eventSubject, eventsStreamSpec } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { runCli } from "@switchyard/cli";
import {
  dropSchema,
  type OpenedEventStore,
  openEventStore,
  type RecordedEvent,
  readCommittedLog,
} from "@switchyard/event-store";
import { toEventMessage } from "@switchyard/relay";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const BIN = resolve(import.meta.dirname, "../../packages/cli/bin/switchyard.mjs");
const suffix = randomBytes(4).toString("hex");
const SCHEMA = `faults_check_${suffix}`;
const PREFIX = `check${suffix}`;
let es: OpenedEventStore;
let bus: Bus;

beforeAll(async () => {
  es = await openEventStore({ url: DATABASE_URL, schema: SCHEMA, poolSize: 2 });
  bus = await connectBus({ url: NATS_URL, prefix: PREFIX, name: "check-command" });
  await bus.ensureStreams([eventsStreamSpec()]);
});

afterAll(async () => {
  await bus?.deleteStreams().catch(() => undefined);
  await bus?.close();
  await es?.close();
  await dropSchema(DATABASE_URL, SCHEMA);
});

const ev = (type: string, data: unknown, causationId = randomUUID()) => ({
  eventId: randomUUID(),
  type,
  data,
  metadata: { causationId },
});

async function check(nats = true): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await runCli({
    command: "check",
    flags: {
      "database-url": DATABASE_URL,
      "database-schema": SCHEMA,
      ...(nats ? { "nats-url": NATS_URL, prefix: PREFIX } : {}),
      settle: "1",
    },
    env: {},
    signal: new AbortController().signal,
    out: (l) => out.push(l),
    err: (l) => out.push(l),
  });
  return { code, out: out.join("\n") };
}

const relay = (e: RecordedEvent, msgId = e.eventId) =>
  bus.publish(eventSubject(e.streamId), toEventMessage(e), { msgId });

/** A call routed to ana and ended, and ana's stream, written as the deciders write them. */
async function servedCall(callId: string, anaVersion: number): Promise<void> {
  const cause = randomUUID();
  const legId = `${callId}:leg-1`;
  await es.store.append([
    {
      streamId: `call-${callId}`,
      expectedVersion: "no_stream",
      events: [
        ev(
          "CallStarted",
          {
            callId,
            from: "+1",
            to: "+2",
            flowId: "f",
            configVersion: 1,
            callerLegId: `${callId}:leg-0`,
            at: 1,
          },
          cause,
        ),
        ev(
          "LegOriginateRequested",
          {
            legId,
            role: "target",
            to: { kind: "phone", number: "+3" },
            agentId: "ana",
            callerId: "+2",
            timeoutSec: 15,
          },
          cause,
        ),
      ],
    },
    {
      streamId: "agent-ana",
      expectedVersion: anaVersion,
      events: [ev("AgentReserved", { callId, legId, at: 1 }, cause)],
    },
  ]);
  const end = randomUUID();
  await es.store.append([
    {
      streamId: `call-${callId}`,
      expectedVersion: 2,
      events: [
        ev("LegCancelRequested", { legId, reason: "x" }, end),
        ev("CallEnded", { reason: "x", at: 2 }, end),
      ],
    },
    {
      streamId: "agent-ana",
      expectedVersion: anaVersion + 1,
      events: [ev("AgentReleased", { callId, at: 2, reason: "x" }, end)],
    },
  ]);
}

async function consumers(): Promise<string[]> {
  const jsm = await natsConnectionOf(bus).jetstreamManager();
  const names: string[] = [];
  for await (const c of jsm.consumers.list(bus.names.stream(EVENTS_STREAM))) names.push(c.name);
  return names;
}

describe("switchyard check", () => {
  it("passes a deployment whose EVENTS stream holds every event of the log once, and changes nothing", async () => {
    await es.store.append([
      { streamId: "agent-ana", expectedVersion: "no_stream", events: [ev("AgentSignedIn", { at: 0 })] },
    ]);
    await servedCall("c1", 1);
    const log = await readCommittedLog(es.db);
    for (const e of log) await relay(e);
    const { code, out } = await check();
    expect(out).toContain(`JetStream EVENTS: ${log.length} messages compared with the log`);
    expect(out).toContain("no violation");
    expect(code).toBe(0);
    expect(await readCommittedLog(es.db)).toEqual(log);
    expect(await consumers()).toEqual([]);
  });

  it("runs from the switchyard binary with its flags, exit 0 on the clean deployment", () => {
    const run = spawnSync(
      process.execPath,
      [
        BIN,
        "check",
        "--database-url",
        DATABASE_URL,
        "--database-schema",
        SCHEMA,
        "--nats-url",
        NATS_URL,
        "--prefix",
        PREFIX,
        "--settle",
        "1",
      ],
      { encoding: "utf8", timeout: 60_000, env: { ...process.env, DATABASE_URL: "", NATS_URL: "" } },
    );
    expect(run.stdout, run.stderr).toContain("no violation");
    expect(run.status).toBe(0);
  });

  it("without a NATS URL checks the log alone", async () => {
    const { code, out } = await check(false);
    expect(out).toContain("JetStream EVENTS: not compared");
    expect(code).toBe(0);
  });

  it("reports an event never relayed, one relayed twice, a message PostgreSQL never had and a double booking, with their streams; exit 1", async () => {
    const before = (await readCommittedLog(es.db)).length;
    await servedCall("c2", 3);
    const added = (await readCommittedLog(es.db)).slice(before);
    // Planted: c2's first event is not relayed; ana's reservation for c2 relayed twice (a second message id).
    const [skipped, ...rest] = added;
    for (const e of rest) await relay(e);
    const reservation = rest.find((e) => e.type === "AgentReserved") as RecordedEvent;
    await relay(reservation, `${reservation.eventId}-again`);
    // Planted: a message for an event PostgreSQL never had.
    const ghost = { ...reservation, eventId: randomUUID(), streamId: "call-ghost", streamVersion: 1 };
    await relay(ghost);
    // Planted in the log: ana reserved for c3 while reserved for c4 (appended directly, no decider).
    await es.store.append([
      {
        streamId: "agent-ana",
        expectedVersion: 5,
        events: [ev("AgentReserved", { callId: "c4", legId: "c4:leg-1", at: 3 })],
      },
    ]);
    await es.store.append([
      {
        streamId: "agent-ana",
        expectedVersion: 6,
        events: [ev("AgentReserved", { callId: "c3", legId: "c3:leg-1", at: 4 })],
      },
    ]);
    for (const e of (await readCommittedLog(es.db)).slice(before + added.length)) await relay(e);

    const { code, out } = await check();
    console.log(out);
    expect(code).toBe(1);
    expect(out).toContain(
      `lost-event [call-c2]: v1 CallStarted (event ${skipped?.eventId}) is not on EVENTS`,
    );
    expect(out).toMatch(/duplicated-event \[agent-ana\]: v4 AgentReserved .* is on EVENTS 2 times/);
    expect(out).toContain(`phantom-event [call-ghost]: EVENTS #`);
    expect(out).toContain("double-booking [agent-ana, call-c4, call-c3]");
    expect(out).toMatch(/\s1 {2}lost-event/);
    expect(out).toMatch(/\s1 {2}duplicated-event/);
    expect(out).toMatch(/\s1 {2}phantom-event/);
    expect(await consumers()).toEqual([]);
  });

  it("refuses to run without a database, and reads a schema with no event store as an error, creating nothing", async () => {
    const out: string[] = [];
    const ctx = {
      command: "check",
      env: {},
      signal: new AbortController().signal,
      out: (l: string) => out.push(l),
      err: (l: string) => out.push(l),
    };
    expect(await runCli({ ...ctx, flags: {} })).toBe(2);
    const missing = `faults_none_${suffix}`;
    expect(
      await runCli({ ...ctx, flags: { "database-url": DATABASE_URL, "database-schema": missing } }),
    ).toBe(1);
    expect(out.join("\n")).toContain(`schema ${missing}`);
    const db = new pg.Client({ connectionString: DATABASE_URL });
    await db.connect();
    try {
      const { rowCount } = await db.query(
        "select 1 from information_schema.schemata where schema_name = $1",
        [missing],
      );
      expect(rowCount).toBe(0);
    } finally {
      await db.end();
    }
  });
});
