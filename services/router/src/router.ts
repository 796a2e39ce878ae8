/// <reference lib="esnext.disposable" />

import { hostname } from "node:os";
import {
  type Bus,
  type BusMessage,
  type ConsumerHandle,
  deadLetterStreamSpec,
  type EventMessage,
  eventsStreamSpec,
  PoisonMessageError,
} from "@switchyard/bus";
import { type Clock, systemClock } from "@switchyard/clock";
import {
  type AgentInputMessage,
  agentInputSubject,
  CALL_INPUTS,
  type CallInputMessage,
  callInputSubject,
  type LegCommandMessage,
  legCommandSubject,
  type PresenceRecord,
  presenceBucket,
  TIMERS,
  type TimerMessage,
  timerSubject,
  workStreams,
} from "@switchyard/contracts";
import {
  type EventStore,
  eventIdFor,
  FoldedStreams,
  KeyedLock,
  type StreamAppend,
  WrongExpectedVersionError,
} from "@switchyard/event-store";
import {
  type AgentEvent,
  type AgentState,
  agentStreamId,
  agentsHeldBy,
  type CallCommand,
  type CallEvent,
  CallNotQueuedError,
  type CallState,
  CONFIG_STREAM,
  type ConfigEvent,
  type ConfigSnapshot,
  callStreamId,
  type DecisionContext,
  decideCall,
  decisionWrites,
  EMPTY_CONFIG,
  EMPTY_QUEUE,
  evolveAgent,
  evolveCall,
  evolveConfig,
  evolveGroup,
  evolveQueue,
  type GroupEvent,
  type GroupRuntimeState,
  type GroupView,
  groupStreamId,
  INITIAL_AGENT,
  INITIAL_CALL,
  isOfferable,
  legCommandOf,
  nextCallerFor,
  type PresenceEntry,
  type QueueEvent,
  type QueueState,
  type QueueView,
  queueStreamId,
  RoutingDomainError,
} from "@switchyard/routing-domain";
import type { KV } from "nats";
import { decodeCallInput, decodeTimer } from "./decode.js";

export type RouterLogLevel = "debug" | "info" | "warn" | "error";
export type RouterLog = (
  level: RouterLogLevel,
  message: string,
  fields?: Readonly<Record<string, unknown>>,
) => void;

export interface RouterConfig {
  readonly eventStore: { readonly store: Pick<EventStore, "append" | "readStream"> };
  /** Already connected, with the deployment's prefix. */
  readonly bus: Bus;
  /** The one platform clock (default: the system clock). */
  readonly clock?: Clock;
  /** Where leg commands go when neither the input nor the call names a gateway (default "default"). */
  readonly gatewayId?: string;
  /** Call inputs handled at once by this instance (default 16). */
  readonly concurrency?: number;
  /** Durable consumer base name shared by all router replicas (default "router"). */
  readonly durable?: string;
  /** Redelivery of an unacked input after a crash (default 10 s real time). */
  readonly ackWaitMs?: number;
  /** Presence KV bucket (default `<prefix>_presence`). */
  readonly presenceBucket?: string;
  /** Decide attempts after version conflicts before the input is nak-ed for later (default 8). */
  readonly maxAttempts?: number;
  /** Recorded in each event's metadata as `router` (default `<hostname>:<pid>`). */
  readonly instanceId?: string;
  readonly log?: RouterLog;
}

export interface RouterStats {
  /** Inputs whose decision was appended. */
  readonly decisions: number;
  /** Inputs that changed nothing (stale). */
  readonly noops: number;
  /** Redelivered inputs whose decision was already stored (side effects re-published only). */
  readonly replays: number;
  readonly conflicts: number;
  /** Decisions re-taken after reading agents the view showed unavailable (nobody could be offered the call). */
  readonly verifications: number;
  readonly refused: number;
  readonly timersFired: number;
  readonly offers: number;
  /** Wall-clock ms from taking a call input to having its effects published (last 2,000 decisions). */
  readonly decisionMs: { readonly p50: number; readonly p99: number };
}

export interface Router extends AsyncDisposable {
  stats(): RouterStats;
}

interface CallView {
  readonly call: CallState;
  readonly events: ReadonlyArray<{
    readonly eventId: string;
    readonly event: CallEvent;
    readonly causationId?: string;
  }>;
  readonly gatewayId?: string;
}

const EMPTY_CALL_VIEW: CallView = { call: INITIAL_CALL, events: [] };

/** Agent events after which the agent may take a queued caller. */
const AVAILABLE_AFTER = new Set(["AgentReleased", "AgentWrapUpEnded", "AgentSignedIn", "AgentBreakEnded"]);

const describe = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}` : String(err);

const defaultLog: RouterLog = (level, message, fields) => {
  if (level === "debug" || level === "info") return;
  console.error(JSON.stringify({ level, msg: message, ...fields }));
};

/**
 * The router: runs each call's flow with the routing domain. Stateless apart from caches (every decision is
 * appended with the expected version of each stream it read), so any number of replicas may share its
 * durable consumers.
 */
export async function start(config: RouterConfig): Promise<Router> {
  const { bus } = config;
  const { store } = config.eventStore;
  const clock = config.clock ?? systemClock;
  const log = config.log ?? defaultLog;
  const durable = config.durable ?? "router";
  const defaultGateway = config.gatewayId ?? "default";
  const ackWaitMs = config.ackWaitMs ?? 10_000;
  const maxAttempts = config.maxAttempts ?? 8;
  const instanceId = config.instanceId ?? `${hostname()}:${process.pid}`;
  const stats = {
    decisions: 0,
    noops: 0,
    replays: 0,
    conflicts: 0,
    verifications: 0,
    refused: 0,
    timersFired: 0,
    offers: 0,
  };

  await bus.ensureStreams([eventsStreamSpec(), deadLetterStreamSpec(), ...workStreams()]);
  const latencies: number[] = [];
  const percentile = (q: number): number => {
    if (latencies.length === 0) return 0;
    const sorted = [...latencies].sort((a, b) => a - b);
    return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
  };

  // Views, each with the stream version it reflects.
  // Call views are only ever read from the store (never advanced locally): they need the recorded metadata.
  const calls = new FoldedStreams<CallView>(store, EMPTY_CALL_VIEW, (s, e, r) => {
    const event = e as CallEvent;
    const gatewayId = s.gatewayId ?? (r?.metadata.gatewayId as string | undefined);
    const causationId = r?.metadata.causationId;
    return {
      call: evolveCall(s.call, event),
      events: [...s.events, { eventId: r?.eventId ?? "", event, ...(causationId ? { causationId } : {}) }],
      ...(gatewayId ? { gatewayId } : {}),
    };
  });
  const agentStreams = new FoldedStreams<AgentState>(store, INITIAL_AGENT, (s, e) =>
    evolveAgent(s, e as AgentEvent),
  );
  const queueStreams = new FoldedStreams<QueueState>(store, EMPTY_QUEUE, (s, e) =>
    evolveQueue(s, e as QueueEvent),
  );
  const groupStreams = new FoldedStreams<GroupRuntimeState>(store, {}, (s, e) =>
    evolveGroup(s, e as GroupEvent),
  );
  const configStream = new FoldedStreams<ConfigSnapshot>(store, EMPTY_CONFIG, (s, e) =>
    evolveConfig(s, e as ConfigEvent),
  );
  let configReadAt = 0;

  async function configFor(minVersion: number, fresh: boolean): Promise<ConfigSnapshot> {
    const cached = configStream.cached(CONFIG_STREAM);
    // Refresh by version: a call needs at least the config it started with; new calls see changes within 1 s.
    if (!cached || fresh || cached.version < minVersion || Date.now() - configReadAt > 1_000) {
      configReadAt = Date.now();
      return (await configStream.load(CONFIG_STREAM)).state;
    }
    return cached.state;
  }

  // The presence view: a live copy of agent-presence's KV bucket, kept by a watcher.
  const presence = new Map<string, PresenceRecord>();
  const kv: KV = await bus.connection
    .jetstream()
    .views.kv(config.presenceBucket ?? presenceBucket(bus.names.prefix), { history: 1 });
  const watcher = await kv.watch({ key: ">" });
  const watching = (async () => {
    for await (const entry of watcher) {
      if (entry.operation !== "PUT") continue;
      try {
        const rec = entry.json<PresenceRecord>();
        const had = presence.get(rec.agentId);
        if (!had || had.version < rec.version) presence.set(rec.agentId, rec);
      } catch (err) {
        log("warn", "unreadable presence entry", { key: entry.key, error: describe(err) });
      }
    }
  })();

  /** Presence of one agent: the view, or the agent stream read by this router when that is newer. */
  function presenceOf(agentId: string): PresenceEntry | undefined {
    const view = presence.get(agentId);
    const own = agentStreams.cached(agentStreamId(agentId));
    if (own && (!view || own.version > view.version)) return own;
    return view ? { state: view.state, version: view.version } : undefined;
  }

  async function contextFor(
    state: CallState,
    input: CallInputMessage["input"],
    cfg: ConfigSnapshot,
    staleAgents: ReadonlySet<string>,
    freshStreams: ReadonlySet<string>,
  ): Promise<{ ctx: DecisionContext; agentIds: ReadonlySet<string> }> {
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
    for (const g of groupIds) for (const a of cfg.groups[g]?.members ?? []) agentIds.add(a);
    // Agents the call holds are read from the store: releasing or ending a call on a lagging view would
    // silently decide nothing (the agent would stay reserved). So are agents whose view proved stale.
    const mustRead = new Set([...staleAgents, ...agentsHeldBy(state)]);
    await Promise.all(
      [...mustRead].map((a) => {
        const id = agentStreamId(a);
        return agentStreams.load(id, { fresh: freshStreams.has(id) });
      }),
    );
    const presenceView: Record<string, PresenceEntry> = {};
    for (const a of agentIds) {
      const p = presenceOf(a);
      if (p) presenceView[a] = p;
    }
    const queues: Record<string, { state: QueueState; version: number }> = {};
    const groups: Record<string, { state: GroupRuntimeState; version: number }> = {};
    await Promise.all(
      [...groupIds].map(async (g) => {
        const group = cfg.groups[g];
        if (!group) return;
        const [q, r] = await Promise.all([
          group.queue.enabled
            ? queueStreams.load(queueStreamId(g), { fresh: freshStreams.has(queueStreamId(g)) })
            : undefined,
          group.strategy === "roundRobin"
            ? groupStreams.load(groupStreamId(g), { fresh: freshStreams.has(groupStreamId(g)) })
            : undefined,
        ]);
        if (q) queues[g] = q;
        if (r) groups[g] = r;
      }),
    );
    return {
      ctx: { config: cfg, presence: presenceView, queues: queues as QueueView, groups: groups as GroupView },
      agentIds,
    };
  }

  async function publishEffects(
    view: { callId: string; callerLegId: string; gatewayId: string },
    events: ReadonlyArray<{ eventId: string; event: CallEvent }>,
  ): Promise<void> {
    const acks: Array<Promise<unknown>> = [];
    const at = clock.now();
    for (const { eventId, event } of events) {
      const command = legCommandOf(event);
      if (command) {
        const message: LegCommandMessage = {
          commandId: eventId,
          callId: view.callId,
          command,
          callerLegId: view.callerLegId,
          at,
        };
        acks.push(bus.publish(legCommandSubject(view.gatewayId), message, { msgId: eventId }));
      }
      if (event.type === "TimerScheduled") {
        const timer: TimerMessage = {
          timerId: event.data.timerId,
          callId: view.callId,
          dueAt: event.data.dueAt,
        };
        acks.push(bus.publish(timerSubject(view.callId), timer, { msgId: event.data.timerId }));
      }
    }
    await Promise.all(acks);
  }

  /** Domain refusals of inputs that are routinely stale by the time they arrive (offers to a call no longer waiting, an agent taken meanwhile). */
  const routineRefusal = (input: CallInputMessage["input"], err: unknown): boolean =>
    input.type === "OfferAgent" || input.type === "QueueChanged" || err instanceof CallNotQueuedError;

  async function handleInput(msg: CallInputMessage): Promise<{ nak: number } | undefined> {
    const streamId = callStreamId(msg.callId);
    const staleAgents = new Set<string>();
    const freshStreams = new Set<string>();
    let verified = false;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const view = (await calls.load(streamId, { fresh: freshStreams.has(streamId) })).state;
      const callView = () => ({
        callId: msg.callId,
        callerLegId: view.call.callerLegId,
        gatewayId: view.gatewayId ?? msg.gatewayId ?? defaultGateway,
      });
      const already = view.events.filter((e) => e.causationId === msg.messageId);
      if (already.length > 0) {
        // Redelivered after its decision was stored: only make sure its effects went out.
        stats.replays++;
        await publishEffects(callView(), already);
        return undefined;
      }
      const cfg = await configFor(view.call.configVersion, attempt > 0 || msg.input.type === "StartCall");
      const { ctx, agentIds } = await contextFor(view.call, msg.input, cfg, staleAgents, freshStreams);
      const command = { ...msg.input, now: clock.now() } as CallCommand;
      let writes: ReturnType<typeof decisionWrites>;
      let callEvents: readonly CallEvent[];
      try {
        const decision = decideCall(command, view.call, ctx);
        writes = decisionWrites(decision);
        callEvents = decision.call.events;
      } catch (err) {
        if (!(err instanceof RoutingDomainError)) throw err;
        stats.refused++;
        if (routineRefusal(msg.input, err)) {
          log("debug", "input refused", { callId: msg.callId, input: msg.input.type, error: describe(err) });
          return undefined;
        }
        throw new PoisonMessageError(`${msg.input.type} refused for call ${msg.callId}: ${describe(err)}`, {
          cause: err,
        });
      }
      if (writes.length === 0) {
        stats.noops++;
        return undefined;
      }
      if (!verified && callEvents.some((e) => e.type === "RoutingDecided" && e.data.legs.length === 0)) {
        // Nobody could be offered the call: before queueing or falling back, make sure that is not just the
        // presence view lagging (an agent freed a moment ago) by reading the unavailable agents' streams.
        verified = true;
        const unavailable = [...agentIds].filter((a) => ctx.presence[a]?.state.status !== "available");
        if (unavailable.length > 0) {
          for (const a of unavailable) staleAgents.add(a);
          stats.verifications++;
          attempt--;
          continue;
        }
      }
      const gatewayId = view.gatewayId ?? msg.gatewayId;
      const ids = new Map<string, string[]>();
      const appends: StreamAppend[] = writes.map((w) => {
        const eventIds = w.events.map((_, i) => eventIdFor(msg.messageId, w.streamId, i));
        ids.set(w.streamId, eventIds);
        return {
          streamId: w.streamId,
          expectedVersion: w.expectedVersion === 0 ? "no_stream" : w.expectedVersion,
          events: w.events.map((e, i) => ({
            eventId: eventIds[i]!,
            type: e.type,
            data: e.data,
            metadata: {
              causationId: msg.messageId,
              correlationId: msg.callId,
              actor: "router",
              router: instanceId,
              ...(w.streamId === streamId && gatewayId ? { gatewayId } : {}),
            },
          })),
        };
      });
      try {
        await store.append(appends);
      } catch (err) {
        if (!(err instanceof WrongExpectedVersionError)) throw err;
        stats.conflicts++;
        if (err.streamId.startsWith("agent-")) staleAgents.add(err.streamId.slice("agent-".length));
        freshStreams.add(err.streamId);
        // Several inputs raced for one stream (a queue, a group cursor): spread the retries out.
        await new Promise((r) => setTimeout(r, Math.random() * 5 * (attempt + 1)));
        log("debug", "version conflict, deciding again", {
          callId: msg.callId,
          stream: err.streamId,
          attempt,
        });
        continue;
      }
      stats.decisions++;
      for (const w of writes) {
        if (!w.streamId.startsWith("agent-")) continue;
        const base = ctx.presence[w.streamId.slice("agent-".length)] ?? { state: INITIAL_AGENT, version: 0 };
        if (base.version === w.expectedVersion) agentStreams.advance(w.streamId, base, w.events);
      }
      const callIds = ids.get(streamId) ?? [];
      const after = evolveAllCall(view.call, callEvents);
      await publishEffects(
        {
          callId: msg.callId,
          callerLegId: after.callerLegId,
          gatewayId: gatewayId ?? defaultGateway,
        },
        callEvents.map((event, i) => ({ eventId: callIds[i]!, event })),
      );
      return undefined;
    }
    log("warn", "too many version conflicts, retrying later", { callId: msg.callId, input: msg.input.type });
    return { nak: 200 + Math.floor(Math.random() * 300) };
  }

  const evolveAllCall = (s: CallState, events: readonly CallEvent[]): CallState =>
    events.reduce(evolveCall, s);

  const callLocks = new KeyedLock();
  const consumers: ConsumerHandle[] = [];

  consumers.push(
    await bus.consume<CallInputMessage>({
      stream: CALL_INPUTS,
      durable,
      ackWaitMs,
      maxDeliver: 50,
      concurrency: config.concurrency ?? 16,
      decode: decodeCallInput,
      handler: (m: BusMessage<CallInputMessage>) =>
        callLocks.run(m.payload.callId, async () => {
          const t0 = performance.now();
          const result = await handleInput(m.payload);
          latencies.push(performance.now() - t0);
          if (latencies.length > 2_000) latencies.shift();
          return result;
        }),
      onError: (err, info, outcome) =>
        log(outcome === "dead-letter" ? "error" : "warn", `call input ${outcome}`, {
          subject: info.subject,
          delivery: info.deliveryCount,
          error: describe(err),
        }),
    }),
  );

  // Durable timers: nak-ed until due (nak counts as a delivery on nats-server 2.9, hence the huge maxDeliver).
  consumers.push(
    await bus.consume<TimerMessage>({
      stream: TIMERS,
      durable: `${durable}_timers`,
      ackWaitMs,
      maxDeliver: 1_000_000,
      maxAckPending: 100_000,
      concurrency: 8,
      prefetch: 256,
      decode: decodeTimer,
      handler: async ({ payload: t }) => {
        const wait = t.dueAt - clock.now();
        if (wait > 0) return { nak: Math.min(Math.max(clock.realDelay(wait), 5), 60_000) };
        stats.timersFired++;
        if (t.kind === "cooldownEnd" && t.agentId !== undefined) {
          await offerNextCaller(t.agentId, `offer:${t.timerId}`);
          return undefined;
        }
        if (t.agentId !== undefined) {
          const message: AgentInputMessage = {
            messageId: `wrapup:${t.timerId}`,
            agentId: t.agentId,
            input: { type: "EndWrapUp", callId: t.callId },
            at: clock.now(),
          };
          await bus.publish(agentInputSubject(t.agentId), message, { msgId: message.messageId });
          return undefined;
        }
        const message: CallInputMessage = {
          messageId: `timer:${t.timerId}`,
          callId: t.callId,
          input: { type: "TimerFired", timerId: t.timerId },
          at: clock.now(),
        };
        await bus.publish(callInputSubject(t.callId), message, { msgId: message.messageId });
        return undefined;
      },
    }),
  );

  async function offer(callId: string, agentId: string, messageId: string): Promise<void> {
    stats.offers++;
    const message: CallInputMessage = {
      messageId,
      callId,
      input: { type: "OfferAgent", agentId },
      at: clock.now(),
    };
    await bus.publish(callInputSubject(callId), message, { msgId: messageId });
  }

  /**
   * Offers the agent the longest-waiting caller of their queues, if the agent (read from the store: the event
   * that freed them may have paused them in the same transaction) can be offered a call now.
   */
  async function offerNextCaller(agentId: string, messageId: string): Promise<void> {
    const [cfg, agent] = await Promise.all([configFor(0, false), agentStreams.load(agentStreamId(agentId))]);
    const queues: Record<string, { state: QueueState; version: number }> = {};
    await Promise.all(
      Object.values(cfg.groups)
        .filter((g) => g.queue.enabled && g.members.includes(agentId))
        .map(async (g) => {
          queues[g.groupId] = await queueStreams.load(queueStreamId(g.groupId));
        }),
    );
    const next = nextCallerFor(agentId, queues, cfg, { state: agent.state, now: clock.now() });
    if (next) await offer(next.callId, agentId, messageId);
  }

  // Agents freed or signed in: offer them the longest-waiting caller of their queues; wrap-up ends.
  consumers.push(
    await bus.consume<EventMessage>({
      stream: "EVENTS",
      durable: `${durable}_agents`,
      filterSubject: "evt.agent.>",
      deliverPolicy: "new",
      ackWaitMs,
      maxDeliver: 20,
      concurrency: 4,
      handler: async ({ payload: e }) => {
        const agentId = e.streamId.slice("agent-".length);
        if (e.type === "AgentCallEnded") {
          const data = e.data as { callId: string; wrapUpEndsAt?: number };
          if (data.wrapUpEndsAt !== undefined) {
            const timer: TimerMessage = {
              timerId: `wrapup:${e.id}`,
              callId: data.callId,
              dueAt: data.wrapUpEndsAt,
              agentId,
            };
            await bus.publish(timerSubject(data.callId), timer, { msgId: timer.timerId });
            return;
          }
        } else if (!AVAILABLE_AFTER.has(e.type)) {
          return;
        }
        const cooldownUntil = (e.data as { cooldownUntil?: number }).cooldownUntil;
        if (e.type === "AgentReleased" && cooldownUntil !== undefined) {
          // A missed offer with a cooldown: the agent's next chance at a queued caller is its end.
          const timer: TimerMessage = {
            timerId: `cooldown:${e.id}`,
            callId: (e.data as { callId: string }).callId,
            dueAt: cooldownUntil,
            agentId,
            kind: "cooldownEnd",
          };
          await bus.publish(timerSubject(timer.callId), timer, { msgId: timer.timerId });
        }
        await offerNextCaller(agentId, `offer:${e.id}`);
      },
    }),
  );

  // Queue changes: tell waiting callers (position announcements) and match waiting callers with idle members.
  consumers.push(
    await bus.consume<EventMessage>({
      stream: "EVENTS",
      durable: `${durable}_queues`,
      filterSubject: "evt.queue.>",
      deliverPolicy: "new",
      ackWaitMs,
      maxDeliver: 20,
      concurrency: 4,
      handler: async ({ payload: e }) => {
        const groupId = e.streamId.slice("queue-".length);
        const cause = (e.data as { callId?: string }).callId;
        const [queue, cfg] = await Promise.all([queueStreams.load(e.streamId), configFor(0, false)]);
        // Only position announcements care about queue changes; without them, telling callers is wasted work.
        const announces = cfg.groups[groupId]?.queue.announcePosition === true;
        const waiting = announces ? queue.state.entries.filter((q) => q.callId !== cause) : [];
        const sends: Array<Promise<unknown>> = waiting.map((q) => {
          const message: CallInputMessage = {
            messageId: `qc:${e.id}:${q.callId}`,
            callId: q.callId,
            input: { type: "QueueChanged" },
            at: clock.now(),
          };
          return bus.publish(callInputSubject(q.callId), message, { msgId: message.messageId });
        });
        // A caller may have queued while an agent was freed (the views lag): pair idle members with callers.
        const idle = (cfg.groups[groupId]?.members ?? [])
          .map((a) => ({ a, p: presenceOf(a) }))
          .filter((x) => x.p !== undefined && isOfferable(x.p.state, clock.now()))
          .sort((x, y) => (x.p!.state.idleSince ?? 0) - (y.p!.state.idleSince ?? 0));
        queue.state.entries.slice(0, idle.length).forEach((q, i) => {
          sends.push(offer(q.callId, idle[i]!.a, `offer:${e.id}:${idle[i]!.a}`));
        });
        await Promise.all(sends);
      },
    }),
  );

  log("info", "router started", { durable, gateway: defaultGateway });

  return {
    stats: () => ({ ...stats, decisionMs: { p50: percentile(0.5), p99: percentile(0.99) } }),
    async [Symbol.asyncDispose]() {
      await Promise.allSettled(consumers.map((c) => c.stop()));
      watcher.stop();
      await watching.catch(() => undefined);
    },
  };
}
