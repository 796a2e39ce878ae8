// The platform for end-to-end tests: relay, router, agent-presence and a media gateway with the simulated
// driver, in this process, over the real PostgreSQL and NATS, on one clock: virtual (exact simulated time:
// it moves only while the test waits in `eventually`, and only when the platform is quiescent, so no outcome
// depends on the machine's speed or load), or scaled for the tests whose router runs as another process.

import { randomBytes, randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { start as startPresence } from "@switchyard/agent-presence";
import { type Bus, DEAD_LETTER_STREAM, type DeadLetter } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { type Clock, scaledClock, type VirtualClock, virtualClock } from "@switchyard/clock";
import {
  type AgentInput,
  type AgentInputMessage,
  agentInputSubject,
  type CallInput,
  type CallInputMessage,
  callInputSubject,
  type PresenceRecord,
  presenceBucket,
  presenceKey,
} from "@switchyard/contracts";
import {
  dropSchema,
  type OpenedEventStore,
  openEventStore,
  type RecordedEvent,
} from "@switchyard/event-store";
import {
  EventStoreAudioLibrary,
  type InboundCallScript,
  type MediaGateway,
  SimulatedDriver,
  type SimulatedDriverOptions,
  start as startGateway,
} from "@switchyard/media-gateway";
import { start as startRelay } from "@switchyard/relay";
import { type Router, type RouterConfig, start as startRouter } from "@switchyard/router";
import {
  type Applet,
  type CallEvent,
  type CallState,
  CONFIG_STREAM,
  type ConfigCommand,
  type ConfigEvent,
  decideConfig,
  EMPTY_CONFIG,
  evolveConfig,
  foldCall,
} from "@switchyard/routing-domain";
import { type PlatformBuses, startPlatformBuses } from "../support/secured-bus.js";

export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
export const GATEWAY = "sim";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The virtual clock of this test file's platform, held by the test while it is not waiting: platform time
 * stands still while the test acts (places calls, presses buttons) and moves only inside `eventually`.
 */
interface VirtualState {
  readonly clock: VirtualClock;
  /** The test's hold on the clock while it is not waiting. */
  kept: (() => void) | undefined;
  /** `eventually` calls under way. */
  waiting: number;
  /** What keeps the platform from being quiescent (for the message of a wait that gave up). */
  busy(): Promise<string[]>;
}
let virtual: VirtualState | undefined;

/**
 * Polls until `check` yields a value; the bound only stops a hang, nothing asserts on time. On the virtual
 * clock, `check` runs at each quiescent moment (nothing in flight on the platform) with the clock held, first
 * before time moves and then after each jump of time, and the clock stays held where it succeeded: a test sees
 * every intermediate state (a phone ringing before it is answered), whatever the machine's load.
 */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  tries = 1_200,
  everyMs = 50,
): Promise<T> {
  if (virtual) return eventuallyVirtual(virtual, check, what, tries, everyMs);
  for (let i = 0; i < tries; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(everyMs);
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function eventuallyVirtual<T>(
  v: VirtualState,
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  tries: number,
  everyMs: number,
): Promise<T> {
  v.kept?.();
  v.kept = undefined;
  v.waiting++;
  const { clock } = v;
  // The test keeps the clock where the last of its waits succeeded; while another wait of it is still under
  // way (Promise.all over calls), a wait that succeeded lets time go on for the others.
  const done = (release: () => void) => {
    v.waiting--;
    if (v.waiting === 0) v.kept = release;
    else release();
  };
  // `tries` bounds the looks at a platform with nothing left to wake (as the real-time poll did); jumps of time
  // do not count against it. A platform that never goes quiet is a hang, reported after a real-time bound.
  let idleLooks = 0;
  let looks = 0;
  const deadline = performance.now() + Math.min(tries * everyMs * 4, 120_000);
  while (idleLooks < tries) {
    const advances = clock.stats().advances;
    const quiet = clock.quiescent({ afterAdvance: looks > 0, idleRealMs: everyMs });
    const release = await Promise.race([
      quiet,
      sleep(Math.max(0, deadline - performance.now())).then(() => undefined),
    ]);
    if (release === undefined) {
      void quiet.then((r) => r());
      done(clock.hold());
      throw new Error(
        `gave up waiting for ${what}: the platform never went quiet (${(await v.busy()).join("; ") || "nothing pending on the server"})`,
      );
    }
    looks++;
    if (clock.stats().advances === advances) idleLooks++;
    let value: T | undefined;
    try {
      value = await check();
    } catch (err) {
      done(release);
      throw err;
    }
    if (value !== undefined) {
      done(release);
      return value;
    }
    release();
  }
  done(clock.hold());
  throw new Error(`gave up waiting for ${what} (virtual clock at ${new Date(clock.now()).toISOString()})`);
}

async function busyConsumers(bus: Bus, relay: { caughtUp(): Promise<boolean> }): Promise<string[]> {
  const out: string[] = [];
  const jsm = await natsConnectionOf(bus).jetstreamManager();
  for await (const name of jsm.streams.names()) {
    if (!name.startsWith(bus.names.stream("X").slice(0, -1)) && !name.startsWith(`KV_${bus.names.prefix}_`))
      continue;
    for (const c of await jsm.consumers.list(name).next())
      if (c.num_pending > 0 || c.num_ack_pending > 0)
        out.push(`${name}/${c.name}: ${c.num_pending} pending, ${c.num_ack_pending} unacknowledged`);
  }
  if (!(await relay.caughtUp())) out.push("the relay has not published every committed event");
  return out;
}

/**
 * Lets `platformMs` of platform time pass (virtual clock: as soon as the platform is quiescent at each step;
 * scaled clock: in real time), e.g. to check that nothing happens in a window.
 */
export async function passTime(p: E2EPlatform, platformMs: number): Promise<void> {
  if (!virtual) return p.clock.sleep(platformMs);
  // A sleeper marks the target, so the clock has something to jump to; the wait ends once it woke (not
  // merely once the clock reached its time: another sleeper of the same instant may have woken first).
  let woke = false;
  void p.clock.sleep(platformMs).then(() => {
    woke = true;
  });
  await eventually(() => (woke ? true : undefined), `${platformMs} ms of platform time`);
}

export interface E2EPlatform {
  readonly schema: string;
  readonly prefix: string;
  readonly eventStore: OpenedEventStore;
  /** The admin role's bus: what the test plays and inspects. */
  readonly bus: Bus;
  /** Each service's own bus (least-privilege credentials) and their URLs, for services a test adds. */
  readonly buses: PlatformBuses;
  readonly clock: Clock;
  readonly realStart: number;
  readonly startAt: number;
  readonly gateway: MediaGateway;
  readonly driver: SimulatedDriver;
  /** Undefined when the router runs as a child process. */
  readonly router: Router | undefined;
  close(): Promise<void>;
}

export async function startE2E(
  options: {
    /** The scaled clock's speed; absent: the virtual clock (exact simulated time). */
    speed?: number;
    inProcessRouter?: boolean;
    router?: Partial<RouterConfig>;
    driver?: Partial<SimulatedDriverOptions>;
  } = {},
): Promise<E2EPlatform> {
  const id = randomBytes(4).toString("hex");
  const schema = `e2e_${id}`;
  const prefix = `te2e${id}`;
  const realStart = Date.now();
  const startAt = Date.UTC(2026, 0, 5, 9, 0, 0);
  if (options.speed === undefined && options.inProcessRouter === false)
    throw new Error("a router in another process cannot share the virtual clock: give a speed");
  const vclock = options.speed === undefined ? virtualClock({ startAt }) : undefined;
  const clock: Clock = vclock ?? scaledClock({ speed: options.speed ?? 20, startAt, realStart });
  // Held by the test from the start: time moves only inside `eventually`.
  if (vclock && process.env.DEBUG_VCLOCK)
    setInterval(() => {
      console.log(
        `vclock ${new Date(vclock.now()).toISOString()} ${JSON.stringify(vclock.stats())} pending ${vclock.pending()} next ${vclock.nextDue() === undefined ? "-" : new Date(vclock.nextDue()!).toISOString()}`,
      );
    }, 5_000).unref();
  if (vclock)
    virtual = { clock: vclock, kept: vclock.hold(), waiting: 0, busy: async () => busyConsumers(bus, relay) };
  const eventStore = await openEventStore({ url: DATABASE_URL, schema, poolSize: 8 });
  // Every service on its own least-privilege credentials, as deployed; the test itself is the admin.
  const buses = await startPlatformBuses({ prefix, gatewayIds: [GATEWAY], sharedUrl: NATS_URL, name: "e2e" });
  const bus = buses.admin;
  // listen: false keeps the relay polling every 10 ms as before: relaying on commit notifications (faster)
  // makes missed-offers.e2e fail (1 offer instead of 3), a timing dependence in the router's offer path
  // that the router rewrite must remove; then drop this flag. The relay's own int tests cover listening.
  const relay = await startRelay({
    eventStore,
    bus: await buses.busOf("relay"),
    pollIntervalMs: 10,
    listen: false,
    log: () => {},
  });
  // Quiescent: nothing of this prefix in flight on the bus (asked with the admin's bus, which may read every
  // consumer's state), every committed event relayed.
  vclock?.addProbe({
    busyHere: () => bus.busyHere(),
    watch: (changed) => bus.onActivity(changed),
    confirm: () => bus.quiescent(),
  });
  vclock?.addProbe({
    busyHere: () => relay.busyHere(),
    watch: (changed) => relay.watch(changed),
    confirm: () => relay.caughtUp(),
  });
  const presence = await startPresence({ eventStore, bus: await buses.busOf("agent-presence"), clock });
  const router =
    options.inProcessRouter === false
      ? undefined
      : await startRouter({
          eventStore,
          bus: await buses.busOf("router"),
          clock,
          gatewayId: GATEWAY,
          ...options.router,
        });
  // Uploaded audio files play for their real length, read from this schema's blobs.
  const audioCache = join(tmpdir(), `switchyard-e2e-audio-${id}`);
  const storedAudio = new EventStoreAudioLibrary({
    store: eventStore.store,
    blobs: eventStore.blobs,
    cacheDir: audioCache,
  });
  const driver = new SimulatedDriver({ clock, storedAudio, ...options.driver });
  const gateway = await startGateway({
    bus: await buses.busOf("media-gateway"),
    clock,
    driver,
    gatewayId: GATEWAY,
    log: () => {},
  });
  return {
    schema,
    prefix,
    eventStore,
    bus,
    buses,
    clock,
    realStart,
    startAt,
    gateway,
    driver,
    router,
    async close() {
      if (vclock) {
        virtual?.kept?.();
        virtual = undefined;
        await vclock[Symbol.asyncDispose]();
      }
      // Together: each service stops by letting its consumers' current pulls end (up to 1 s each), and
      // nothing of a test is left to hand from one to the other.
      await Promise.all([
        gateway[Symbol.asyncDispose](),
        router?.[Symbol.asyncDispose](),
        presence[Symbol.asyncDispose](),
        relay[Symbol.asyncDispose](),
      ]);
      await driver.close();
      await buses.close();
      await eventStore.close();
      await dropSchema(DATABASE_URL, schema);
      await rm(audioCache, { recursive: true, force: true });
    },
  };
}

/** Appends config commands through the config decider, as the admin API would (on top of what is defined). */
export async function defineConfig(
  p: Pick<E2EPlatform, "eventStore">,
  commands: readonly ConfigCommand[],
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const existing = await p.eventStore.store.readStream(CONFIG_STREAM);
    let state = existing.reduce((s, e) => evolveConfig(s, e as unknown as ConfigEvent), EMPTY_CONFIG);
    const events: ConfigEvent[] = [];
    for (const c of commands) {
      for (const e of decideConfig(c, state)) {
        events.push(e);
        state = evolveConfig(state, e);
      }
    }
    try {
      await p.eventStore.store.append([
        {
          streamId: CONFIG_STREAM,
          expectedVersion: existing.length === 0 ? "no_stream" : existing.length,
          events: events.map((e) => ({ eventId: randomUUID(), type: e.type, data: e.data })),
        },
      ]);
      return;
    } catch (err) {
      if (attempt > 3) throw err;
    }
  }
}

export async function agentInput(p: E2EPlatform, agentId: string, input: AgentInput): Promise<void> {
  const message: AgentInputMessage = { messageId: randomUUID(), agentId, input, at: p.clock.now() };
  await p.bus.publish(agentInputSubject(agentId), message, { msgId: message.messageId });
}

/** A call input from outside the media path, as the admin API sends for an agent's transfer button. */
export async function callInput(p: E2EPlatform, callId: string, input: CallInput): Promise<void> {
  const message: CallInputMessage = { messageId: randomUUID(), callId, input, at: p.clock.now() };
  await p.bus.publish(callInputSubject(callId), message, { msgId: message.messageId });
}

export async function presenceOf(p: E2EPlatform, agentId: string): Promise<PresenceRecord | undefined> {
  const kv = await natsConnectionOf(p.bus).jetstream().views.kv(presenceBucket(p.prefix));
  return (await kv.get(presenceKey(agentId)))?.json<PresenceRecord>();
}

/** Signs agents in and waits until the presence view shows them available. */
export async function signIn(p: E2EPlatform, agentIds: readonly string[]): Promise<void> {
  for (const a of agentIds) await agentInput(p, a, { type: "SignIn" });
  for (const a of agentIds) {
    await eventually(
      async () => ((await presenceOf(p, a))?.state.status === "available" ? true : undefined),
      `${a} available`,
    );
  }
}

let numberSeq = 0;
/** A fresh E.164 number (phones, business numbers). */
export const newNumber = (): string => `+1415${String(2_000_000 + ++numberSeq).padStart(7, "0")}`;

export interface AgentDef {
  readonly id: string;
  readonly number: string;
}

/** Agents with fresh numbers: the DefineAgent commands and the id → number map. */
export function defineAgents(
  ids: readonly string[],
  wrapUpSec = 0,
): { commands: ConfigCommand[]; agents: Record<string, AgentDef> } {
  const agents: Record<string, AgentDef> = {};
  const commands: ConfigCommand[] = ids.map((id) => {
    const number = newNumber();
    agents[id] = { id, number };
    return { type: "DefineAgent", agentId: id, name: id, contact: { kind: "phone", number }, wrapUpSec };
  });
  return { commands, agents };
}

/** One flow on one new business number: the commands and the number. */
export function flowOnNumber(
  flowId: string,
  start: string,
  applets: Record<string, Applet>,
  extra: { readonly recordCalls?: boolean } = {},
): { commands: ConfigCommand[]; number: string } {
  const number = newNumber();
  return {
    number,
    commands: [
      { type: "DefineFlow", flow: { flowId, name: flowId, start, applets, ...extra } },
      { type: "DefineNumber", number, flowId },
    ],
  };
}

export async function placeCall(p: E2EPlatform, script: InboundCallScript): Promise<string> {
  return (await p.gateway.placeInboundCall(script)).callId;
}

/** The call's stream, read from PostgreSQL. */
export async function streamOf(p: E2EPlatform, callId: string): Promise<RecordedEvent[]> {
  return p.eventStore.store.readStream(`call-${callId}`);
}

/** Dead letters so far whose original subject (logical name) is `subject`. */
export async function deadLettersFor(p: E2EPlatform, subject: string): Promise<DeadLetter[]> {
  const jsm = await natsConnectionOf(p.bus).jetstreamManager();
  const stream = p.bus.names.stream(DEAD_LETTER_STREAM);
  const info = await jsm.streams.info(stream).catch(() => undefined);
  const out: DeadLetter[] = [];
  if (!info || info.state.messages === 0) return out;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    const letter = m?.json<DeadLetter>();
    if (letter?.subject === subject) out.push(letter);
  }
  return out;
}

/** The call's state folded from its stream in PostgreSQL (for waiting on a phase mid-call). */
export async function callStateOf(p: E2EPlatform, callId: string): Promise<CallState> {
  return foldCall((await streamOf(p, callId)) as unknown as CallEvent[]);
}

export interface EndedCall {
  readonly events: RecordedEvent[];
  readonly types: string[];
  readonly state: CallState;
  of<T extends CallEvent["type"]>(type: T): Array<Extract<CallEvent, { type: T }>["data"]>;
}

/**
 * Waits until the call ended and every leg is down, then checks its stream in PostgreSQL: complete and in
 * order (versions 1..n), one CallEnded, after which only the teardown of legs may follow.
 */
export async function endedCall(p: E2EPlatform, callId: string, tries = 1_200): Promise<EndedCall> {
  const events = await eventually(
    async () => {
      const ev = await streamOf(p, callId);
      const state = foldCall(ev as unknown as CallEvent[]);
      const settled = Object.values(state.legs).every((l) => l.status === "ended");
      return state.status === "ended" && settled ? ev : undefined;
    },
    `call ${callId} to end`,
    tries,
  );
  return checkTerminal(callId, events);
}

export function checkTerminal(callId: string, events: RecordedEvent[]): EndedCall {
  events.forEach((e, i) => {
    if (e.streamVersion !== i + 1) {
      throw new Error(`call-${callId} is not complete: version ${e.streamVersion} at position ${i + 1}`);
    }
  });
  const types = events.map((e) => e.type);
  if (types[0] !== "CallStarted") throw new Error(`call-${callId} does not start with CallStarted`);
  const ends = types.filter((t) => t === "CallEnded").length;
  if (ends !== 1) throw new Error(`call-${callId} has ${ends} CallEnded events`);
  const after = types.slice(types.indexOf("CallEnded") + 1);
  const teardown = new Set(["LegEnded", "LegAnswered", "LegHangupRequested"]);
  if (after.some((t) => !teardown.has(t))) {
    throw new Error(`call-${callId} has events after CallEnded: ${after.join(", ")}`);
  }
  const state = foldCall(events as unknown as CallEvent[]);
  return {
    events,
    types,
    state,
    of: (type) => events.filter((e) => e.type === type).map((e) => e.data as never),
  };
}

export const hangup: Applet = { kind: "hangup" };
export const say = (text: string, next?: string): Applet => ({
  kind: "greeting",
  audio: { kind: "tts", text },
  ...(next === undefined ? {} : { next }),
});
