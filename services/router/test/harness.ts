import { randomBytes, randomUUID } from "node:crypto";
import { start as startPresence } from "@switchyard/agent-presence";
import { type Bus, type ConsumerHandle, connectBus } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { type Clock, scaledClock } from "@switchyard/clock";
import {
  type AgentInput,
  type AgentInputMessage,
  agentInputSubject,
  type CallInput,
  type CallInputMessage,
  callInputSubject,
  LEG_COMMANDS,
  type LegCommandMessage,
  presenceBucket,
  presenceKey,
} from "@switchyard/contracts";
import { dropSchema, type OpenedEventStore, openEventStore } from "@switchyard/event-store";
import { start as startRelay } from "@switchyard/relay";
import {
  CONFIG_STREAM,
  type ConfigCommand,
  type ConfigEvent,
  decideConfig,
  EMPTY_CONFIG,
  evolveConfig,
} from "@switchyard/routing-domain";
import { type Router, type RouterConfig, start as startRouter } from "../src/index.js";

export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `check` yields a value; the bound only stops a hang, nothing asserts on time. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  tries = 600,
  everyMs = 50,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(everyMs);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Records every leg command sent to any gateway of this prefix. */
export class FakeGateway {
  readonly commands: LegCommandMessage[] = [];
  handle?: ConsumerHandle;

  of(callId: string): LegCommandMessage[] {
    return this.commands.filter((c) => c.callId === callId);
  }

  waitFor(
    callId: string,
    pred: (c: LegCommandMessage) => boolean,
    what: string,
    count = 1,
  ): Promise<LegCommandMessage[]> {
    return eventually(() => {
      const found = this.of(callId).filter(pred);
      return found.length >= count ? found : undefined;
    }, what);
  }
}

export interface Stack {
  readonly eventStore: OpenedEventStore;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly router: Router;
  readonly gateway: FakeGateway;
  readonly presence: Awaited<ReturnType<typeof startPresence>>;
  close(): Promise<void>;
}

export async function startStack(
  options: {
    speed?: number;
    router?: Partial<RouterConfig>;
    /** Wraps the store the router appends to (fault injection in tests). */
    routerStore?: (store: OpenedEventStore["store"]) => RouterConfig["eventStore"]["store"];
  } = {},
): Promise<Stack> {
  const id = randomBytes(4).toString("hex");
  const schema = `router_int_${id}`;
  const prefix = `trouter${id}`;
  const clock = scaledClock({ speed: options.speed ?? 40 });
  const eventStore = await openEventStore({ url: DATABASE_URL, schema, poolSize: 6 });
  const bus = await connectBus({ url: NATS_URL, prefix, name: "router-int" });
  const relay = await startRelay({ eventStore, bus, pollIntervalMs: 10, log: () => {} });
  const presence = await startPresence({ eventStore, bus, clock });
  const router = await startRouter({
    eventStore: options.routerStore ? { store: options.routerStore(eventStore.store) } : eventStore,
    bus,
    clock,
    gatewayId: "gw1",
    ...options.router,
  });
  const gateway = new FakeGateway();
  gateway.handle = await bus.consume<LegCommandMessage>({
    stream: LEG_COMMANDS,
    durable: "fakegw",
    ackWaitMs: 5_000,
    maxDeliver: 5,
    handler: ({ payload }) => {
      gateway.commands.push(payload);
    },
  });
  return {
    eventStore,
    bus,
    clock,
    router,
    gateway,
    presence,
    async close() {
      await gateway.handle?.stop();
      await router[Symbol.asyncDispose]();
      await presence[Symbol.asyncDispose]();
      await relay[Symbol.asyncDispose]();
      const jsm = await natsConnectionOf(bus).jetstreamManager();
      await jsm.streams.delete(`KV_${presenceBucket(prefix)}`).catch(() => false);
      await bus.deleteStreams();
      await bus.close();
      await eventStore.close();
      await dropSchema(DATABASE_URL, schema);
    },
  };
}

/** Appends config commands through the config decider (expected version = what was read). */
export async function defineConfig(
  store: OpenedEventStore,
  commands: readonly ConfigCommand[],
): Promise<void> {
  const existing = await store.store.readStream(CONFIG_STREAM);
  let state = existing.reduce((s, e) => evolveConfig(s, e as unknown as ConfigEvent), EMPTY_CONFIG);
  const events: ConfigEvent[] = [];
  for (const c of commands) {
    for (const e of decideConfig(c, state)) {
      events.push(e);
      state = evolveConfig(state, e);
    }
  }
  await store.store.append([
    {
      streamId: CONFIG_STREAM,
      expectedVersion: existing.length === 0 ? "no_stream" : existing.length,
      events: events.map((e) => ({ eventId: randomUUID(), type: e.type, data: e.data })),
    },
  ]);
}

export async function agentInput(bus: Bus, agentId: string, input: AgentInput): Promise<void> {
  const message: AgentInputMessage = { messageId: randomUUID(), agentId, input, at: Date.now() };
  await bus.publish(agentInputSubject(agentId), message, { msgId: message.messageId });
}

export async function callInput(
  bus: Bus,
  callId: string,
  input: CallInput,
  extra: { messageId?: string; gatewayId?: string; msgId?: string } = {},
): Promise<CallInputMessage> {
  const message: CallInputMessage = {
    messageId: extra.messageId ?? randomUUID(),
    callId,
    input,
    at: Date.now(),
    ...(extra.gatewayId ? { gatewayId: extra.gatewayId } : {}),
  };
  await bus.publish(callInputSubject(callId), message, { msgId: extra.msgId ?? message.messageId });
  return message;
}

/** The call's stream from PostgreSQL: asserts it is complete (versions 1..n) and returns the event types. */
export async function callEvents(store: OpenedEventStore, callId: string) {
  const events = await store.store.readStream(`call-${callId}`);
  events.forEach((e, i) => {
    if (e.streamVersion !== i + 1)
      throw new Error(`call-${callId}: version ${e.streamVersion} at index ${i}`);
  });
  return events;
}

export const agents = (ids: readonly string[]): ConfigCommand[] =>
  ids.map((agentId, i) => ({
    type: "DefineAgent",
    agentId,
    name: agentId,
    contact: { kind: "phone", number: `+1415555${String(100 + i).padStart(4, "0")}` },
  }));

/** Signs the agents in and waits until the presence view the router reads shows each of them available. */
export async function signInAvailable(stack: Stack, agentIds: readonly string[]): Promise<void> {
  for (const a of agentIds) await agentInput(stack.bus, a, { type: "SignIn" });
  const kv = await natsConnectionOf(stack.bus).jetstream().views.kv(presenceBucket(stack.bus.names.prefix));
  for (const a of agentIds) {
    await eventually(
      async () =>
        (await kv.get(presenceKey(a)))?.json<{ state: { status: string } }>().state.status === "available"
          ? true
          : undefined,
      `${a} available in the view`,
    );
  }
}
