import { type Attributes, type Counter, type Histogram, type Meter, metrics } from "@opentelemetry/api";
import { INSTRUMENTATION_SCOPE, METRIC_ATTRS, METRICS, type MetricKey } from "./names.js";

/** The platform's meter (a no-op until an SDK with a metric reader is registered). */
export function meter(): Meter {
  return metrics.getMeter(INSTRUMENTATION_SCOPE);
}

const counters = new Map<MetricKey, Counter>();
const histograms = new Map<MetricKey, Histogram>();

// Instruments are created on first use from the *current* global meter provider: a test or the CLI that
// registers the SDK after this module loaded still gets real instruments.
let provider: unknown;
function fresh(): void {
  const now = metrics.getMeterProvider();
  if (now !== provider) {
    provider = now;
    counters.clear();
    histograms.clear();
  }
}

function describe(key: MetricKey): {
  description: string;
  unit?: string;
  advice?: { explicitBucketBoundaries: number[] };
} {
  const m: { name: string; unit: string; buckets?: readonly number[] } = METRICS[key];
  return {
    description: m.name,
    ...(m.unit ? { unit: m.unit } : {}),
    ...(m.buckets ? { advice: { explicitBucketBoundaries: [...m.buckets] } } : {}),
  };
}

/** Adds to one of the platform's counters. */
export function count(key: MetricKey, value = 1, attributes?: Attributes): void {
  fresh();
  let c = counters.get(key);
  if (!c) {
    c = meter().createCounter(METRICS[key].name, describe(key));
    counters.set(key, c);
  }
  c.add(value, attributes);
}

/** Records into one of the platform's histograms (seconds for durations). */
export function record(key: MetricKey, value: number, attributes?: Attributes): void {
  fresh();
  let h = histograms.get(key);
  if (!h) {
    h = meter().createHistogram(METRICS[key].name, describe(key));
    histograms.set(key, h);
  }
  h.record(value, attributes);
}

/** A gauge read at each collection: `observe` returns one value per attribute set. */
export function observeGauge(
  key: MetricKey,
  observe: () => Iterable<readonly [Attributes, number]>,
): { stop(): void } {
  const gauge = meter().createObservableGauge(METRICS[key].name, describe(key));
  const callback = (result: { observe(value: number, attributes?: Attributes): void }) => {
    for (const [attributes, value] of observe()) result.observe(value, attributes);
  };
  gauge.addCallback(callback);
  return { stop: () => gauge.removeCallback(callback) };
}

/** Bus consumer hooks: redeliveries and dead letters by stream and durable. */
export function busMetrics(): {
  delivered(info: { stream: string; durable: string; deliveryCount: number }): void;
  deadLettered(info: { stream: string; durable: string }): void;
} {
  return {
    delivered(info) {
      if (info.deliveryCount > 1)
        count("redeliveries", 1, {
          [METRIC_ATTRS.stream]: info.stream,
          [METRIC_ATTRS.durable]: info.durable,
        });
    },
    deadLettered(info) {
      count("deadLetters", 1, { [METRIC_ATTRS.stream]: info.stream, [METRIC_ATTRS.durable]: info.durable });
    },
  };
}
