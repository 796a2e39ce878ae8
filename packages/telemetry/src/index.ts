export { EventMetrics, type EventMetricsState, type ObservedEvent } from "./event-metrics.js";
export {
  consoleLog,
  createLogger,
  type Logger,
  type LoggerOptions,
  type ServiceLog,
  type ServiceLogLevel,
  serviceLog,
} from "./log.js";
export { busMetrics, count, meter, observeGauge, record } from "./metrics.js";
export {
  ATTRS,
  type AttrName,
  INSTRUMENTATION_SCOPE,
  METRIC_ATTRS,
  METRICS,
  type MetricKey,
  prometheusName,
  prometheusSeries,
  SPANS,
  type SpanName,
} from "./names.js";
export { startTelemetry, type Telemetry, type TelemetryOptions, telemetryRequested } from "./sdk.js";
export {
  contextFromTraceparent,
  contextOf,
  failSpan,
  inSpan,
  SpanKind,
  startSpan,
  traceIdOf,
  traceparentOf,
  tracer,
} from "./trace.js";
export {
  formatTraceSummary,
  formatTraceTree,
  type SpanNode,
  startTraceCollector,
  type TraceCollector,
  type TraceOfCall,
  type TraceSummaryOptions,
  tracesOfCalls,
} from "./trace-summary.js";
