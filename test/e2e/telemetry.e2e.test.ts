// One call through every service, exported with the real OpenTelemetry SDK into memory: every span of the
// call shares one trace id, the spans nest gateway → router → append → relay / gateway → router..., the
// routing decision's attributes are present, and an input redelivered after a failed append stays in the
// trace. The platform's metrics are read back from the same SDK.
import { setBusObserver } from "@switchyard/bus";
import type { EventStore, StreamAppend } from "@switchyard/event-store";
import { type Router, start as startRouter } from "@switchyard/router";
import { ATTRS, busMetrics, METRICS, SPANS } from "@switchyard/telemetry";
import {
  type InMemoryTelemetry,
  type ReadableSpan,
  startInMemoryTelemetry,
} from "@switchyard/telemetry/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defineAgents,
  defineConfig,
  type E2EPlatform,
  endedCall,
  eventually,
  flowOnNumber,
  GATEWAY,
  hangup,
  placeCall,
  signIn,
  startE2E,
  streamOf,
} from "./harness.js";

let otel: InMemoryTelemetry;
let p: E2EPlatform;
let failedAppends = 0;

/** The store with the first append holding a CallStarted failing once (a database blip): its input is redelivered. */
function failFirstCallStart(store: Pick<EventStore, "appendMany" | "readStream">) {
  let failed = false;
  return {
    readStream: store.readStream.bind(store),
    async appendMany(groups: readonly (readonly StreamAppend[])[]) {
      const starts = groups.some((g) => g.some((a) => a.events.some((e) => e.type === "CallStarted")));
      if (starts && !failed) {
        failed = true;
        failedAppends++;
        throw new Error("injected: the database went away for this append");
      }
      return store.appendMany(groups as StreamAppend[][]);
    },
  };
}

let router: Router | undefined;

beforeAll(async () => {
  otel = startInMemoryTelemetry("switchyard-e2e");
  // What `switchyard run` wires: redeliveries and dead letters from every consumer.
  setBusObserver(busMetrics());
  p = await startE2E({ speed: 20, inProcessRouter: false });
  // The router over a store whose first CallStarted append fails once.
  router = await startRouter({
    eventStore: { store: failFirstCallStart(p.eventStore.store) },
    bus: await p.buses.busOf("router"),
    clock: p.clock,
    gatewayId: GATEWAY,
  });
  await defineConfig(p, [{ type: "ConfigureAccount", callerIdPassThrough: true }]);
});

afterAll(async () => {
  setBusObserver({});
  await router?.[Symbol.asyncDispose]();
  await p?.close();
  await otel?.[Symbol.asyncDispose]();
});

const id = (s: ReadableSpan) => s.spanContext().spanId;
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe("one trace per call", () => {
  it("spans of every service share the call's trace, nested as the call moved, attributes set", async () => {
    const { commands, agents } = defineAgents(["otel_a1"]);
    const flow = flowOnNumber("otel_flow", "c", {
      c: { kind: "connect", target: { kind: "group", groupId: "otel_g" }, branches: { fallback: "bye" } },
      bye: hangup,
    });
    await defineConfig(p, [
      ...commands,
      {
        type: "DefineGroup",
        groupId: "otel_g",
        name: "otel_g",
        strategy: "roundRobin",
        members: Object.keys(agents),
        ringTimeoutSec: 10,
      },
      ...flow.commands,
    ]);
    await signIn(p, Object.keys(agents));
    p.driver.setPhone(agents.otel_a1!.number, { kind: "answer", afterSec: 1, talkSec: 2 });
    const callId = await placeCall(p, { from: "+14155559100", to: flow.number, hangUpAfterSec: 30 });
    const ended = await endedCall(p, callId);
    expect(ended.types).toContain("LegsBridged");
    expect(failedAppends).toBe(1);

    // The relay publishes the call's last events after the call ended in PostgreSQL: wait for their spans.
    const lastEventId = ended.events.at(-1)!.eventId;
    await eventually(
      async () =>
        otel
          .spans()
          .some(
            (s) =>
              s.name === SPANS.relayPublish &&
              s.attributes[ATTRS.eventType] === ended.events.at(-1)!.type &&
              s.attributes[ATTRS.callId] === callId,
          )
          ? true
          : undefined,
      `relay span of ${lastEventId}`,
    );

    const spans = otel.spans();
    const byId = new Map(spans.map((s) => [id(s), s]));
    const ofCall = spans.filter((s) => s.attributes[ATTRS.callId] === callId);
    const roots = ofCall.filter((s) => s.name === SPANS.gatewayInboundCall);
    expect(roots).toHaveLength(1);
    const root = roots[0]!;
    expect(root.parentSpanContext).toBeUndefined();
    const traceId = root.spanContext().traceId;

    // Everything about this call, from every service, is in that one trace.
    const services = new Set(ofCall.map((s) => s.attributes[ATTRS.service]));
    expect([...services].sort()).toEqual(["media-gateway", "relay", "router"]);
    for (const s of ofCall) expect(s.spanContext().traceId, `${s.name} in the call's trace`).toBe(traceId);
    // ...and every span of that trace hangs off another span of it (no orphans), down to the root.
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    for (const s of inTrace) {
      if (s === root) continue;
      const parent = byId.get(parentOf(s)!);
      expect(parent, `${s.name} has its parent in the trace`).toBeDefined();
    }

    // gateway.inbound_call → router.decide (StartCall), twice: the first append failed, the redelivery
    // (delivery 2) continues the same trace under the same parent.
    const starts = ofCall.filter(
      (s) => s.name === SPANS.routerDecide && s.attributes[ATTRS.input] === "StartCall",
    );
    expect(starts.map((s) => s.attributes[ATTRS.delivery]).sort()).toEqual([1, 2]);
    for (const s of starts) expect(parentOf(s)).toBe(id(root));
    const appendsOf = (decide: ReadableSpan) =>
      inTrace.filter((s) => s.name === SPANS.eventStoreAppend && parentOf(s) === id(decide));
    const firstAppend = appendsOf(starts.find((s) => s.attributes[ATTRS.delivery] === 1)!);
    expect(firstAppend).toHaveLength(1);
    expect(firstAppend[0]!.status.code).toBe(2); // ERROR: the injected failure
    const start = starts.find((s) => s.attributes[ATTRS.delivery] === 2)!;
    const [append] = appendsOf(start);
    expect(append?.status.code).not.toBe(2);

    // The routing decision's attributes (the flow starts with the Connect: StartCall decides the routing).
    expect(start.attributes).toMatchObject({
      [ATTRS.strategy]: "roundRobin",
      [ATTRS.group]: "otel_g",
      [ATTRS.candidates]: 1,
      [ATTRS.chosenAgent]: "otel_a1",
      [ATTRS.outcome]: "write",
    });
    expect(start.attributes[ATTRS.configVersion]).toEqual(expect.any(Number));

    // eventstore.append → relay.publish of each event it wrote.
    const relayed = inTrace.filter((s) => s.name === SPANS.relayPublish && parentOf(s) === id(append!));
    expect(relayed.map((s) => s.attributes[ATTRS.eventType])).toEqual(
      expect.arrayContaining(["CallStarted", "RoutingDecided", "LegOriginateRequested"]),
    );
    // eventstore.append → gateway.leg_command (originate) → gateway.leg_fact (answered) → router.decide.
    const originate = inTrace.find(
      (s) => s.name === SPANS.gatewayLegCommand && s.attributes[ATTRS.legCommand] === "originate",
    )!;
    expect(parentOf(originate)).toBe(id(append!));
    const answered = inTrace.find(
      (s) => s.name === SPANS.gatewayLegFact && s.attributes[ATTRS.legFact] === "LegAnswered",
    )!;
    expect(parentOf(answered)).toBe(id(originate));
    const decideAnswered = inTrace.find(
      (s) => s.name === SPANS.routerDecide && s.attributes[ATTRS.input] === "LegAnswered",
    )!;
    expect(parentOf(decideAnswered)).toBe(id(answered));
    expect(String(decideAnswered.attributes[ATTRS.events])).toContain("ConnectCompleted");
    expect(decideAnswered.attributes[ATTRS.connectOutcome]).toBe("answered");
    // The call's end is in the trace too.
    expect(
      inTrace.some((s) => s.name === SPANS.relayPublish && s.attributes[ATTRS.eventType] === "CallEnded"),
    ).toBe(true);
  });

  it("metrics: decisions, their latency, calls by outcome per group, relay lag, redeliveries", async () => {
    const points = await otel.metrics();
    const sum = (name: string, match: Record<string, string> = {}) =>
      points
        .filter((q) => q.name === name && Object.entries(match).every(([k, v]) => q.attributes[k] === v))
        .reduce((n, q) => n + q.value, 0);
    expect(sum(METRICS.decisions.name, { outcome: "write" })).toBeGreaterThan(3);
    expect(sum(METRICS.decisionDuration.name)).toBeGreaterThan(3);
    expect(sum(METRICS.callOutcomes.name, { outcome: "answered", group: "otel_g" })).toBe(1);
    expect(sum(METRICS.callsStarted.name)).toBe(1);
    expect(sum(METRICS.relayLag.name)).toBeGreaterThan(5);
    expect(sum(METRICS.redeliveries.name, { stream: "CALL_INPUTS" })).toBeGreaterThanOrEqual(1);
    // The agent is signed in and idle again, nobody waits.
    expect(sum(METRICS.agentsByState.name, { state: "available" })).toBeGreaterThanOrEqual(1);
  });
});

describe("one trace per call when an input comes from another trace", () => {
  it("a queued caller offered the agent another call freed stays in its own trace, linked to that call's", async () => {
    const { commands, agents } = defineAgents(["otel_q1"]);
    const flow = flowOnNumber("otel_qflow", "c", {
      c: { kind: "connect", target: { kind: "group", groupId: "otel_q" }, branches: { fallback: "bye" } },
      bye: hangup,
    });
    await defineConfig(p, [
      ...commands,
      {
        type: "DefineGroup",
        groupId: "otel_q",
        name: "otel_q",
        strategy: "longestIdle",
        members: Object.keys(agents),
        ringTimeoutSec: 10,
        queue: { enabled: true, maxWaitSec: 600 },
      },
      ...flow.commands,
    ]);
    await signIn(p, Object.keys(agents));
    p.driver.setPhone(agents.otel_q1!.number, { kind: "answer", afterSec: 1, talkSec: 3 });
    // The first call takes the agent; the second waits until the first frees them.
    const first = await placeCall(p, { from: "+14155559101", to: flow.number, hangUpAfterSec: 60 });
    await eventually(
      async () => ((await streamOf(p, first)).some((e) => e.type === "LegsBridged") ? true : undefined),
      `call ${first} bridged`,
    );
    const second = await placeCall(p, { from: "+14155559102", to: flow.number, hangUpAfterSec: 60 });
    const ended = await endedCall(p, second);
    expect(ended.types).toContain("CallerEnqueued");
    expect(ended.types).toContain("LegsBridged");
    await eventually(
      async () =>
        otel
          .spans()
          .some(
            (s) =>
              s.name === SPANS.relayPublish &&
              s.attributes[ATTRS.callId] === second &&
              s.attributes[ATTRS.eventType] === "CallEnded",
          )
          ? true
          : undefined,
      `relay span of ${second}'s CallEnded`,
    );

    const spans = otel.spans();
    const rootOf = (callId: string) =>
      spans.find((s) => s.name === SPANS.gatewayInboundCall && s.attributes[ATTRS.callId] === callId)!;
    const firstTrace = rootOf(first).spanContext().traceId;
    const secondTrace = rootOf(second).spanContext().traceId;
    expect(secondTrace).not.toBe(firstTrace);
    const ofSecond = spans.filter((s) => s.attributes[ATTRS.callId] === second);
    for (const s of ofSecond)
      expect(s.spanContext().traceId, `${s.name} ${String(s.attributes[ATTRS.input] ?? "")}`).toBe(
        secondTrace,
      );
    const byId = new Map(spans.map((s) => [id(s), s]));
    for (const s of spans.filter((x) => x.spanContext().traceId === secondTrace && x !== rootOf(second)))
      expect(byId.get(parentOf(s)!), `${s.name} has its parent in the trace`).toBeDefined();

    // The offer came from the first call's trace (the agent's release relayed there): a link says so.
    const offer = ofSecond.find(
      (s) => s.name === SPANS.routerDecide && s.attributes[ATTRS.input] === "OfferAgent",
    );
    expect(offer, "the OfferAgent decision of the queued call").toBeDefined();
    expect(offer!.links.map((l) => l.context.traceId)).toContain(firstTrace);
    // The wait itself is a span under the append that enqueued the caller, ended by the offer.
    const waits = ofSecond.filter((s) => s.name === SPANS.routerQueueWait);
    expect(waits).toHaveLength(1);
    const wait = waits[0]!;
    expect(wait.attributes).toMatchObject({
      [ATTRS.queue]: "otel_q",
      [ATTRS.dequeueReason]: "agentOffered",
    });
    expect(wait.attributes[ATTRS.queueWaitSeconds]).toBeGreaterThan(0);
    const enqueuing = byId.get(parentOf(wait)!);
    expect(enqueuing?.name).toBe(SPANS.eventStoreAppend);
    const enqueuedBy = byId.get(parentOf(enqueuing!)!);
    expect(String(enqueuedBy?.attributes[ATTRS.events])).toContain("CallerEnqueued");
    // ...and what it rang and answered continues under it.
    const answered = ofSecond.find(
      (s) => s.name === SPANS.routerDecide && s.attributes[ATTRS.input] === "LegAnswered",
    );
    expect(answered?.attributes[ATTRS.connectOutcome]).toBe("answered");
  });
});
