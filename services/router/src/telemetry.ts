// Traces and metrics of the router, as wrappers around the decision runtime's hooks (decide, the store's
// appendMany, publish) so that neither the runtime nor the deciders change shape:
//
//   <input's context, from its NATS headers; the call's latest span when the input is from another trace>
//   └─ router.decide            one input decided (attributes: call, input, delivery, routing decision)
//      └─ eventstore.append     its events appended; the events' metadata carries this span's traceparent,
//         ├─ relay.publish      so the relay's publish of each event continues the trace,
//         └─ <leg commands and timers published with this span's context → the gateway's spans>
//
// A redelivered input carries the same headers, so its second decision joins the same trace. An input from
// another trace (an OfferAgent after another call freed the agent, an admin RPC) links to it (`callParent`).

import { type Context, context, type Link, type Span, SpanStatusCode, trace } from "@opentelemetry/api";
import { type Bus, deliveryOf } from "@switchyard/bus";
import type { Clock } from "@switchyard/clock";
import type { CallInputMessage } from "@switchyard/contracts";
import type { Decision, DecisionView, Effect, Write } from "@switchyard/decision-runtime";
import type { AppendResult, EventStore, StreamAppend } from "@switchyard/event-store";
import { callStreamId } from "@switchyard/routing-domain";
import {
  ATTRS,
  contextFromTraceparent,
  contextOf,
  count,
  failSpan,
  METRIC_ATTRS,
  record,
  SPANS,
  SpanKind,
  startSpan,
  traceparentOf,
} from "@switchyard/telemetry";
import type { CallView } from "./decision-context.js";
import type { RouterLog } from "./log.js";

const SERVICE = "router";

/** The traceparent each effect is published under (effects are plain objects the runtime passes back). */
const effectTrace = new WeakMap<Effect, string>();

/** Append spans waiting for their append, by the traceparent their events carry. */
const pendingAppends = new Map<string, { span: Span; since: number }>();
/** An append span whose decision was never appended (a wiring error after decide) ends after this. */
const ABANDON_MS = 60_000;

type Decide = (msg: CallInputMessage, view: DecisionView) => Promise<Decision>;

/**
 * `decide` inside a `router.decide` span under the input's trace; events and effects carry the trace on.
 * `clock` (the platform's) turns a queue wait's platform time into the real time its span covers.
 */
export function tracedDecide(decide: Decide, log?: RouterLog, clock?: Pick<Clock, "realDelay">): Decide {
  return async (msg, view) => {
    const delivery = deliveryOf(msg);
    const { parent, links, call } = await callParent(msg, view, delivery?.context);
    const span = startSpan(SPANS.routerDecide, SERVICE, {
      kind: SpanKind.CONSUMER,
      ...(parent ? { parent } : {}),
      ...(links ? { links } : {}),
      attributes: {
        [ATTRS.callId]: msg.callId,
        [ATTRS.input]: msg.input.type,
        [ATTRS.delivery]: delivery?.info.deliveryCount ?? 1,
      },
    });
    let decision: Decision;
    try {
      decision = await context.with(contextOf(span, delivery?.context), () => decide(msg, view));
    } catch (err) {
      count("decisions", 1, { [METRIC_ATTRS.outcome]: "error" });
      failSpan(span, err);
      throw err;
    }
    span.setAttribute(ATTRS.outcome, decision.kind);
    count("decisions", 1, { [METRIC_ATTRS.outcome]: decision.kind });
    if (decision.kind === "write" && call?.enqueued)
      queueWaitSpan(msg.callId, call, decision.writes, view.now, clock);
    const traced = traceDecision(decision, span);
    if (decision.kind === "write" && log) {
      // One line per call state change, at debug, inside the decision's span (the logger adds its trace id).
      context.with(contextOf(span), () =>
        log("debug", "call decision", {
          callId: msg.callId,
          input: msg.input.type,
          events: decision.writes.flatMap((w) =>
            w.streamId.startsWith("call-") ? w.events.map((e) => e.type) : [],
          ),
        }),
      );
    }
    span.end();
    return traced;
  };
}

/**
 * Where an input's decision goes in the traces: under the input's own context when that is the call's trace
 * (a leg fact, a timer, a redelivery) or when the call has none yet (StartCall: the gateway's root); else
 * under the call's latest span, linked to the input's context. So an input sent from another trace (the
 * OfferAgent a router sends when another call frees an agent, an admin RPC's hang-up or transfer) neither
 * pulls the call into that trace nor splits it in two.
 */
async function callParent(
  msg: CallInputMessage,
  view: DecisionView,
  input: Context | undefined,
): Promise<{ parent?: Context; links?: Link[]; call?: CallView }> {
  const own = input ? { parent: input } : {};
  if (msg.input.type === "StartCall") return own;
  let call: CallView;
  try {
    const id = callStreamId(msg.callId);
    // Loaded already by the round (beforeRound) or by the decision right after: no extra read.
    call = (view.peek<CallView>(id) ?? (await view.load<CallView>(id))).state;
  } catch {
    return own; // the decision reads the stream itself and reports why it cannot
  }
  const callTrace = call.trace;
  if (!callTrace) return { ...own, call };
  const from = input ? trace.getSpanContext(input) : undefined;
  if (from?.traceId === callTrace.traceId) return { ...own, call };
  return {
    parent: contextFromTraceparent(callTrace.last),
    ...(from && trace.isSpanContextValid(from) ? { links: [{ context: from }] } : {}),
    call,
  };
}

/**
 * A `router.queue_wait` span when a decision takes the caller out of the queue: under the append that
 * enqueued them, covering the wait (platform time turned into real time by the clock), ended now.
 */
function queueWaitSpan(
  callId: string,
  before: CallView,
  writes: readonly Write[],
  now: number,
  clock: Pick<Clock, "realDelay"> | undefined,
): void {
  const wait = before.enqueued;
  if (!wait) return;
  const dequeued = writes
    .find((w) => w.streamId === callStreamId(callId))
    ?.events.find((e) => e.type === "CallerDequeued");
  if (!dequeued) return;
  const platformMs = Math.max(0, now - wait.at);
  const realMs = clock ? clock.realDelay(platformMs) : platformMs;
  const end = performance.timeOrigin + performance.now();
  const span = startSpan(SPANS.routerQueueWait, SERVICE, {
    kind: SpanKind.INTERNAL,
    parent: contextFromTraceparent(wait.traceparent ?? before.trace?.last),
    startTime: end - realMs,
    attributes: {
      [ATTRS.callId]: callId,
      [ATTRS.queue]: wait.queue,
      [ATTRS.dequeueReason]: String((dequeued.data as { reason?: unknown }).reason ?? ""),
      [ATTRS.queueWaitSeconds]: platformMs / 1000,
    },
  });
  span.end(end);
}

function traceDecision(decision: Decision, span: Span): Decision {
  switch (decision.kind) {
    case "refused":
      span.setStatus({ code: SpanStatusCode.ERROR, message: decision.error.message });
      return decision;
    case "noop": {
      // A replay (its decision already stored): the re-published effects continue from this decision.
      const tp = traceparentOf(span);
      if (tp) for (const e of decision.effects ?? []) effectTrace.set(e, tp);
      return decision;
    }
    case "write": {
      annotate(span, decision.writes);
      const append = startSpan(SPANS.eventStoreAppend, SERVICE, {
        kind: SpanKind.CLIENT,
        parent: contextOf(span),
        attributes: {
          [ATTRS.streams]: decision.writes.length,
          [ATTRS.eventCount]: decision.writes.reduce((n, w) => n + w.events.length, 0),
        },
      });
      const tp = traceparentOf(append);
      if (!tp) {
        append.end();
        return decision;
      }
      pendingAppends.set(tp, { span: append, since: performance.now() });
      const effects = decision.effects;
      return {
        kind: "write",
        writes: decision.writes.map((w) => ({ ...w, metadata: { ...w.metadata, traceparent: tp } })),
        ...(effects
          ? {
              effects: (committed) => {
                const out = effects(committed);
                for (const e of out) effectTrace.set(e, tp);
                return out;
              },
            }
          : {}),
      };
    }
    default: {
      const unknown: never = decision;
      return unknown;
    }
  }
}

/** The routing decision's attributes from the events it writes. */
function annotate(span: Span, writes: readonly Write[]): void {
  const types: string[] = [];
  for (const w of writes) {
    if (!w.streamId.startsWith("call-")) continue;
    for (const e of w.events) {
      types.push(e.type);
      const d = e.data as Record<string, unknown>;
      switch (e.type) {
        case "RoutingDecided": {
          if (typeof d.strategy === "string") span.setAttribute(ATTRS.strategy, d.strategy);
          if (typeof d.groupId === "string") span.setAttribute(ATTRS.group, d.groupId);
          if (Array.isArray(d.candidates)) span.setAttribute(ATTRS.candidates, d.candidates.length);
          if (Array.isArray(d.chosen)) span.setAttribute(ATTRS.chosenAgent, d.chosen.join(","));
          if (typeof d.configVersion === "number") span.setAttribute(ATTRS.configVersion, d.configVersion);
          break;
        }
        case "ConnectCompleted":
          span.setAttribute(ATTRS.connectOutcome, String(d.outcome));
          break;
        case "CallerEnqueued":
        case "CallerDequeued":
          span.setAttribute(ATTRS.queue, String(d.groupId));
          break;
        case "TransferRequested":
          span.setAttribute(ATTRS.transferMode, String(d.mode));
          break;
        default:
          break;
      }
    }
  }
  if (types.length > 0) span.setAttribute(ATTRS.events, types.join(","));
}

/** The store with each decision's `eventstore.append` span ended when its grouped commit returns. */
export function tracedStore(
  store: Pick<EventStore, "appendMany" | "readStream">,
): Pick<EventStore, "appendMany" | "readStream"> {
  const appendMany = async (groups: readonly (readonly StreamAppend[])[]) => {
    const spansOf = groups.map((g) => {
      const spans = new Set<Span>();
      for (const a of g)
        for (const e of a.events) {
          const tp = e.metadata?.traceparent;
          const pending = typeof tp === "string" ? pendingAppends.get(tp) : undefined;
          if (pending && tp) {
            spans.add(pending.span);
            pendingAppends.delete(tp);
          }
        }
      return spans;
    });
    sweep();
    // The commit's own spans (the pg instrumentation's queries) go under the append span of the batch's
    // first decision: one commit serves every decision of the batch but a span has one parent, and only
    // under a span are queries traced at all (the relay's polling would otherwise be a trace per poll).
    const [first] = spansOf.flatMap((spans) => [...spans]);
    const commit = () => store.appendMany(groups as StreamAppend[][]);
    let results: ReadonlyArray<AppendResult | Error>;
    try {
      results = await (first ? context.with(contextOf(first), commit) : commit());
    } catch (err) {
      for (const spans of spansOf) for (const s of spans) failSpan(s, err);
      throw err;
    }
    results.forEach((r, i) => {
      for (const s of spansOf[i] ?? []) {
        if (r instanceof Error) {
          // A version conflict: the input is decided again (a new decide span).
          s.setAttribute(ATTRS.outcome, r.name);
          failSpan(s, r);
        } else s.end();
      }
    });
    return results;
  };
  return { appendMany, readStream: store.readStream.bind(store) };
}

function sweep(): void {
  const now = performance.now();
  for (const [tp, p] of pendingAppends) {
    if (now - p.since < ABANDON_MS) break; // insertion order: the rest are younger
    p.span.setStatus({ code: SpanStatusCode.ERROR, message: "decision never appended" });
    p.span.end();
    pendingAppends.delete(tp);
  }
}

/** Publishes an effect under the trace of the decision that made it. */
export function tracedPublish(bus: Pick<Bus, "publish">): (e: Effect) => Promise<unknown> {
  return (e) => {
    const tp = effectTrace.get(e);
    return bus.publish(e.subject, e.payload, { msgId: e.msgId, ...(tp ? { traceparent: tp } : {}) });
  };
}

/** Decision latency per input (the batch's time, from taking it to its effects published). */
export function recordBatch(size: number, ms: number): void {
  for (let i = 0; i < size; i++) record("decisionDuration", ms / 1000);
}

/** A handler run inside the message's trace context (what it publishes continues the trace). */
export function inMessageContext<M extends { readonly context: import("@opentelemetry/api").Context }, R>(
  handler: (m: M) => R,
): (m: M) => R {
  return (m) => context.with(m.context, () => handler(m));
}
