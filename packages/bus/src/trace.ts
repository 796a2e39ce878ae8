import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
} from "@opentelemetry/api";
import { Match, type MsgHdrs } from "nats";

// W3C trace context travels in NATS headers; these adapters let any registered OTel propagator read/write
// them.
export const natsHeaderSetter: TextMapSetter<MsgHdrs> = {
  set(carrier, key, value) {
    carrier.set(key, value);
  },
};

export const natsHeaderGetter: TextMapGetter<MsgHdrs> = {
  keys(carrier) {
    return carrier.keys();
  },
  get(carrier, key) {
    const values = carrier.values(key, Match.IgnoreCase);
    if (values.length === 0) return undefined;
    return values.length === 1 ? values[0] : values;
  },
};

export interface TraceHeaders {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/**
 * Puts the trace context into the headers. An explicit traceparent (e.g. the one stored on an event) wins;
 * otherwise the given or active context is injected by the registered propagator (a no-op without an SDK).
 */
export function injectTrace(headers: MsgHdrs, explicit: TraceHeaders, ctx: Context | undefined): void {
  if (explicit.traceparent) {
    headers.set("traceparent", explicit.traceparent);
    if (explicit.tracestate) headers.set("tracestate", explicit.tracestate);
    return;
  }
  propagation.inject(ctx ?? context.active(), headers, natsHeaderSetter);
}

export function extractTrace(headers: MsgHdrs | undefined): Context {
  if (!headers) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, headers, natsHeaderGetter);
}
