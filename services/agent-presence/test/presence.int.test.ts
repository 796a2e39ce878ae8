import { randomBytes, randomUUID } from "node:crypto";
import { type Bus, connectBus, DEAD_LETTER_STREAM, type DeadLetter } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { scaledClock } from "@switchyard/clock";
import {
  type AgentInput,
  type AgentInputMessage,
  agentInputSubject,
  type PresenceRecord,
  presenceBucket,
  presenceKey,
} from "@switchyard/contracts";
import { dropSchema, type OpenedEventStore, openEventStore } from "@switchyard/event-store";
import { start as startRelay } from "@switchyard/relay";
import {
  CONFIG_STREAM,
  type ConfigEvent,
  decideConfig,
  EMPTY_CONFIG,
  evolveConfig,
} from "@switchyard/routing-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentPresence, start } from "../src/index.js";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const id = randomBytes(4).toString("hex");
const schema = `presence_int_${id}`;
const prefix = `tpres${id}`;
let eventStore: OpenedEventStore;
let bus: Bus;
let relay: AsyncDisposable;
let presence: AgentPresence;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(50);
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function send(agentId: string, input: AgentInput, messageId = randomUUID(), msgId = messageId) {
  const m: AgentInputMessage = { messageId, agentId, input, at: Date.now() };
  await bus.publish(agentInputSubject(agentId), m, { msgId });
}

async function viewOf(agentId: string): Promise<PresenceRecord | undefined> {
  const kv = await natsConnectionOf(bus).jetstream().views.kv(presenceBucket(prefix));
  return (await kv.get(presenceKey(agentId)))?.json<PresenceRecord>();
}

beforeAll(async () => {
  eventStore = await openEventStore({ url: DATABASE_URL, schema, poolSize: 4 });
  bus = await connectBus({ url: NATS_URL, prefix, name: "presence-int" });
  relay = await startRelay({ eventStore, bus, pollIntervalMs: 10, log: () => {} });
  presence = await start({ eventStore, bus, clock: scaledClock({ speed: 10 }) });
  let state = EMPTY_CONFIG;
  const events: ConfigEvent[] = [];
  for (const agentId of ["ann", "bob"]) {
    for (const e of decideConfig(
      {
        type: "DefineAgent",
        agentId,
        name: agentId,
        contact: { kind: "sip", uri: `sip:${agentId}@pbx.example.com` },
      },
      state,
    )) {
      events.push(e);
      state = evolveConfig(state, e);
    }
  }
  await eventStore.store.append([
    {
      streamId: CONFIG_STREAM,
      expectedVersion: "no_stream",
      events: events.map((e) => ({ eventId: randomUUID(), type: e.type, data: e.data })),
    },
  ]);
});

afterAll(async () => {
  await presence?.[Symbol.asyncDispose]();
  await relay?.[Symbol.asyncDispose]();
  const jsm = await natsConnectionOf(bus).jetstreamManager();
  await jsm.streams.delete(`KV_${presenceBucket(prefix)}`).catch(() => false);
  await bus.deleteStreams();
  await bus.close();
  await eventStore.close();
  await dropSchema(DATABASE_URL, schema);
});

describe("agent-presence", () => {
  it("appends sign-in and breaks to the agent stream and keeps the view with the stream version", async () => {
    await send("ann", { type: "SignIn" });
    const signedIn = await eventually(
      async () => ((await viewOf("ann"))?.state.status === "available" ? viewOf("ann") : undefined),
      "ann available",
    );
    expect(signedIn?.version).toBe(1);
    expect(signedIn?.state.idleSince).toBeTypeOf("number");
    await send("ann", { type: "StartBreak" });
    await send("ann", { type: "EndBreak" });
    const back = await eventually(
      async () => ((await viewOf("ann"))?.version === 3 ? viewOf("ann") : undefined),
      "ann back from break",
    );
    expect(back?.state.status).toBe("available");
    const stream = await eventStore.store.readStream("agent-ann");
    expect(stream.map((e) => e.type)).toEqual(["AgentSignedIn", "AgentBreakStarted", "AgentBreakEnded"]);
  });

  it("applies a redelivered input once", async () => {
    const messageId = randomUUID();
    await send("bob", { type: "SignIn" }, messageId);
    await send("bob", { type: "StartBreak" });
    await eventually(async () => ((await viewOf("bob"))?.version === 2 ? true : undefined), "bob on break");
    // The sign-in again under a new JetStream id: already applied, so it must not sign bob back in.
    await send("bob", { type: "SignIn" }, messageId, randomUUID());
    await eventually(async () => (presence.stats().replays >= 1 ? true : undefined), "the replay");
    expect((await eventStore.store.readStream("agent-bob")).map((e) => e.type)).toEqual([
      "AgentSignedIn",
      "AgentBreakStarted",
    ]);
  });

  it("dead-letters inputs for unknown agents and refused transitions with their reason", async () => {
    await send("zed", { type: "SignIn" });
    await send("ann", { type: "EndBreak" });
    const jsm = await natsConnectionOf(bus).jetstreamManager();
    const letters = await eventually(async () => {
      const info = await jsm.streams.info(bus.names.stream(DEAD_LETTER_STREAM)).catch(() => undefined);
      if ((info?.state.messages ?? 0) < 2) return undefined;
      const out: DeadLetter[] = [];
      for (let seq = info!.state.first_seq; seq <= info!.state.last_seq; seq++) {
        out.push(
          (await jsm.streams.getMessage(bus.names.stream(DEAD_LETTER_STREAM), { seq })).json<DeadLetter>(),
        );
      }
      return out;
    }, "two dead letters");
    expect(letters.map((l) => l.error).join("\n")).toMatch(/agent "zed" is not configured/);
    expect(letters.map((l) => l.error).join("\n")).toMatch(/EndBreak refused for agent ann/);
  });
});
