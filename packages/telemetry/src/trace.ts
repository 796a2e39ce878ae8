import {
  type Attributes,
  type Context,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { ATTRS, INSTRUMENTATION_SCOPE } from "./names.js";

export { SpanKind };

/** The platform's tracer (a no-op until an SDK is registered). */
export function tracer(): Tracer {
  return trace.getTracer(INSTRUMENTATION_SCOPE);
}

/**
 * The W3C `traceparent` of a span, to store in an event's metadata or to put on a message: a no-op span (no
 * SDK) has none, so nothing is stored.
 */
export function traceparentOf(span: Span | undefined): string | undefined {
  if (!span) return undefined;
  const sc = span.spanContext();
  if (!trace.isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags & 1).toString(16)}`;
}

/** The context a stored `traceparent` (event metadata) names, through the registered propagator. */
export function contextFromTraceparent(traceparent: string | undefined, tracestate?: string): Context {
  if (!traceparent) return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent };
  if (tracestate) carrier.tracestate = tracestate;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** Starts a span of one service under `parent` (a message's or event's context). */
export function startSpan(
  name: string,
  service: string,
  options: {
    parent?: Context;
    kind?: SpanKind;
    attributes?: Attributes;
    startTime?: number;
    /** Spans of other traces this one follows from (e.g. what triggered an input to a call). */
    links?: Link[];
  } = {},
): Span {
  return tracer().startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      attributes: { [ATTRS.service]: service, ...options.attributes },
      ...(options.links?.length ? { links: options.links } : {}),
      ...(options.startTime === undefined ? {} : { startTime: options.startTime }),
    },
    options.parent ?? context.active(),
  );
}

/** Ends a span with an error status (the error recorded). */
export function failSpan(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
  span.end();
}

/** Runs `fn` inside a span (the span active in its async context); ends it, with an error status if it throws. */
export async function inSpan<T>(span: Span, fn: () => Promise<T> | T): Promise<T> {
  try {
    const result = await context.with(trace.setSpan(context.active(), span), fn);
    span.end();
    return result;
  } catch (err) {
    failSpan(span, err);
    throw err;
  }
}

/** The context with `span` active under it (to inject into a publish). */
export function contextOf(span: Span, parent: Context = context.active()): Context {
  return trace.setSpan(parent, span);
}

/** The trace id active in a context, or undefined (no SDK, or no span). */
export function traceIdOf(ctx: Context = context.active()): string | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc && trace.isSpanContextValid(sc) ? sc.traceId : undefined;
}
