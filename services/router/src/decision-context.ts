// What a call's decision reads: the call stream, the configuration, the presence of the agents it may
// offer or holds, and the queue and round-robin streams of the groups its flow can reach.
import type { CallInputMessage } from "@switchyard/contracts";
import { type DecisionView, projection, type StreamCache } from "@switchyard/decision-runtime";
import {
  type AgentEvent,
  type AgentState,
  agentStreamId,
  agentsHeldBy,
  type CallEvent,
  type CallState,
  CONFIG_STREAM,
  type ConfigEvent,
  type ConfigSnapshot,
  capsExternalLegs,
  type DecisionContext,
  EMPTY_CONFIG,
  EMPTY_EXTERNAL_LEGS,
  EMPTY_QUEUE,
  EXTERNAL_LEGS_STREAM,
  type ExternalLegsEvent,
  type ExternalLegsState,
  evolveAgent,
  evolveCall,
  evolveConfig,
  evolveExternalLegs,
  evolveGroup,
  evolveQueue,
  type GroupEvent,
  type GroupRuntimeState,
  type GroupView,
  groupStreamId,
  INITIAL_AGENT,
  INITIAL_CALL,
  type QueueEvent,
  type QueueState,
  type QueueView,
  queueStreamId,
  strategyModule,
} from "@switchyard/routing-domain";
import { INDEXED_GROUP_SIZE, type PresenceView } from "./presence-view.js";

/** A call stream as the router keeps it: the state, each event with its id and cause, the call's gateway. */
export interface CallView {
  readonly call: CallState;
  readonly events: ReadonlyArray<{
    readonly eventId: string;
    readonly event: CallEvent;
    readonly causationId?: string;
  }>;
  readonly gatewayId?: string;
  /**
   * The call's trace: the trace id of its first event's `traceparent` and the latest traceparent in that
   * trace. An input that arrives in another trace (an agent freed by another call, an admin RPC) is decided
   * under `last`, so the call stays one trace (`tracedDecide`).
   */
  readonly trace?: { readonly traceId: string; readonly last: string };
  /** The caller's current wait in a queue (platform ms) and the traceparent of the append that began it. */
  readonly enqueued?: { readonly queue: string; readonly at: number; readonly traceparent?: string };
}

export const EMPTY_CALL_VIEW: CallView = { call: INITIAL_CALL, events: [] };

/** The call's trace after an event with this `traceparent` (W3C: version-traceid-spanid-flags). */
function callTrace(trace: CallView["trace"], traceparent: unknown): CallView["trace"] {
  if (typeof traceparent !== "string") return trace;
  const traceId = traceparent.split("-")[1];
  if (!traceId) return trace;
  if (!trace) return { traceId, last: traceparent };
  return traceId === trace.traceId ? { traceId, last: traceparent } : trace;
}

/** The caller's wait after an event: begins at CallerEnqueued, ends at CallerDequeued or the call's end. */
function queueWait(wait: CallView["enqueued"], event: CallEvent, traceparent: unknown): CallView["enqueued"] {
  switch (event.type) {
    case "CallerEnqueued":
      return {
        queue: event.data.groupId,
        at: event.data.enqueuedAt,
        ...(typeof traceparent === "string" ? { traceparent } : {}),
      };
    case "CallerDequeued":
    case "CallEnded":
      return undefined;
    default:
      return wait;
  }
}

/** The streams a router decides on, kept write-through by the decision runtime. */
export const projections = [
  projection<CallView>("call", EMPTY_CALL_VIEW, (s, e) => {
    const event = e as unknown as CallEvent;
    const gatewayId = s.gatewayId ?? (e.metadata.gatewayId as string | undefined);
    const causationId = e.metadata.causationId;
    const trace = callTrace(s.trace, e.metadata.traceparent);
    const enqueued = queueWait(s.enqueued, event, e.metadata.traceparent);
    return {
      call: evolveCall(s.call, event),
      events: [...s.events, { eventId: e.eventId, event, ...(causationId ? { causationId } : {}) }],
      ...(gatewayId ? { gatewayId } : {}),
      ...(trace ? { trace } : {}),
      ...(enqueued ? { enqueued } : {}),
    };
  }),
  projection<AgentState>("agent", INITIAL_AGENT, (s, e) => evolveAgent(s, e as unknown as AgentEvent)),
  projection<QueueState>("queue", EMPTY_QUEUE, (s, e) => evolveQueue(s, e as unknown as QueueEvent)),
  projection<GroupRuntimeState>("group", {}, (s, e) => evolveGroup(s, e as unknown as GroupEvent)),
  projection<ConfigSnapshot>("config", EMPTY_CONFIG, (s, e) => evolveConfig(s, e as unknown as ConfigEvent)),
  projection<ExternalLegsState>("account", EMPTY_EXTERNAL_LEGS, (s, e) =>
    evolveExternalLegs(s, e as unknown as ExternalLegsEvent),
  ),
];

/**
 * The configuration, cached. Not checked at commit: a call decides on the config version it started with
 * or a later one; new calls see changes because every round with a StartCall refreshes it.
 */
export class ConfigSource {
  #refreshedAt = Number.NEGATIVE_INFINITY;
  constructor(private readonly cache: StreamCache) {}

  current(): ConfigSnapshot {
    return this.cache.cached<ConfigSnapshot>(CONFIG_STREAM)?.state ?? EMPTY_CONFIG;
  }

  async refresh(): Promise<ConfigSnapshot> {
    this.#refreshedAt = performance.now();
    return (await this.cache.load<ConfigSnapshot>(CONFIG_STREAM, { fresh: true })).state;
  }

  /** At least `version`; also refreshed when older than `maxAgeMs` of real time. */
  async atLeast(version: number, maxAgeMs = 1_000): Promise<ConfigSnapshot> {
    const cfg = this.cache.cached<ConfigSnapshot>(CONFIG_STREAM);
    if (!cfg || cfg.state.version < version || performance.now() - this.#refreshedAt > maxAgeMs) {
      return this.refresh();
    }
    return cfg.state;
  }
}

export interface CallContext {
  readonly ctx: DecisionContext;
  /** Every agent the decision may consider (the flow's groups and agents, the agents the call holds). */
  readonly agentIds: ReadonlySet<string>;
}

/**
 * The decision context of one input. Streams are loaded (cached when possible) here; the decision reads
 * them lazily, and only what it reads is checked at commit.
 */
export async function callContext(
  cache: StreamCache,
  presence: PresenceView,
  view: DecisionView,
  state: CallState,
  input: CallInputMessage["input"],
  cfg: ConfigSnapshot,
  /** Agents whose view proved stale: read from their streams. */
  staleAgents: ReadonlySet<string>,
): Promise<CallContext> {
  const flowId = input.type === "StartCall" ? cfg.numbers[input.to]?.flowId : state.flowId;
  const flow = flowId === undefined ? undefined : cfg.flows[flowId];
  const groupIds = new Set<string>();
  const agentIds = new Set<string>(agentsHeldBy(state));
  const addTarget = (t: { kind: string; groupId?: string; agentId?: string } | undefined) => {
    if (t?.kind === "group" && t.groupId) groupIds.add(t.groupId);
    if (t?.kind === "agent" && t.agentId) agentIds.add(t.agentId);
  };
  for (const applet of Object.values(flow?.applets ?? {})) {
    if (applet.kind === "connect") addTarget(applet.target);
  }
  if (input.type === "RequestTransfer") addTarget(input.target);
  addTarget(state.transfer?.target);
  if (input.type === "OfferAgent") agentIds.add(input.agentId);
  for (const g of groupIds) {
    // A large group is chosen from its index: its members are not listed (nor re-read when none is free).
    const members = cfg.groups[g]?.members ?? [];
    if (members.length < INDEXED_GROUP_SIZE) for (const a of members) agentIds.add(a);
  }
  // Agents the call holds are read fresh from the store and checked at commit: releasing or ending a call
  // on a lagging view silently decides nothing, with no write to conflict on, and the agent stays reserved
  // or on the call for good. Both views can lag: the KV bucket while the relay is down, this router's cache
  // when other routers decided the call's last inputs (found by the chaos run, seed s2: an agent left
  // onCall after a relay restart). Agents whose view proved stale are read too.
  const loads: Array<Promise<unknown>> = [];
  const held = new Set(agentsHeldBy(state));
  for (const a of held) loads.push(view.load(agentStreamId(a), { fresh: true }));
  for (const a of staleAgents) {
    if (!held.has(a) && !view.peek(agentStreamId(a))) loads.push(cache.load(agentStreamId(a)));
  }
  for (const g of groupIds) {
    const group = cfg.groups[g];
    if (!group) continue;
    if (group.queue.enabled && !view.peek(queueStreamId(g))) loads.push(cache.load(queueStreamId(g)));
    if (strategyModule(group.strategy).keepsCursor === true && !view.peek(groupStreamId(g)))
      loads.push(cache.load(groupStreamId(g)));
  }
  // Capped dialling: the account's external legs, read (and checked at commit) only by a decision that
  // dials or ends a phone leg.
  const capped = capsExternalLegs(cfg.account.dialPolicy);
  if (capped && !view.peek(EXTERNAL_LEGS_STREAM)) loads.push(cache.load(EXTERNAL_LEGS_STREAM));
  await Promise.all(loads);
  return {
    ctx: {
      config: cfg,
      presence: presence.lazy(view),
      queues: lazyStreams<QueueState>(view, queueStreamId) as QueueView,
      groups: lazyStreams<GroupRuntimeState>(view, groupStreamId) as GroupView,
      memberIndex: (groupId) => presence.memberIndex(groupId, cfg),
      ...(capped ? { externalLegs: () => view.read<ExternalLegsState>(EXTERNAL_LEGS_STREAM) } : {}),
    },
    agentIds,
  };
}

/** groupId → a loaded stream of that group, read (and so checked at commit) only when looked up. */
function lazyStreams<S>(view: DecisionView, streamIdOf: (groupId: string) => string) {
  return new Proxy({} as Record<string, { state: S; version: number }>, {
    get: (_, key) => {
      if (typeof key !== "string") return undefined;
      const id = streamIdOf(key);
      return view.peek(id) ? view.read<S>(id) : undefined;
    },
  });
}
