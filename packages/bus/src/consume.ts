import type { Context } from "@opentelemetry/api";
import type { ConsumerMessages, JetStreamClient, JsMsg, MsgHdrs } from "nats";
import type { Bus } from "./bus.js";
import { PoisonMessageError, TransientError } from "./errors.js";
import { deadLetterSubject } from "./naming.js";
import type { ConsumerSpec } from "./specs.js";
import { extractTrace } from "./trace.js";

export interface DeliveryInfo {
  /** Logical subject (prefix removed). */
  readonly subject: string;
  readonly stream: string;
  readonly durable: string;
  readonly streamSequence: number;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
  readonly maxDeliver: number;
  readonly msgId: string | undefined;
}

export interface BusMessage<T> {
  readonly payload: T;
  readonly headers: Readonly<Record<string, string>>;
  readonly info: DeliveryInfo;
  /** Trace context extracted from the headers by the registered propagator. */
  readonly context: Context;
  /** Resets the server's ack timer for long handlers. */
  working(): void;
}

/** Returning `{ nak: delayMs }` asks for a redelivery after the delay without it counting as a failure log. */
export type HandlerResult = undefined | { readonly nak: number };

export interface ConsumeOptions<T = unknown> extends ConsumerSpec {
  /**
   * Runs the message's effect. Resolve → ack; throw TransientError (or any other error) or return
   * `{ nak }` → redeliver later; throw PoisonMessageError → dead-letter and never redeliver.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: plain `async (m) => { ... }` handlers must type-check
  readonly handler: (message: BusMessage<T>) => Promise<HandlerResult | void> | HandlerResult | void;
  /** Validates/decodes the parsed JSON; throwing dead-letters the message as poison. */
  readonly decode?: (json: unknown) => T;
  /** Handlers running at once (default 1: in stream order, apart from redeliveries). */
  readonly concurrency?: number;
  /**
   * Messages pulled ahead of the handlers (default 4 × concurrency). Their ack timers run while they wait,
   * so keep prefetch × handler time well under ackWaitMs or they are redelivered while still queued.
   */
  readonly prefetch?: number;
  /** Delay before a redelivery after a transient failure (default 100 ms doubling, at most 30 s). */
  readonly backoffMs?: (deliveryCount: number) => number;
  /** Told about each failure; default console.warn. */
  readonly onError?: (error: unknown, info: DeliveryInfo, outcome: "nak" | "dead-letter") => void;
}

export interface ConsumerHandle {
  /** Stops pulling, waits for the handlers in flight to settle (and ack/nak). */
  stop(): Promise<void>;
  /** Resolves when the consumer loop ended (after stop, or on a fatal error). */
  readonly done: Promise<void>;
}

/** What is published on `dlq.<stream>.<durable>`. */
export interface DeadLetter {
  readonly reason: string;
  readonly error: string;
  readonly stream: string;
  readonly durable: string;
  readonly subject: string;
  readonly streamSequence: number;
  readonly deliveryCount: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The original bytes as UTF-8 text (may not be valid JSON — that can be the reason). */
  readonly payload: string;
}

export function defaultBackoffMs(deliveryCount: number): number {
  return Math.min(100 * 2 ** Math.max(0, deliveryCount - 1), 30_000);
}

function headerRecord(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const k of h.keys()) out[k] = h.get(k);
  return out;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export function startConsumer<T>(
  bus: Bus,
  js: JetStreamClient,
  options: ConsumeOptions<T>,
  /** Work-queue streams on nats-server 2.9 keep terminated messages; this removes one. */
  removeTerminated?: (streamSequence: number) => Promise<void>,
): ConsumerHandle {
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const backoff = options.backoffMs ?? defaultBackoffMs;
  const onError =
    options.onError ??
    ((err: unknown, info: DeliveryInfo, outcome: string) =>
      console.warn(
        `bus consumer ${info.stream}/${info.durable}: ${info.subject} #${info.streamSequence} ` +
          `delivery ${info.deliveryCount}/${info.maxDeliver} → ${outcome}: ${describe(err)}`,
      ));
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  let messages: ConsumerMessages | undefined;

  async function deadLetter(msg: JsMsg, info: DeliveryInfo, reason: string, err: unknown): Promise<void> {
    const letter: DeadLetter = {
      reason,
      error: describe(err),
      stream: options.stream,
      durable: options.durable,
      subject: info.subject,
      streamSequence: info.streamSequence,
      deliveryCount: info.deliveryCount,
      headers: headerRecord(msg.headers),
      payload: new TextDecoder().decode(msg.data),
    };
    // Publish before term: if we die in between, the redelivery republishes with the same id (deduplicated).
    await bus.publish(deadLetterSubject(options.stream, options.durable), letter, {
      msgId: `dlq:${options.stream}:${options.durable}:${info.streamSequence}`,
    });
    msg.term(reason);
    onError(err, info, "dead-letter");
    await removeTerminated?.(info.streamSequence);
  }

  async function handle(msg: JsMsg): Promise<void> {
    const info: DeliveryInfo = {
      subject: bus.names.logicalSubject(msg.subject),
      stream: options.stream,
      durable: options.durable,
      streamSequence: msg.info.streamSequence,
      deliveryCount: msg.info.deliveryCount,
      maxDeliver: options.maxDeliver,
      msgId: msg.headers?.get("Nats-Msg-Id") || undefined,
    };
    let payload: T;
    try {
      const json: unknown = JSON.parse(decoder.decode(msg.data));
      payload = options.decode ? options.decode(json) : (json as T);
    } catch (err) {
      await deadLetter(msg, info, "undecodable payload", err);
      return;
    }
    let result: HandlerResult | undefined;
    let failure: unknown;
    try {
      result = (await options.handler({
        payload,
        headers: headerRecord(msg.headers),
        info,
        context: extractTrace(msg.headers),
        working: () => msg.working(),
      })) as HandlerResult | undefined;
    } catch (err) {
      failure = err;
    }
    if (failure === undefined) {
      if (result && typeof result.nak === "number") {
        if (info.deliveryCount >= options.maxDeliver) {
          await deadLetter(msg, info, "max deliveries reached", new Error("handler asked for redelivery"));
        } else {
          msg.nak(result.nak);
        }
        return;
      }
      msg.ack();
      return;
    }
    if (failure instanceof PoisonMessageError) {
      await deadLetter(msg, info, "poison message", failure);
      return;
    }
    if (info.deliveryCount >= options.maxDeliver) {
      await deadLetter(msg, info, "max deliveries reached", failure);
      return;
    }
    const delay =
      failure instanceof TransientError && failure.delayMs !== undefined
        ? failure.delayMs
        : backoff(info.deliveryCount);
    msg.nak(delay);
    onError(failure, info, "nak");
  }

  function track(msg: JsMsg): Promise<void> {
    const p = handle(msg)
      .catch((err: unknown) => {
        // The dead-letter publish itself failed: leave the message to be redelivered.
        try {
          msg.nak(backoff(msg.info.deliveryCount));
        } catch {
          // connection gone; the ack wait will redeliver it
        }
        console.warn(`bus consumer ${options.stream}/${options.durable}: ${describe(err)}`);
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    return p;
  }

  async function run(): Promise<void> {
    const consumer = await js.consumers.get(bus.names.stream(options.stream), options.durable);
    if (stopping) return;
    messages = await consumer.consume({
      max_messages: Math.max(options.prefetch ?? concurrency * 4, concurrency),
    });
    for await (const msg of messages) {
      if (stopping) {
        // Pulled but never started: hand it back at once rather than waiting out the ack timer.
        msg.nak();
        continue;
      }
      track(msg);
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    await Promise.allSettled(inFlight);
  }

  const done = run().catch((err: unknown) => {
    console.warn(`bus consumer ${options.stream}/${options.durable} stopped: ${describe(err)}`);
  });

  return {
    done,
    async stop() {
      stopping = true;
      await Promise.allSettled(inFlight);
      await messages?.close();
      await done;
    },
  };
}
