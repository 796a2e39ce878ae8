import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createLogger,
  EventMetrics,
  METRICS,
  prometheusName,
  SPANS,
  startSpan,
  telemetryRequested,
} from "../src/index.js";
import { type InMemoryTelemetry, startInMemoryTelemetry } from "../src/testing.js";
import { inSpan } from "../src/trace.js";

describe("telemetryRequested", () => {
  it("is off unless an exporter or endpoint is named, and OTEL_SDK_DISABLED wins", () => {
    expect(telemetryRequested({})).toBe(false);
    expect(telemetryRequested({ OTEL_SERVICE_NAME: "x" })).toBe(false);
    expect(telemetryRequested({ OTEL_TRACES_EXPORTER: "none" })).toBe(false);
    expect(telemetryRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toBe(true);
    expect(telemetryRequested({ OTEL_TRACES_EXPORTER: "console" })).toBe(true);
    expect(
      telemetryRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "TRUE" }),
    ).toBe(false);
  });
});

describe("prometheusName", () => {
  it("follows the Prometheus naming: underscores, _total on counters, the unit already in the name", () => {
    expect(prometheusName("decisions")).toBe("switchyard_router_decisions_total");
    expect(prometheusName("decisionDuration")).toBe("switchyard_router_decision_duration_seconds");
    expect(prometheusName("queueLength")).toBe("switchyard_queue_length");
    expect(prometheusName("queueLongestWait")).toBe("switchyard_queue_longest_wait_seconds");
  });
});

let otel: InMemoryTelemetry;
beforeAll(() => {
  otel = startInMemoryTelemetry("telemetry-unit");
});
afterAll(async () => {
  await otel[Symbol.asyncDispose]();
});

describe("createLogger", () => {
  it("writes JSON lines with service, call id and the active span's trace id", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(...String(chunk).trim().split("\n"));
        cb();
      },
    });
    const logger = createLogger({ service: "router", level: "debug", destination: sink });
    const span = startSpan(SPANS.routerDecide, "router");
    await inSpan(span, () => logger.debug({ callId: "c-1" }, "call decision"));
    logger.info("outside");
    await new Promise((r) => setImmediate(r));
    const [inside, outside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(inside).toMatchObject({
      level: "debug",
      service: "router",
      callId: "c-1",
      msg: "call decision",
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
    });
    expect(outside).toMatchObject({ level: "info", service: "router", msg: "outside" });
    expect(outside).not.toHaveProperty("trace_id");
  });
});

describe("EventMetrics", () => {
  it("counts outcomes per group and keeps queue lengths, the longest wait and agents by state", async () => {
    let now = 1_000_000;
    using m = new EventMetrics(() => now);
    m.observe([
      { streamId: "agent-a1", type: "AgentSignedIn", data: { at: 0 } },
      { streamId: "agent-a2", type: "AgentSignedIn", data: { at: 0 } },
      { streamId: "call-c1", type: "CallStarted", data: {} },
      { streamId: "call-c1", type: "RoutingDecided", data: { groupId: "sales" } },
      { streamId: "agent-a1", type: "AgentReserved", data: {} },
      { streamId: "call-c1", type: "ConnectCompleted", data: { outcome: "noAnswer" } },
      { streamId: "call-c1", type: "CallerEnqueued", data: { groupId: "sales", enqueuedAt: now - 30_000 } },
      { streamId: "call-c2", type: "CallerEnqueued", data: { groupId: "sales", enqueuedAt: now - 5_000 } },
      { streamId: "call-c3", type: "CallerEnqueued", data: { groupId: "support", enqueuedAt: now } },
    ]);
    now += 10_000;
    const points = await otel.metrics();
    const value = (name: string, attrs: Record<string, string>) =>
      points.find((p) => p.name === name && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))
        ?.value;
    expect(value(METRICS.callOutcomes.name, { outcome: "noAnswer", group: "sales" })).toBe(1);
    expect(value(METRICS.queueLength.name, { queue: "sales" })).toBe(2);
    expect(value(METRICS.queueLongestWait.name, { queue: "sales" })).toBe(40);
    expect(value(METRICS.queueLength.name, { queue: "support" })).toBe(1);
    expect(value(METRICS.agentsByState.name, { state: "available" })).toBe(1);
    expect(value(METRICS.agentsByState.name, { state: "reserved" })).toBe(1);

    m.observe([
      { streamId: "call-c1", type: "CallerDequeued", data: { groupId: "sales", reason: "agentOffered" } },
      { streamId: "call-c2", type: "CallEnded", data: { reason: "callerHungUp" } },
      { streamId: "agent-a1", type: "AgentCallEnded", data: {} },
      { streamId: "agent-a2", type: "AgentCallEnded", data: { wrapUpEndsAt: now + 1 } },
    ]);
    const after = await otel.metrics();
    const v2 = (name: string, attrs: Record<string, string>) =>
      after.find((p) => p.name === name && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v));
    expect(v2(METRICS.queueLength.name, { queue: "sales" })?.value).toBe(0);
    expect(v2(METRICS.queueWait.name, { queue: "sales", reason: "agentOffered" })).toMatchObject({
      value: 1,
      sum: 40,
    });
    expect(v2(METRICS.callsEnded.name, { reason: "callerHungUp" })?.value).toBe(1);
    expect(v2(METRICS.agentsByState.name, { state: "available" })?.value).toBe(1);
    expect(v2(METRICS.agentsByState.name, { state: "wrapUp" })?.value).toBe(1);
  });
});
