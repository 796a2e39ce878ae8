/// <reference lib="esnext.disposable" />
// The router's wiring: which consumers, which decider, which effects. The decision loop itself (batches,
// cached streams, grouped appends, conflicts, pipelined effects) is the decision runtime's.
//
//   call-decisions.ts    one call input → one decision (decideCall over the decision context)
//   decision-context.ts  what a call's decision reads; the cached projections; the config
//   presence-view.ts     agent presence: the KV view and the router's own agent streams
//   effects.ts           leg commands, timers and offers a decision makes happen
//   queue-matching.ts    freed agents and queue changes → OfferAgent (routing policy in the domain)
//   timers.ts            durable timers → inputs
import { hostname } from "node:os";
import { type Bus, type ConsumerHandle, deadLetterStreamSpec, eventsStreamSpec } from "@switchyard/bus";
import { type Clock, type Random, systemClock, systemRandom } from "@switchyard/clock";
import {
  CALL_INPUTS,
  type CallInputMessage,
  decodeCallInputMessage,
  decodeEventMessage,
  decodeTimerMessage,
  type EventMessage,
  TIMERS,
  type TimerMessage,
  workStreams,
} from "@switchyard/contracts";
import { DecisionRuntime, StreamCache, startDecisionConsumer } from "@switchyard/decision-runtime";
import type { EventStore } from "@switchyard/event-store";
import { callStreamId } from "@switchyard/routing-domain";
import { callDecider } from "./call-decisions.js";
import { type CallView, ConfigSource, projections } from "./decision-context.js";
import { defaultLog, describe, type RouterLog } from "./log.js";
import { PresenceView } from "./presence-view.js";
import { queueMatching } from "./queue-matching.js";
import { inMessageContext, recordBatch, tracedDecide, tracedPublish, tracedStore } from "./telemetry.js";
import { timerHandler } from "./timers.js";

/** The cached call has ended (committed: the cache is never ahead of the log). False when not cached. */
function callEndedInCache(cache: StreamCache, callId: string): boolean {
  return cache.cached<CallView>(callStreamId(callId))?.state.call.status === "ended";
}

export type { RouterLog, RouterLogLevel } from "./log.js";

export interface RouterConfig {
  readonly eventStore: { readonly store: Pick<EventStore, "appendMany" | "readStream"> };
  /** Already connected, with the deployment's prefix. */
  readonly bus: Bus;
  /** The one platform clock (default: the system clock). */
  readonly clock?: Clock;
  /** Retry jitter (default: the system's randomness). */
  readonly random?: Random;
  /** Where leg commands go when neither the input nor the call names a gateway (default "default"). */
  readonly gatewayId?: string;
  /**
   * Kept for compatibility: call inputs are now decided in batches (`maxBatch`); this still bounds the
   * agent and queue event handlers running at once (default 16 → 4 each).
   */
  readonly concurrency?: number;
  /** Call inputs decided and appended together, in one transaction (default 256). */
  readonly maxBatch?: number;
  /** Batches of call inputs decided at once (default 4). */
  readonly batchesInFlight?: number;
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
  /** Call timers acked without an input because the cache knew the call had ended (see timers.ts). */
  readonly timersOfEndedCalls: number;
  readonly offers: number;
  /** Batches of call inputs taken, and the largest. */
  readonly batches: number;
  readonly largestBatch: number;
  /** Stream reads from the store (cache misses, conflicts, catch-ups). */
  readonly streamReads: number;
  /** Wall-clock ms from taking a call input to having its effects published (last 2,000 inputs). */
  readonly decisionMs: { readonly p50: number; readonly p99: number };
}

export interface Router extends AsyncDisposable {
  stats(): RouterStats;
}

/**
 * The router: runs each call's flow with the routing domain. Stateless apart from caches (every decision is
 * appended with the expected version of each stream it read), so any number of replicas may share its
 * durable consumers.
 */
export async function start(config: RouterConfig): Promise<Router> {
  const { bus } = config;
  // Traced: each decision's append span ends with its grouped commit (see telemetry.ts).
  const store = tracedStore(config.eventStore.store);
  const clock = config.clock ?? systemClock;
  const log = config.log ?? defaultLog;
  const durable = config.durable ?? "router";
  const defaultGateway = config.gatewayId ?? "default";
  const ackWaitMs = config.ackWaitMs ?? 10_000;
  const instanceId = config.instanceId ?? `${hostname()}:${process.pid}`;
  const handlers = Math.max(1, Math.floor((config.concurrency ?? 16) / 4));
  const counters = {
    replays: 0,
    verifications: 0,
    noops: 0,
    timersFired: 0,
    timersOfEndedCalls: 0,
    offers: 0,
  };

  await bus.ensureStreams([eventsStreamSpec(), deadLetterStreamSpec(), ...workStreams()]);
  const cache = new StreamCache(store, projections);
  const configSource = new ConfigSource(cache);
  const presence = await PresenceView.start(bus, cache, {
    ...(config.presenceBucket ? { bucket: config.presenceBucket } : {}),
    log,
  });
  const decider = callDecider({
    cache,
    config: configSource,
    presence,
    clock,
    defaultGateway,
    stats: counters,
    log,
  });
  const runtime = new DecisionRuntime<CallInputMessage>({
    store,
    cache,
    clock,
    random: config.random ?? systemRandom,
    publish: tracedPublish(bus),
    keyOf: (m) => m.callId,
    messageIdOf: (m) => m.messageId,
    decide: tracedDecide(decider.decide, log, clock),
    beforeRound: decider.beforeRound,
    metadata: { actor: "router", router: instanceId },
    maxAttempts: config.maxAttempts ?? 8,
    onConflict: ({ streamId, attempt }) =>
      log("debug", "version conflict, deciding again", { stream: streamId, attempt }),
  });
  const matching = queueMatching({ bus, cache, config: configSource, presence, clock, stats: counters });
  const timers = timerHandler({
    bus,
    clock,
    matching,
    callEnded: (callId) => callEndedInCache(cache, callId),
    stats: counters,
  });

  const latencies: number[] = [];
  const percentile = (q: number): number => {
    if (latencies.length === 0) return 0;
    const sorted = [...latencies].sort((a, b) => a - b);
    return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
  };

  const consumers: ConsumerHandle[] = [];
  consumers.push(
    await startDecisionConsumer<CallInputMessage>(bus, runtime, {
      stream: CALL_INPUTS,
      durable,
      ackWaitMs,
      maxDeliver: 50,
      maxBatch: config.maxBatch ?? 256,
      // A batch held up by conflicts (a hot queue shared with another replica) does not hold up the calls
      // of the next one; inputs of one call still go in order.
      concurrency: config.batchesInFlight ?? 4,
      decode: decodeCallInputMessage,
      onBatch: (size, ms) => {
        recordBatch(size, ms);
        for (let i = 0; i < size; i++) latencies.push(ms);
        if (latencies.length > 2_000) latencies.splice(0, latencies.length - 2_000);
      },
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
      decode: decodeTimerMessage,
      handler: inMessageContext(({ payload }) => timers(payload)),
    }),
  );

  // Agents freed or signed in: offer them the longest-waiting caller of their queues; wrap-up ends.
  consumers.push(
    await bus.consume<EventMessage>({
      stream: "EVENTS",
      durable: `${durable}_agents`,
      filterSubject: "evt.agent.>",
      deliverPolicy: "new",
      ackWaitMs,
      maxDeliver: 20,
      concurrency: handlers,
      decode: decodeEventMessage,
      handler: inMessageContext(({ payload }) => matching.onAgentEvent(payload)),
    }),
  );

  // Queue changes: match waiting callers with idle members.
  consumers.push(
    await bus.consume<EventMessage>({
      stream: "EVENTS",
      durable: `${durable}_queues`,
      filterSubject: "evt.queue.>",
      deliverPolicy: "new",
      ackWaitMs,
      maxDeliver: 20,
      concurrency: handlers,
      decode: decodeEventMessage,
      handler: inMessageContext(({ payload }) => matching.onQueueEvent(payload)),
    }),
  );

  log("info", "router started", { durable, gateway: defaultGateway });

  const stats = (): RouterStats => {
    const r = runtime.stats();
    return {
      decisions: r.decisions,
      noops: counters.noops,
      replays: counters.replays,
      conflicts: r.conflicts,
      verifications: counters.verifications,
      refused: r.refused,
      timersFired: counters.timersFired,
      timersOfEndedCalls: counters.timersOfEndedCalls,
      offers: counters.offers,
      batches: r.batches,
      largestBatch: r.largestBatch,
      streamReads: cache.reads,
      decisionMs: { p50: percentile(0.5), p99: percentile(0.99) },
    };
  };

  return {
    stats,
    async [Symbol.asyncDispose]() {
      log("info", "router stopping", { ...stats() });
      await Promise.allSettled(consumers.map((c) => c.stop()));
      await presence.stop();
    },
  };
}
