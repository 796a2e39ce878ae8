// The demo's trace summary over spans recorded by the real SDK (in-memory exporter), with start and end
// times given explicitly so that the durations printed are known.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ATTRS,
  contextOf,
  formatTraceSummary,
  formatTraceTree,
  SPANS,
  startSpan,
  startTraceCollector,
  type TraceCollector,
  tracesOfCalls,
} from "../src/index.js";

let collector: TraceCollector;
beforeAll(() => {
  collector = startTraceCollector("trace-summary-unit");
});
afterAll(async () => {
  await collector[Symbol.asyncDispose]();
});

const T = 1_700_000_000_000;

/** A span from `at` to `end` (ms after T) under `parent`. */
function span(
  name: string,
  service: string,
  at: number,
  end: number,
  attributes: Record<string, string | number>,
  parent?: ReturnType<typeof startSpan>,
) {
  const s = startSpan(name, service, {
    attributes,
    startTime: T + at,
    ...(parent ? { parent: contextOf(parent) } : {}),
  });
  if (end >= 0) s.end(T + end);
  return s;
}

describe("trace summary", () => {
  it("groups spans per call into trees, children in start order, same-name leaves on one line", async () => {
    // Call c1: dialled in, StartCall decided and appended, two events relayed and a play command under it;
    // then a fact reported under the call.
    const root = span(SPANS.gatewayInboundCall, "media-gateway", 0, 2.5, { [ATTRS.callId]: "c1" });
    const decide = span(
      SPANS.routerDecide,
      "router",
      9,
      9.5,
      { [ATTRS.input]: "StartCall", [ATTRS.events]: "CallStarted,AppletEntered", [ATTRS.callId]: "c1" },
      root,
    );
    const append = span(SPANS.eventStoreAppend, "router", 9, 11.4, { [ATTRS.eventCount]: 2 }, decide);
    span(SPANS.gatewayLegCommand, "media-gateway", 28, 31.6, { [ATTRS.legCommand]: "play" }, append);
    span(SPANS.relayPublish, "relay", 21, 22, { [ATTRS.eventType]: "CallStarted" }, append);
    span(SPANS.relayPublish, "relay", 23, 27.9, { [ATTRS.eventType]: "AppletEntered" }, append);
    const fact = span(
      SPANS.gatewayLegFact,
      "media-gateway",
      1052,
      1053,
      { [ATTRS.legFact]: "PlaybackFinished" },
      root,
    );
    span(
      SPANS.routerDecide,
      "router",
      1054,
      1054.2,
      { [ATTRS.input]: "PlaybackFinished", [ATTRS.delivery]: 2 },
      fact,
    );
    // Call c2: its decide's parent never ended (not recorded): a top span of its own.
    const c2 = span(SPANS.gatewayInboundCall, "media-gateway", 2000, 2001, { [ATTRS.callId]: "c2" });
    const open = span(SPANS.gatewayLegFact, "media-gateway", 2002, -1, { [ATTRS.callId]: "c2" }, c2);
    span(SPANS.routerDecide, "router", 2003, 2004, { [ATTRS.input]: "LegAnswered" }, open);
    // And a trace of no call.
    span("something.else", "relay", 3000, 3001, {});

    await collector.telemetry.flush();
    const spans = collector.spans();
    const traces = tracesOfCalls(spans);
    expect(traces.map((t) => [t.callId, t.spans, t.roots.length])).toEqual([
      ["c1", 8, 1],
      ["c2", 2, 2],
      [undefined, 1, 1],
    ]);
    const c1 = traces[0]!;
    expect(c1.services).toEqual(["media-gateway", "relay", "router"]);
    expect(c1.durationMs).toBeCloseTo(1054.2, 3);
    expect(formatTraceTree(c1)).toEqual([
      "└─ gateway.inbound_call  [media-gateway]  2.5 ms  at +0.0 ms",
      "   ├─ router.decide  [router]  StartCall → CallStarted,AppletEntered  0.5 ms  at +9.0 ms",
      "   │  └─ eventstore.append  [router]  2 events  2.4 ms  at +9.0 ms",
      "   │     ├─ relay.publish ×2  [relay]  CallStarted, AppletEntered  longest 4.9 ms  at +21 ms",
      "   │     └─ gateway.leg_command  [media-gateway]  play  3.6 ms  at +28 ms",
      "   └─ gateway.leg_fact  [media-gateway]  PlaybackFinished  1.0 ms  at +1.05 s",
      "      └─ router.decide  [router]  PlaybackFinished (delivery 2)  0.2 ms  at +1.05 s",
    ]);
    expect(formatTraceTree(traces[1]!)).toEqual([
      "├─ gateway.inbound_call  [media-gateway]  1.0 ms  at +0.0 ms",
      "└─ router.decide  [router]  LegAnswered  1.0 ms  at +3.0 ms",
    ]);

    const summary = formatTraceSummary(spans, { clockSpeed: 60, trees: 1 });
    expect(summary[0]).toBe(
      "trace summary (OpenTelemetry SDK, in-memory exporter): 2 calls, 11 spans (1 in 1 traces of no call); " +
        "durations in real time, the platform clock ran ×60",
    );
    expect(summary[1]).toBe("  spans per call: min 2, median 8, max 8");
    expect(summary.slice(3, 5)).toEqual([
      `  ${"c1".padEnd(36)}      8     1.05 s  media-gateway, relay, router`,
      `  ${"c2".padEnd(36)}      2     4.0 ms  media-gateway, router`,
    ]);
    // One tree asked for: the first call's, under its heading.
    expect(summary[5]).toMatch(
      /^ {2}trace of the first call: call c1, trace [0-9a-f]{32}, 8 spans, 1\.05 s$/,
    );
    expect(summary.slice(6)).toEqual(formatTraceTree(c1).map((l) => `    ${l}`));
  });
});
