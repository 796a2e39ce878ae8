// In-process telemetry for tests: the real SDK with an in-memory span exporter and a metric reader that
// collects on demand. Not a stand-in for the platform's instrumentation: only the export end is in memory.
import type { Attributes } from "@opentelemetry/api";
import { type DataPoint, DataPointType, MetricReader } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { startTelemetry, type Telemetry } from "./sdk.js";

class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface CollectedPoint {
  readonly name: string;
  readonly attributes: Attributes;
  /** Counters and gauges: the value; histograms: the count of recordings. */
  readonly value: number;
  /** Histograms: the sum of recordings. */
  readonly sum?: number;
}

export interface InMemoryTelemetry extends AsyncDisposable {
  readonly telemetry: Telemetry;
  /** Every finished span so far. */
  spans(): ReadableSpan[];
  /** Every metric data point as of now (cumulative). */
  metrics(): Promise<CollectedPoint[]>;
}

export function startInMemoryTelemetry(serviceName = "switchyard-test"): InMemoryTelemetry {
  const exporter = new InMemorySpanExporter();
  const reader = new OnDemandReader();
  const telemetry = startTelemetry({
    serviceName,
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
    metricReaders: [reader],
  });
  return {
    telemetry,
    spans: () => exporter.getFinishedSpans(),
    async metrics() {
      const { resourceMetrics } = await reader.collect();
      const out: CollectedPoint[] = [];
      for (const scope of resourceMetrics.scopeMetrics)
        for (const m of scope.metrics)
          for (const p of m.dataPoints as DataPoint<unknown>[]) {
            if (m.dataPointType === DataPointType.HISTOGRAM) {
              const v = p.value as { count: number; sum?: number };
              out.push({
                name: m.descriptor.name,
                attributes: p.attributes,
                value: v.count,
                ...(v.sum === undefined ? {} : { sum: v.sum }),
              });
            } else out.push({ name: m.descriptor.name, attributes: p.attributes, value: p.value as number });
          }
      return out;
    },
    [Symbol.asyncDispose]: () => telemetry[Symbol.asyncDispose](),
  };
}

export type { ReadableSpan };
