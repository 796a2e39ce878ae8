// The demo's view of its traces when nothing exports them (no OTEL_* configured): the real SDK with an
// in-memory exporter, and a per-call summary of what it recorded — spans per call, their tree, durations.
import type { HrTime } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { ATTRS, SPANS } from "./names.js";
import { startTelemetry, type Telemetry } from "./sdk.js";

export interface SpanNode {
  readonly span: ReadableSpan;
  readonly children: readonly SpanNode[];
}

/** One trace: a call's (its root is the gateway's inbound call) or another (no call id on any span). */
export interface TraceOfCall {
  readonly traceId: string;
  readonly callId: string | undefined;
  readonly spans: number;
  /** The services that made its spans (`switchyard.service`), sorted. */
  readonly services: readonly string[];
  /** From its first span's start to its last span's end, ms. */
  readonly durationMs: number;
  readonly startMs: number;
  /**
   * The trace's top spans, earliest first: normally one root; a span whose parent was not recorded (still
   * open when the summary was taken) is a top span of its own.
   */
  readonly roots: readonly SpanNode[];
}

const ms = (t: HrTime) => t[0] * 1e3 + t[1] / 1e6;

/** Groups finished spans by trace into trees, calls first in order of their start. */
export function tracesOfCalls(spans: readonly ReadableSpan[]): TraceOfCall[] {
  const byTrace = new Map<string, ReadableSpan[]>();
  for (const s of spans) {
    const id = s.spanContext().traceId;
    const list = byTrace.get(id);
    if (list) list.push(s);
    else byTrace.set(id, [s]);
  }
  const out: TraceOfCall[] = [];
  for (const [traceId, list] of byTrace) {
    const ids = new Set(list.map((s) => s.spanContext().spanId));
    const children = new Map<string, ReadableSpan[]>();
    const tops: ReadableSpan[] = [];
    for (const s of list) {
      const parent = s.parentSpanContext?.spanId;
      if (parent && ids.has(parent)) children.set(parent, [...(children.get(parent) ?? []), s]);
      else tops.push(s);
    }
    const byStart = (a: ReadableSpan, b: ReadableSpan) => ms(a.startTime) - ms(b.startTime);
    const node = (s: ReadableSpan): SpanNode => ({
      span: s,
      children: (children.get(s.spanContext().spanId) ?? []).sort(byStart).map(node),
    });
    const startMs = Math.min(...list.map((s) => ms(s.startTime)));
    const endMs = Math.max(...list.map((s) => ms(s.endTime)));
    const callId = list.map((s) => s.attributes[ATTRS.callId]).find((v) => typeof v === "string");
    const services = new Set(
      list.map((s) => s.attributes[ATTRS.service]).filter((v): v is string => typeof v === "string"),
    );
    out.push({
      traceId,
      callId: callId as string | undefined,
      spans: list.length,
      services: [...services].sort(),
      durationMs: endMs - startMs,
      startMs,
      roots: tops.sort(byStart).map(node),
    });
  }
  return out.sort(
    (a, b) => Number(a.callId === undefined) - Number(b.callId === undefined) || a.startMs - b.startMs,
  );
}

function fmtMs(v: number): string {
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (v >= 10) return `${v.toFixed(0)} ms`;
  return `${v.toFixed(1)} ms`;
}

/** What a span is about, in a few words: the input decided, the command run, the event published... */
function detail(s: ReadableSpan): string {
  const a = s.attributes;
  switch (s.name) {
    case SPANS.routerDecide: {
      const delivery = Number(a[ATTRS.delivery] ?? 1);
      const events = a[ATTRS.events] ? ` → ${String(a[ATTRS.events])}` : "";
      return `${String(a[ATTRS.input] ?? "")}${delivery > 1 ? ` (delivery ${delivery})` : ""}${events}`;
    }
    case SPANS.gatewayLegCommand:
      return String(a[ATTRS.legCommand] ?? "");
    case SPANS.gatewayLegFact:
      return String(a[ATTRS.legFact] ?? "");
    case SPANS.eventStoreAppend: {
      const n = a[ATTRS.eventCount];
      return n === undefined ? "" : `${String(n)} event${n === 1 ? "" : "s"}`;
    }
    case SPANS.relayPublish:
      return String(a[ATTRS.eventType] ?? "");
    case SPANS.routerQueueWait:
      return `${String(a[ATTRS.queue] ?? "")}, ${String(a[ATTRS.queueWaitSeconds] ?? "?")} s, ${String(a[ATTRS.dequeueReason] ?? "")}`;
    default:
      return "";
  }
}

/**
 * The tree of one trace, one line per span: name, its service, what it was about, its duration and its
 * start after the trace's. Consecutive leaf siblings of one name (the relay's publish of each event of a
 * commit) are one line with their count.
 */
export function formatTraceTree(t: TraceOfCall): string[] {
  const lines: string[] = [];
  const walk = (nodes: readonly SpanNode[], prefix: string) => {
    let i = 0;
    while (i < nodes.length) {
      const n = nodes[i]!;
      let j = i + 1;
      if (n.children.length === 0)
        while (j < nodes.length && nodes[j]!.children.length === 0 && nodes[j]!.span.name === n.span.name)
          j++;
      const group = nodes.slice(i, j);
      const last = j >= nodes.length;
      const service = n.span.attributes[ATTRS.service];
      const details = group.map((g) => detail(g.span)).filter((d) => d !== "");
      const longest = Math.max(...group.map((g) => ms(g.span.duration)));
      const text = [
        group.length > 1 ? `${n.span.name} ×${group.length}` : n.span.name,
        typeof service === "string" ? `[${service}]` : "",
        details.length > 0 ? details.join(", ") : "",
        group.length > 1 ? `longest ${fmtMs(longest)}` : fmtMs(longest),
        `at +${fmtMs(ms(n.span.startTime) - t.startMs)}`,
      ]
        .filter((x) => x !== "")
        .join("  ");
      lines.push(`${prefix}${last ? "└─ " : "├─ "}${text}`);
      if (group.length === 1) walk(n.children, `${prefix}${last ? "   " : "│  "}`);
      i = j;
    }
  };
  walk(t.roots, "");
  return lines;
}

export interface TraceSummaryOptions {
  /** Full trees for this many calls (the first, the longest, the one with the most spans...); default 3. */
  readonly trees?: number;
  /** How fast the platform clock ran (the demo's ×60): said next to the durations, which are real time. */
  readonly clockSpeed?: number;
}

/** The per-call summary: one line per call (spans, services, duration), then the trees of a few calls. */
export function formatTraceSummary(
  spans: readonly ReadableSpan[],
  options: TraceSummaryOptions = {},
): string[] {
  const traces = tracesOfCalls(spans);
  const calls = traces.filter((t) => t.callId !== undefined);
  const others = traces.filter((t) => t.callId === undefined);
  const speed = options.clockSpeed;
  const lines = [
    `trace summary (OpenTelemetry SDK, in-memory exporter): ${calls.length} calls, ${spans.length} spans` +
      (others.length > 0
        ? ` (${others.reduce((n, t) => n + t.spans, 0)} in ${others.length} traces of no call)`
        : "") +
      (speed !== undefined && speed !== 1
        ? `; durations in real time, the platform clock ran ×${speed}`
        : ""),
  ];
  if (calls.length === 0) return lines;
  const counts = calls.map((t) => t.spans).sort((a, b) => a - b);
  lines.push(
    `  spans per call: min ${counts[0]}, median ${counts[Math.floor(counts.length / 2)]}, max ${counts.at(-1)}`,
  );
  lines.push(`  ${"call".padEnd(36)}  ${"spans".padStart(5)}  ${"duration".padStart(9)}  services`);
  for (const t of calls)
    lines.push(
      `  ${String(t.callId).padEnd(36)}  ${String(t.spans).padStart(5)}  ${fmtMs(t.durationMs).padStart(9)}  ${t.services.join(", ")}`,
    );
  const picks: Array<[string, TraceOfCall]> = [
    ["the first call", calls[0]!],
    ["the longest call", calls.reduce((a, b) => (b.durationMs > a.durationMs ? b : a))],
    ["the call with the most spans", calls.reduce((a, b) => (b.spans > a.spans ? b : a))],
  ];
  const shown = new Set<string>();
  for (const [why, t] of picks) {
    if (shown.size >= (options.trees ?? 3) || shown.has(t.traceId)) continue;
    shown.add(t.traceId);
    lines.push(
      `  trace of ${why}: call ${t.callId}, trace ${t.traceId}, ${t.spans} spans, ${fmtMs(t.durationMs)}`,
    );
    for (const l of formatTraceTree(t)) lines.push(`    ${l}`);
  }
  return lines;
}

export interface TraceCollector extends AsyncDisposable {
  readonly telemetry: Telemetry;
  /** Every span finished so far. */
  spans(): ReadableSpan[];
}

/**
 * Starts the SDK with an in-memory span exporter only (no OTLP, no metric export): for a process that
 * wants to look at its own traces, the demo's `--trace-summary`.
 */
export function startTraceCollector(serviceName: string): TraceCollector {
  const exporter = new InMemorySpanExporter();
  const telemetry = startTelemetry({
    serviceName,
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
    metricReaders: [],
  });
  return {
    telemetry,
    spans: () => exporter.getFinishedSpans(),
    [Symbol.asyncDispose]: () => telemetry[Symbol.asyncDispose](),
  };
}
