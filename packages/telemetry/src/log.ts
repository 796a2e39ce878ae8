import { context, trace } from "@opentelemetry/api";
import { type DestinationStream, type LevelWithSilent, type Logger, pino } from "pino";

export type { Logger } from "pino";

export interface LoggerOptions {
  /** The `service` field of every line (or set per service with `logger.child({ service })`). */
  readonly service?: string;
  /** Default `info`; `SWITCHYARD_LOG_LEVEL` in the CLI. Call state changes log at `debug`. */
  readonly level?: LevelWithSilent;
  /** Where lines go (default stdout); tests give a stream to read them back. */
  readonly destination?: DestinationStream;
}

/**
 * The platform's structured logger: one JSON object per line with `service`, and `trace_id`/`span_id` of
 * the span active when the line is written (a call's lines can be joined with its trace). Pass `callId`
 * in the fields (or use `logger.child({ callId })`).
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: options.service === undefined ? {} : { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const sc = trace.getSpanContext(context.active());
        if (!sc || !trace.isSpanContextValid(sc)) return {};
        return { trace_id: sc.traceId, span_id: sc.spanId };
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

export type ServiceLogLevel = "debug" | "info" | "warn" | "error";

/** A service's log: one entry with its level and fields (`callId` among them for a call's lines). */
export type ServiceLog = (
  level: ServiceLogLevel,
  message: string,
  fields?: Readonly<Record<string, unknown>>,
) => void;

/**
 * The services' log callback over a pino logger; `fields.callId` stays a field, so every line of a call
 * carries it.
 */
export function serviceLog(logger: Logger): ServiceLog {
  return (level, message, fields) => {
    if (fields) logger[level](fields, message);
    else logger[level](message);
  };
}

/**
 * A service's log when the composition root gives none: one JSON line an entry, warnings and errors on
 * stderr, `info` on stdout (or dropped when `quiet`), `debug` dropped.
 */
export function consoleLog(options: { readonly quiet?: boolean } = {}): ServiceLog {
  return (level, message, fields) => {
    if (level === "debug" || (level === "info" && options.quiet)) return;
    const line = JSON.stringify({ level, msg: message, ...fields });
    if (level === "info") console.log(line);
    else console.error(line);
  };
}
