/// <reference lib="esnext.disposable" />
import {
  type Bus,
  type ConsumerHandle,
  deadLetterStreamSpec,
  eventsStreamSpec,
  PoisonMessageError,
} from "@switchyard/bus";
import { type Clock, type Random, systemClock, systemRandom } from "@switchyard/clock";
import {
  AGENT_INPUTS,
  type AgentInput,
  type AgentInputMessage,
  decodeAgentInputMessage,
  decodeEventMessage,
  type EventMessage,
  type PresenceRecord,
  presenceBucket,
  presenceKey,
  workStreams,
} from "@switchyard/contracts";
import {
  type Decision,
  DecisionRuntime,
  type DecisionView,
  projection,
  StreamCache,
  startDecisionConsumer,
} from "@switchyard/decision-runtime";
import { type EventStore, KeyedLock } from "@switchyard/event-store";
import {
  type AgentCommand,
  type AgentEvent,
  type AgentState,
  agentIdOfStream,
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
import { consoleLog, type ServiceLog, type ServiceLogLevel } from "@switchyard/telemetry";

export type PresenceLogLevel = ServiceLogLevel;
export type PresenceLog = ServiceLog;

export interface AgentPresenceConfig {
  readonly eventStore: { readonly store: Pick<EventStore, "appendMany" | "readStream"> };
  readonly bus: Bus;
  readonly clock?: Clock;
  /** Retry jitter (default the system's randomness). */
  readonly random?: Random;
  /** Agent inputs decided per batch (default 128). */
  readonly maxBatch?: number;
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

/** The agent decider refused the input (e.g. EndBreak while not on break): dead-lettered with this reason. */
export class AgentInputRefusedError extends Error {
  override readonly name = "AgentInputRefusedError";
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

const defaultLog: PresenceLog = consoleLog({ quiet: true });

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
  const stats = { replays: 0, applied: 0, rebuilds: 0 };

  await bus.ensureStreams([eventsStreamSpec(), deadLetterStreamSpec(), ...workStreams()]);
  const kv = await bus.keyValue<PresenceRecord>(config.presenceBucket ?? presenceBucket(bus.names.prefix));

  // The decided-on streams, kept write-through by the decision runtime.
  const agentView = projection<AgentView>("agent", { state: INITIAL_AGENT, causes: [] }, (s, e) => {
    const cause = e.metadata.causationId;
    return {
      state: evolveAgent(s.state, e as unknown as AgentEvent),
      causes: cause ? [...s.causes.slice(-63), cause] : s.causes,
    };
  });
  const configView = projection<ConfigSnapshot>("config", EMPTY_CONFIG, (s, e) =>
    evolveConfig(s, e as unknown as ConfigEvent),
  );
  const cache = new StreamCache(store, [agentView, configView]);

  /** The configuration (not checked at commit: a config change does not conflict with a sign-in). */
  async function configWith(agentId: string): Promise<ConfigSnapshot> {
    const cfg = (await cache.load<ConfigSnapshot>(CONFIG_STREAM)).state;
    if (cfg.agents[agentId]) return cfg;
    return (await cache.load<ConfigSnapshot>(CONFIG_STREAM, { fresh: true })).state;
  }

  async function decideInput(msg: AgentInputMessage, view: DecisionView): Promise<Decision> {
    const cfg = await configWith(msg.agentId);
    if (!cfg.agents[msg.agentId]) {
      return { kind: "refused", error: new UnknownAgentInputError(msg.agentId), deadLetter: true };
    }
    const streamId = agentStreamId(msg.agentId);
    const { state: agent, version } = await view.load<AgentView>(streamId);
    if (agent.causes.includes(msg.messageId)) {
      stats.replays++;
      return { kind: "noop" };
    }
    let events: AgentEvent[];
    try {
      events = decideAgent(commandOf(msg.input, view.now), agent.state);
    } catch (err) {
      if (!(err instanceof RoutingDomainError)) throw err;
      return {
        kind: "refused",
        error: new AgentInputRefusedError(
          `${msg.input.type} refused for agent ${msg.agentId}: ${err.message}`,
          {
            cause: err,
          },
        ),
        deadLetter: true,
      };
    }
    if (events.length === 0) return { kind: "noop" };
    return {
      kind: "write",
      writes: [
        {
          streamId,
          expectedVersion: version,
          events,
          metadata: { correlationId: msg.agentId },
        },
      ],
    };
  }

  const runtime = new DecisionRuntime<AgentInputMessage>({
    store,
    cache,
    clock,
    random: config.random ?? systemRandom,
    publish: () => Promise.resolve(),
    keyOf: (m) => m.agentId,
    messageIdOf: (m) => m.messageId,
    decide: decideInput,
    metadata: { actor: "agent-presence" },
  });

  // The view. One writer per key at a time in this process; across replicas the KV revision decides.
  const view = new Map<string, PresenceRecord>();
  const revisions = new Map<string, number>();

  async function current(agentId: string): Promise<PresenceRecord | undefined> {
    const mine = view.get(agentId);
    if (mine) return mine;
    const entry = await kv.get(presenceKey(agentId));
    if (!entry) return undefined;
    const rec = entry.value;
    view.set(agentId, rec);
    revisions.set(agentId, entry.revision);
    return rec;
  }

  async function write(rec: PresenceRecord): Promise<boolean> {
    const key = presenceKey(rec.agentId);
    const revision = revisions.get(rec.agentId);
    try {
      const next = revision === undefined ? await kv.create(key, rec) : await kv.update(key, rec, revision);
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
    const agentId = agentIdOfStream(e.streamId);
    // The consumer is filtered to agents' events.
    if (agentId === undefined) return;
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

  const viewLocks = new KeyedLock();
  const consumers: ConsumerHandle[] = [];
  consumers.push(
    await startDecisionConsumer(bus, runtime, {
      stream: AGENT_INPUTS,
      durable,
      ackWaitMs,
      maxDeliver: 20,
      maxBatch: config.maxBatch ?? 128,
      decode: decodeAgentInputMessage,
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
      decode: decodeEventMessage,
      handler: ({ payload }) => viewLocks.run(payload.streamId, () => apply(payload)),
    }),
  );
  log("info", "agent-presence started", { durable });

  return {
    stats: () => {
      const r = runtime.stats();
      return { ...stats, decisions: r.decisions, noops: r.noops - stats.replays, conflicts: r.conflicts };
    },
    view: () => view,
    async [Symbol.asyncDispose]() {
      await Promise.allSettled(consumers.map((c) => c.stop()));
    },
  };
}
