import {
  context,
  type DiagLogger,
  DiagLogLevel,
  diag,
  metrics,
  propagation,
  trace,
} from "@opentelemetry/api";
import { GrpcInstrumentation } from "@opentelemetry/instrumentation-grpc";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import type { IMetricReader } from "@opentelemetry/sdk-metrics";
import { NodeSDK } from "@opentelemetry/sdk-node";
import type { SpanProcessor } from "@opentelemetry/sdk-trace";

export interface TelemetryOptions {
  /** `service.name` of the resource (e.g. `switchyard-router`, or `switchyard` for `--target all`). */
  readonly serviceName: string;
  readonly serviceVersion?: string;
  /** Where the OTEL_* variables are read to decide whether to start (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Span processors and metric readers to use instead of the exporters the OTEL_* variables name (tests:
   * an in-memory exporter). Giving either starts the SDK whatever the environment says.
   */
  readonly spanProcessors?: SpanProcessor[];
  readonly metricReaders?: IMetricReader[];
}

/**
 * The library instrumentations the SDK registers: `pg` (the event store's queries, as children of the span
 * that made them) and `@grpc/grpc-js` (a SERVER span per admin-api RPC, CLIENT spans for calls made with
 * it). Both packages are CommonJS loaded from ES modules: a module imported before the SDK started is
 * patched through import-in-the-middle, whose loader hook `registerInstrumentationHooks()` registers
 * (the `switchyard` binary does it first thing); without that hook only modules `require`d after the start
 * are patched.
 */
function libraryInstrumentations() {
  return [
    // Only queries inside a span: the relay's polling and LISTEN sessions would otherwise be a root trace
    // per poll.
    new PgInstrumentation({ requireParentSpan: true }),
    new GrpcInstrumentation(),
  ];
}

export interface Telemetry extends AsyncDisposable {
  /** An SDK is running: spans and metrics go somewhere. */
  readonly enabled: boolean;
  /** One line for the start-up banner. */
  describe(): string;
  /** Exports what is buffered. */
  flush(): Promise<void>;
}

/** The variables that name an exporter or an endpoint: without one of them nothing is started. */
const CONFIGURING = [
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
  "OTEL_TRACES_EXPORTER",
  "OTEL_METRICS_EXPORTER",
];

/**
 * Whether the environment asks for telemetry: one of the standard exporter/endpoint variables is set and
 * `OTEL_SDK_DISABLED` is not true. Off by default: the SDK's own default (OTLP to localhost:4318) would
 * otherwise make every developer's `switchyard run` retry exports into nothing.
 */
export function telemetryRequested(env: Readonly<Record<string, string | undefined>>): boolean {
  if ((env.OTEL_SDK_DISABLED ?? "").trim().toLowerCase() === "true") return false;
  return CONFIGURING.some((k) => (env[k] ?? "").trim() !== "" && env[k]?.trim() !== "none");
}

/** The SDK's own complaints (an exporter that cannot reach its collector) as one warning line each. */
const diagToStderr: DiagLogger = {
  error: (message) => console.error(`otel: ${message}`),
  warn: (message) => console.error(`otel: ${message}`),
  info: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
};

/**
 * Starts the OpenTelemetry Node SDK (tracer and meter providers, W3C trace-context propagator, async-hooks
 * context manager) when asked to, exporters and resource from the standard OTEL_* variables. When not
 * asked, the OTel API stays a no-op and nothing is registered.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const env = options.env ?? process.env;
  const explicit = options.spanProcessors !== undefined || options.metricReaders !== undefined;
  if (!explicit && !telemetryRequested(env)) {
    return {
      enabled: false,
      describe: () => "telemetry: off (set OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER to export)",
      flush: async () => undefined,
      [Symbol.asyncDispose]: async () => undefined,
    };
  }
  diag.setLogger(diagToStderr, DiagLogLevel.WARN);
  const instrumentations = libraryInstrumentations();
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
    ...(options.metricReaders ? { metricReaders: options.metricReaders } : {}),
    instrumentations,
  });
  sdk.start();
  let stopped = false;
  const endpoint =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "the default OTLP endpoint";
  return {
    enabled: true,
    describe: () =>
      explicit
        ? `telemetry: on (${options.serviceName}, in-process exporters)`
        : `telemetry: on (${options.serviceName}, traces ${env.OTEL_TRACES_EXPORTER ?? "otlp"} and metrics ${env.OTEL_METRICS_EXPORTER ?? "otlp"} to ${endpoint})`,
    async flush() {
      // NodeSDK has no flush of its own: the providers registered globally do.
      const tp = trace.getTracerProvider() as { forceFlush?: () => Promise<void> };
      const delegate = (tp as { getDelegate?: () => { forceFlush?: () => Promise<void> } }).getDelegate?.();
      await (delegate?.forceFlush ?? tp.forceFlush)?.call(delegate ?? tp);
      const mp = metrics.getMeterProvider() as { forceFlush?: () => Promise<void> };
      await mp.forceFlush?.();
    },
    async [Symbol.asyncDispose]() {
      if (stopped) return;
      stopped = true;
      await sdk.shutdown().catch((err: unknown) => console.error(`otel: shutdown: ${String(err)}`));
      // NodeSDK.shutdown leaves the library patches enabled (on a provider that is gone): take them off, so
      // that a later start in the same process patches afresh instead of stacking on stale ones.
      for (const i of instrumentations) i.disable();
      // Back to the no-op API: whatever still runs in this process stops producing into stopped exporters,
      // and a later start in the same process can register again.
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
      diag.disable();
    },
  };
}
