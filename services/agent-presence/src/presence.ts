/// <reference lib="esnext.disposable" />
import {
  type Bus,
  type ConsumerHandle,
  deadLetterStreamSpec,
  type EventMessage,
  eventsStreamSpec,
  PoisonMessageError,
} from "@switchyard/bus";
import { type Clock, systemClock } from "@switchyard/clock";
import {
  AGENT_INPUTS,
  type AgentInput,
  type AgentInputMessage,
  type PresenceRecord,
  presenceBucket,
  presenceKey,
  workStreams,
} from "@switchyard/contracts";
import {
  type EventStore,
  eventIdFor,
  FoldedStreams,
  KeyedLock,
  WrongExpectedVersionError,
} from "@switchyard/event-store";
import {
  type AgentCommand,
  type AgentEvent,
  type AgentState,
  agentStreamId,
  CONFIG_STREAM,
  type ConfigEvent,
  type ConfigSnapshot,
  decideAgent,
  EMPTY_CONFIG,
  evolveAgent,
  evolveConfig,
  INITIAL_AGENT,
  RoutingDomainError,
} from "@switchyard/routing-domain";
import type { KV } from "nats";

export type PresenceLogLevel = "debug" | "info" | "warn" | "error";
export type PresenceLog = (
  level: PresenceLogLevel,
  message: string,
  fields?: Readonly<Record<string, unknown>>,
) => void;

export interface AgentPresenceConfig {
  readonly eventStore: { readonly store: Pick<EventStore, "append" | "readStream"> };
  readonly bus: Bus;
  readonly clock?: Clock;
  /** Durable consumer base name shared by all replicas (default "agent_presence"). */
  readonly durable?: string;
  /** Presence KV bucket (default `<prefix>_presence`). */
  readonly presenceBucket?: string;
  readonly ackWaitMs?: number;
  readonly log?: PresenceLog;
}

export interface AgentPresenceStats {
  /** Agent inputs whose events were appended. */
  readonly decisions: number;
  readonly noops: number;
  readonly replays: number;
  readonly conflicts: number;
  /** Agent events applied to the view. */
  readonly applied: number;
  /** View entries rebuilt from the store because an event was missing. */
  readonly rebuilds: number;
}

export interface AgentPresence extends AsyncDisposable {
  stats(): AgentPresenceStats;
  /** The view as this instance last wrote or read it (tests, the demo's live display). */
  view(): ReadonlyMap<string, PresenceRecord>;
}

/** The agent is not in the configuration: there is nobody to sign in. */
export class UnknownAgentInputError extends Error {
  override readonly name = "UnknownAgentInputError";
  constructor(readonly agentId: string) {
    super(`agent "${agentId}" is not configured`);
  }
}

interface AgentView {
  readonly state: AgentState;
  /** Message ids that caused this agent's recent events (a redelivered input is recognised). */
  readonly causes: readonly string[];
}

const INPUT_TYPES = new Set(["SignIn", "SignOut", "StartBreak", "EndBreak", "GoOffline", "EndWrapUp"]);

export function decodeAgentInput(json: unknown): AgentInputMessage {
  const o = json as Partial<AgentInputMessage> | null;
  if (typeof o !== "object" || o === null) throw new PoisonMessageError("agent input must be a JSON object");
  if (typeof o.messageId !== "string" || o.messageId === "")
    throw new PoisonMessageError("messageId must be a string");
  if (typeof o.agentId !== "string" || o.agentId === "")
    throw new PoisonMessageError("agentId must be a string");
  if (typeof o.at !== "number") throw new PoisonMessageError("at must be a number");
  const input = o.input as Partial<AgentInput> | undefined;
  if (typeof input !== "object" || input === null || !INPUT_TYPES.has(input.type as string)) {
    throw new PoisonMessageError(`unknown agent input ${JSON.stringify(input?.type)}`);
  }
  if (input.type === "EndWrapUp" && typeof (input as { callId?: unknown }).callId !== "string") {
    throw new PoisonMessageError("EndWrapUp needs a callId");
  }
  return o as AgentInputMessage;
}

function commandOf(input: AgentInput, now: number): AgentCommand {
  switch (input.type) {
    case "SignIn":
      return { type: "SignIn", now };
    case "SignOut":
      return { type: "SignOut", now };
    case "StartBreak":
      return { type: "StartBreak", now, ...(input.reason !== undefined ? { reason: input.reason } : {}) };
    case "EndBreak":
      return { type: "EndBreak", now };
    case "GoOffline":
      return { type: "MarkOffline", now };
    case "EndWrapUp":
      return { type: "EndWrapUp", callId: input.callId, now };
    default: {
      const unknown: never = input;
      throw new PoisonMessageError(`unknown agent input ${JSON.stringify(unknown)}`);
    }
  }
}

const describe = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}` : String(err);

const defaultLog: PresenceLog = (level, message, fields) => {
  if (level === "debug" || level === "info") return;
  console.error(JSON.stringify({ level, msg: message, ...fields }));
};

/**
 * agent-presence: owns sign-in and status changes (appends to `agent-<id>` with the expected version) and
 * keeps the presence view (a JetStream KV entry per agent, with the agent stream version it reflects),
 * built from the agent events on the EVENTS stream, whoever wrote them (routers write the call-driven ones).
 */
export async function start(config: AgentPresenceConfig): Promise<AgentPresence> {
  const { bus } = config;
  const { store } = config.eventStore;
  const clock = config.clock ?? systemClock;
  const log = config.log ?? defaultLog;
  const durable = config.durable ?? "agent_presence";
  const ackWaitMs = config.ackWaitMs ?? 10_000;
  const stats = { decisions: 0, noops: 0, replays: 0, conflicts: 0, applied: 0, rebuilds: 0 };

  await bus.ensureStreams([eventsStreamSpec(), deadLetterStreamSpec(), ...workStreams()]);
  const kv: KV = await bus.connection
    .jetstream()
    .views.kv(config.presenceBucket ?? presenceBucket(bus.names.prefix), { history: 1 });

  const agents = new FoldedStreams<AgentView>(store, { state: INITIAL_AGENT, causes: [] }, (s, e, r) => {
    const cause = r?.metadata.causationId;
    return {
      state: evolveAgent(s.state, e as AgentEvent),
      causes: cause ? [...s.causes.slice(-63), cause] : s.causes,
    };
  });
  const configStream = new FoldedStreams<ConfigSnapshot>(store, EMPTY_CONFIG, (s, e) =>
    evolveConfig(s, e as ConfigEvent),
  );

  async function handleInput(msg: AgentInputMessage): Promise<void> {
    const streamId = agentStreamId(msg.agentId);
    let cfg = configStream.cached(CONFIG_STREAM)?.state;
    if (!cfg?.agents[msg.agentId]) cfg = (await configStream.load(CONFIG_STREAM)).state;
    if (!cfg.agents[msg.agentId])
      throw new PoisonMessageError(new UnknownAgentInputError(msg.agentId).message);
    for (let attempt = 0; attempt < 8; attempt++) {
      const { state: view, version } = await agents.load(streamId);
      if (view.causes.includes(msg.messageId)) {
        stats.replays++;
        return;
      }
      let events: AgentEvent[];
      try {
        events = decideAgent(commandOf(msg.input, clock.now()), view.state);
      } catch (err) {
        if (err instanceof RoutingDomainError) {
          throw new PoisonMessageError(`${msg.input.type} refused for agent ${msg.agentId}: ${err.message}`, {
            cause: err,
          });
        }
        throw err;
      }
      if (events.length === 0) {
        stats.noops++;
        return;
      }
      try {
        await store.append([
          {
            streamId,
            expectedVersion: version === 0 ? "no_stream" : version,
            events: events.map((e, i) => ({
              eventId: eventIdFor(msg.messageId, streamId, i),
              type: e.type,
              data: e.data,
              metadata: { causationId: msg.messageId, correlationId: msg.agentId, actor: "agent-presence" },
            })),
          },
        ]);
        stats.decisions++;
        return;
      } catch (err) {
        if (!(err instanceof WrongExpectedVersionError)) throw err;
        stats.conflicts++;
      }
    }
    throw new Error(`agent ${msg.agentId}: too many version conflicts`);
  }

  // The view. One writer per key at a time in this process; across replicas the KV revision decides.
  const view = new Map<string, PresenceRecord>();
  const revisions = new Map<string, number>();

  async function current(agentId: string): Promise<PresenceRecord | undefined> {
    const mine = view.get(agentId);
    if (mine) return mine;
    const entry = await kv.get(presenceKey(agentId));
    if (entry?.operation !== "PUT") return undefined;
    const rec = entry.json<PresenceRecord>();
    view.set(agentId, rec);
    revisions.set(agentId, entry.revision);
    return rec;
  }

  async function write(rec: PresenceRecord): Promise<boolean> {
    const key = presenceKey(rec.agentId);
    const data = new TextEncoder().encode(JSON.stringify(rec));
    const revision = revisions.get(rec.agentId);
    try {
      const next = revision === undefined ? await kv.create(key, data) : await kv.update(key, data, revision);
      view.set(rec.agentId, rec);
      revisions.set(rec.agentId, next);
      return true;
    } catch (err) {
      // Another replica wrote first: forget ours and look again.
      log("debug", "presence entry changed under us", { agentId: rec.agentId, error: describe(err) });
      view.delete(rec.agentId);
      revisions.delete(rec.agentId);
      return false;
    }
  }

  async function apply(e: EventMessage): Promise<void> {
    const agentId = e.streamId.slice("agent-".length);
    for (let attempt = 0; attempt < 5; attempt++) {
      const rec = await current(agentId);
      const version = rec?.version ?? 0;
      if (e.version <= version) return;
      let state = rec?.state ?? INITIAL_AGENT;
      let at = version;
      if (e.version === version + 1) {
        state = evolveAgent(state, { type: e.type, data: e.data } as AgentEvent);
        at = e.version;
      } else {
        // A gap (events relayed out of order across streams never happens per stream, but a view entry may be
        // missing or behind after a restart): catch up from the store.
        stats.rebuilds++;
        for (const r of await store.readStream(e.streamId, { fromVersion: version + 1 })) {
          state = evolveAgent(state, { type: r.type, data: r.data } as AgentEvent);
          at = r.streamVersion;
        }
      }
      if (await write({ agentId, state, version: at, updatedAt: clock.now() })) {
        stats.applied++;
        return;
      }
    }
    throw new Error(`presence of ${agentId}: too many concurrent writers`);
  }

  const inputLocks = new KeyedLock();
  const viewLocks = new KeyedLock();
  const consumers: ConsumerHandle[] = [];
  consumers.push(
    await bus.consume<AgentInputMessage>({
      stream: AGENT_INPUTS,
      durable,
      ackWaitMs,
      maxDeliver: 20,
      concurrency: 8,
      decode: decodeAgentInput,
      handler: ({ payload }) => inputLocks.run(payload.agentId, () => handleInput(payload)),
      onError: (err, info, outcome) =>
        log(outcome === "dead-letter" ? "error" : "warn", `agent input ${outcome}`, {
          subject: info.subject,
          error: describe(err),
        }),
    }),
  );
  consumers.push(
    await bus.consume<EventMessage>({
      stream: "EVENTS",
      durable: `${durable}_view`,
      filterSubject: "evt.agent.>",
      ackWaitMs,
      maxDeliver: 20,
      concurrency: 8,
      handler: ({ payload }) => viewLocks.run(payload.streamId, () => apply(payload)),
    }),
  );
  log("info", "agent-presence started", { durable });

  return {
    stats: () => ({ ...stats }),
    view: () => view,
    async [Symbol.asyncDispose]() {
      await Promise.allSettled(consumers.map((c) => c.stop()));
    },
  };
}
