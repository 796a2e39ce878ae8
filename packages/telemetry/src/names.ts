// Every span name, span attribute and metric name the platform emits. The Grafana dashboards
// (deploy/grafana) are built from these constants and a test checks every query against them, so a rename
// here either flows into the dashboards or fails that test.

/** The tracer and meter name. */
export const INSTRUMENTATION_SCOPE = "switchyard";

export const SPANS = {
  /** media gateway: a caller dialled in (the root of the call's trace). */
  gatewayInboundCall: "gateway.inbound_call",
  /** media gateway: a leg fact (ringing, answered, ended, DTMF...) reported to the call. */
  gatewayLegFact: "gateway.leg_fact",
  /** media gateway: a leg command from the router executed by the driver. */
  gatewayLegCommand: "gateway.leg_command",
  /** router: one call input decided (a routing decision, a queue step, a transfer...). */
  routerDecide: "router.decide",
  /** router: the decision's events appended to the event store (one grouped commit per batch). */
  eventStoreAppend: "eventstore.append",
  /** relay: one stored event published on the EVENTS stream. */
  relayPublish: "relay.publish",
  /**
   * router: a caller's wait in a queue, from the append that enqueued them (its parent) to the decision that
   * took them out (an agent offered, max wait, the caller hung up); written when the wait ends.
   */
  routerQueueWait: "router.queue_wait",
} as const;

export type SpanName = (typeof SPANS)[keyof typeof SPANS];

export const ATTRS = {
  service: "switchyard.service",
  callId: "switchyard.call.id",
  /** The call input's type (StartCall, LegAnswered, TimerFired...). */
  input: "switchyard.input.type",
  /** JetStream delivery count of the input (1 on the first delivery; more on a redelivery). */
  delivery: "switchyard.delivery",
  /** The decision's outcome: write, noop, refused, error. */
  outcome: "switchyard.decision.outcome",
  /** Event types the decision appended, comma-separated. */
  events: "switchyard.decision.events",
  strategy: "switchyard.routing.strategy",
  group: "switchyard.routing.group",
  /** Candidates the strategy considered. */
  candidates: "switchyard.routing.candidates",
  /** Agents chosen to ring, comma-separated. */
  chosenAgent: "switchyard.routing.chosen",
  configVersion: "switchyard.routing.config_version",
  /** Outcome of a Connect applet (answered, noAnswer, busy, failed, allAgentsBusy). */
  connectOutcome: "switchyard.connect.outcome",
  queue: "switchyard.queue",
  /** Why a caller left the queue (agentOffered, maxWait, callEnded...). */
  dequeueReason: "switchyard.queue.dequeue_reason",
  /** The wait in platform seconds (the span's duration is real time: they differ under a scaled clock). */
  queueWaitSeconds: "switchyard.queue.wait_seconds",
  transferMode: "switchyard.transfer.mode",
  legId: "switchyard.leg.id",
  legCommand: "switchyard.leg.command",
  legFact: "switchyard.leg.fact",
  /** Why a leg ended (answered elsewhere, noAnswer, busy, failed...). */
  legEndReason: "switchyard.leg.end_reason",
  streams: "switchyard.eventstore.streams",
  eventCount: "switchyard.eventstore.events",
  eventType: "switchyard.event.type",
  streamId: "switchyard.event.stream",
} as const;

export type AttrName = (typeof ATTRS)[keyof typeof ATTRS];

/**
 * Metric names as the OTel API records them; `prometheusName` gives the series Prometheus shows. A metric
 * with a unit carries it in its name too (`_seconds`), so both export paths name it alike.
 */
/** Histogram buckets (s) of machine latencies: decisions, relay lag. */
const FAST = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Histogram buckets (s) of human waits: queue waits, time to answer (20 s is the service-level target). */
const WAITS = [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600];

interface MetricDef {
  readonly name: string;
  readonly kind: "counter" | "histogram" | "gauge";
  readonly unit: "" | "s";
  readonly buckets?: readonly number[];
}

export const METRICS = {
  /** Counter: call inputs decided, by outcome (write/noop/refused/error). */
  decisions: { name: "switchyard.router.decisions", kind: "counter", unit: "" },
  /** Histogram (s): from taking a batch of inputs to having their effects published. */
  decisionDuration: {
    name: "switchyard.router.decision_duration_seconds",
    kind: "histogram",
    unit: "s",
    buckets: FAST,
  },
  /** Counter: calls ended, by connect outcome and group (from ConnectCompleted). */
  callOutcomes: { name: "switchyard.calls.outcomes", kind: "counter", unit: "" },
  /** Counter: calls started. */
  callsStarted: { name: "switchyard.calls.started", kind: "counter", unit: "" },
  /** Counter: calls ended, by reason. */
  callsEnded: { name: "switchyard.calls.ended", kind: "counter", unit: "" },
  /** Histogram (s): time from enqueue to dequeue, by queue and reason. */
  queueWait: { name: "switchyard.queue.wait_seconds", kind: "histogram", unit: "s", buckets: WAITS },
  /** Histogram (s): from the call's start to an agent answering it, by group (ASA, service level). */
  answerTime: { name: "switchyard.calls.answer_time_seconds", kind: "histogram", unit: "s", buckets: WAITS },
  /** Gauge: callers waiting, by queue. */
  queueLength: { name: "switchyard.queue.length", kind: "gauge", unit: "" },
  /** Gauge (s): the longest current wait, by queue. */
  queueLongestWait: { name: "switchyard.queue.longest_wait_seconds", kind: "gauge", unit: "s" },
  /** Gauge: agents by state (available, reserved, ringing, onCall, wrapUp, onBreak, offline, signedOut). */
  agentsByState: { name: "switchyard.agents", kind: "gauge", unit: "" },
  /** Histogram (s): from an event's commit to its publish on JetStream by the relay. */
  relayLag: { name: "switchyard.relay.lag_seconds", kind: "histogram", unit: "s", buckets: FAST },
  /** Counter: events published by the relay. */
  relayPublished: { name: "switchyard.relay.published", kind: "counter", unit: "" },
  /** Counter: messages redelivered to a consumer (delivery count > 1), by stream and durable. */
  redeliveries: { name: "switchyard.bus.redeliveries", kind: "counter", unit: "" },
  /** Counter: messages dead-lettered, by stream and durable. */
  deadLetters: { name: "switchyard.bus.dead_letters", kind: "counter", unit: "" },
  /** Counter: leg commands executed by the media gateway, by command kind. */
  legCommands: { name: "switchyard.gateway.leg_commands", kind: "counter", unit: "" },
  /**
   * Histogram (s): a FreeSWITCH endpoint's wait for its turn (`endpointsInFlight`), by kind (caller, answered
   * agent): the first sign that the media server no longer keeps up with the calls per second.
   */
  mediaEndpointWait: {
    name: "switchyard.media.endpoint_wait_seconds",
    kind: "histogram",
    unit: "s",
    buckets: FAST,
  },
  /** Histogram (s): a FreeSWITCH endpoint's creation (INVITE to FreeSWITCH → its event socket ready), by kind. */
  mediaEndpointCreate: {
    name: "switchyard.media.endpoint_create_seconds",
    kind: "histogram",
    unit: "s",
    buckets: FAST,
  },
} as const satisfies Record<string, MetricDef>;

export type MetricKey = keyof typeof METRICS;

/** Metric attribute names (labels). */
export const METRIC_ATTRS = {
  outcome: "outcome",
  group: "group",
  queue: "queue",
  reason: "reason",
  state: "state",
  stream: "stream",
  durable: "durable",
  kind: "kind",
  service: "service",
} as const;

/**
 * The series name Prometheus shows for a metric, the same whether it is scraped from the SDK's Prometheus
 * exporter (`OTEL_METRICS_EXPORTER=prometheus`, the Helm chart's default) or pushed over OTLP through a
 * collector into Prometheus: dots become underscores and counters get `_total`. Units are spelled in the
 * names of the metrics that have one (`..._seconds`), because the SDK's exporter does not append them and
 * the collector does only when the name lacks them.
 */
export function prometheusName(key: MetricKey): string {
  const m: MetricDef = METRICS[key];
  const name = m.name.replaceAll(".", "_");
  return m.kind === "counter" ? `${name}_total` : name;
}

/** Every Prometheus series a metric produces (histograms: bucket, sum and count). */
export function prometheusSeries(key: MetricKey): string[] {
  const base = prometheusName(key);
  return METRICS[key].kind === "histogram" ? [`${base}_bucket`, `${base}_sum`, `${base}_count`] : [base];
}
