import type { Context } from "@opentelemetry/api";
import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg, MsgHdrs } from "nats";
import {
  deliveryEnded,
  deliveryStarted,
  settledBy,
  type TrackedConsumer,
  trackConsumer,
} from "./activity.js";
import { PoisonMessageError, TransientError } from "./errors.js";
import { type BusNames, deadLetterSubject } from "./naming.js";
import type { ConsumerSpec } from "./specs.js";
import { extractTrace } from "./trace.js";

export { type BusActivity, busActivity, trackPublish } from "./activity.js";

/**
 * What a consumer uses of its bus (the `Bus` of bus.ts is one). Declared here rather than imported, so that
 * bus.ts, which starts consumers, and this file do not import each other.
 */
export interface ConsumerBus {
  readonly names: BusNames;
  readonly server: string;
  /** Publishes a dead letter (deduplicated by `msgId`). */
  publish(subject: string, payload: unknown, options: { readonly msgId: string }): Promise<unknown>;
  isClosed(): boolean;
}

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

/** Told about deliveries and dead letters of every consumer of this process (metrics). */
export interface BusObserver {
  delivered?(info: DeliveryInfo): void;
  deadLettered?(info: DeliveryInfo, reason: string): void;
}

let observer: BusObserver = {};

/** Sets the process-wide observer (the composition root wires the telemetry's metrics here). */
export function setBusObserver(o: BusObserver): void {
  observer = o;
}

// The delivery each decoded payload came with: lets code that only sees payloads (the decision runtime hands
// its `decide` the payload) find the message's trace context and delivery count without a change of shape.
const deliveries = new WeakMap<object, { readonly context: Context; readonly info: DeliveryInfo }>();

/** The trace context and delivery info of a payload handed to a handler (undefined for non-objects). */
export function deliveryOf(
  payload: unknown,
): { readonly context: Context; readonly info: DeliveryInfo } | undefined {
  return typeof payload === "object" && payload !== null ? deliveries.get(payload) : undefined;
}

function delivered(): void {
  deliveryStarted();
}

function settledOne(): void {
  deliveryEnded();
}

/** Where a consumer of this process stands (health: a failed consumer makes the process not ready). */
export interface ConsumerState {
  readonly stream: string;
  readonly durable: string;
  /** running: pulling; stopping: stop() called, draining; stopped: done; failed: the loop ended on an error. */
  state: "running" | "stopping" | "stopped" | "failed";
  error?: string;
}

const consumerRegistry = new Set<ConsumerState>();

/** Every consumer this process started and has not stopped yet (stopped ones are forgotten). */
export function consumerStates(): readonly ConsumerState[] {
  return [...consumerRegistry].map((c) => ({ ...c }));
}

function register(options: ConsumerSpec, done: Promise<unknown>, failed: () => string | undefined) {
  const entry: ConsumerState = { stream: options.stream, durable: options.durable, state: "running" };
  consumerRegistry.add(entry);
  void done.then(() => {
    // Ending without stop() is a failure too (the connection closed under the pull).
    const error = entry.state === "stopping" ? undefined : (failed() ?? "the consumer loop ended");
    if (error !== undefined) {
      entry.state = "failed";
      entry.error = error;
    } else {
      entry.state = "stopped";
      consumerRegistry.delete(entry);
    }
  });
  return {
    stopping() {
      entry.state = "stopping";
    },
  };
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

/** Counted locally from before its first pull (see activity.ts) until its loop ends. */
function trackedConsumer(bus: ConsumerBus, options: ConsumerSpec) {
  return trackConsumer(
    `${bus.server} ${bus.names.stream(options.stream)}`,
    options.filterSubject === undefined ? undefined : bus.names.subject(options.filterSubject),
    options.durable,
  );
}

/**
 * Batched consumption: the handler gets every message pulled so far (up to `maxBatch`) at once and returns
 * one outcome per message, in the same order. While a batch is handled the next one accumulates, so a busy
 * consumer takes bigger batches (grouped commits) and an idle one answers single messages at once.
 */
export interface BatchConsumeOptions<T = unknown> extends ConsumerSpec {
  /** Outcome per message: `undefined` ack, `{ nak }` redeliver after the delay, an Error as if thrown by a single handler. */
  readonly handler: (messages: ReadonlyArray<BusMessage<T>>) => Promise<ReadonlyArray<BatchOutcome>>;
  readonly decode?: (json: unknown) => T;
  /** Most messages per batch (default 256). */
  readonly maxBatch?: number;
  /**
   * Batches handled at once (default 1: one after the other). With more, a handler must keep the order
   * it needs itself (the decision runtime orders inputs of one key across its runs).
   */
  readonly concurrency?: number;
  /** Messages pulled ahead (default 2 × maxBatch); the same ack-timer caveat as ConsumeOptions.prefetch. */
  readonly prefetch?: number;
  readonly backoffMs?: (deliveryCount: number) => number;
  readonly onError?: (error: unknown, info: DeliveryInfo, outcome: "nak" | "dead-letter") => void;
}

export type BatchOutcome = HandlerResult | Error;

type Failure = { readonly failure: unknown };

interface Settler<T> {
  infoOf(msg: JsMsg): DeliveryInfo;
  /** Parsed and decoded payload, or the message has been dead-lettered (undefined). */
  decode(msg: JsMsg, info: DeliveryInfo): Promise<{ payload: T } | undefined>;
  message(msg: JsMsg, payload: T, info: DeliveryInfo): BusMessage<T>;
  settle(msg: JsMsg, info: DeliveryInfo, outcome: HandlerResult | Failure): Promise<void>;
  backoff(deliveryCount: number): number;
}

function settler<T>(
  bus: ConsumerBus,
  options: ConsumerSpec & {
    readonly decode?: (json: unknown) => T;
    readonly backoffMs?: (deliveryCount: number) => number;
    readonly onError?: (error: unknown, info: DeliveryInfo, outcome: "nak" | "dead-letter") => void;
  },
  removeTerminated: ((streamSequence: number) => Promise<void>) | undefined,
  tracked: TrackedConsumer,
): Settler<T> {
  const backoff = options.backoffMs ?? defaultBackoffMs;
  const onError =
    options.onError ??
    ((err: unknown, info: DeliveryInfo, outcome: string) =>
      console.warn(
        `bus consumer ${info.stream}/${info.durable}: ${info.subject} #${info.streamSequence} ` +
          `delivery ${info.deliveryCount}/${info.maxDeliver} → ${outcome}: ${describe(err)}`,
      ));
  const decoder = new TextDecoder("utf-8", { fatal: true });

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
    // No reason on the wire: nats-server 2.9 only recognises a bare `+TERM` (with a reason it ignores the
    // term and redelivers after the ack wait). The reason is in the dead letter.
    msg.term();
    settledBy(tracked, info.streamSequence);
    observer.deadLettered?.(info, reason);
    onError(err, info, "dead-letter");
    await removeTerminated?.(info.streamSequence);
  }

  return {
    backoff,
    infoOf: (msg) => ({
      subject: bus.names.logicalSubject(msg.subject),
      stream: options.stream,
      durable: options.durable,
      streamSequence: msg.info.streamSequence,
      deliveryCount: msg.info.deliveryCount,
      maxDeliver: options.maxDeliver,
      msgId: msg.headers?.get("Nats-Msg-Id") || undefined,
    }),
    async decode(msg, info) {
      try {
        const json: unknown = JSON.parse(decoder.decode(msg.data));
        return { payload: options.decode ? options.decode(json) : (json as T) };
      } catch (err) {
        await deadLetter(msg, info, "undecodable payload", err);
        return undefined;
      }
    },
    message: (msg, payload, info) => {
      const context = extractTrace(msg.headers);
      if (typeof payload === "object" && payload !== null) deliveries.set(payload, { context, info });
      observer.delivered?.(info);
      return { payload, headers: headerRecord(msg.headers), info, context, working: () => msg.working() };
    },
    async settle(msg, info, outcome) {
      if (outcome === undefined) {
        msg.ack();
        settledBy(tracked, info.streamSequence);
        return;
      }
      if ("nak" in outcome) {
        if (info.deliveryCount >= options.maxDeliver) {
          await deadLetter(msg, info, "max deliveries reached", new Error("handler asked for redelivery"));
        } else {
          msg.nak(outcome.nak);
        }
        return;
      }
      const failure = outcome.failure;
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
    },
  };
}

/** A settle that failed (the dead-letter publish itself): leave the message to be redelivered. */
function settleFailed(options: ConsumerSpec, msg: JsMsg, backoff: (n: number) => number, err: unknown): void {
  try {
    msg.nak(backoff(msg.info.deliveryCount));
  } catch {
    // connection gone; the ack wait will redeliver it
  }
  console.warn(`bus consumer ${options.stream}/${options.durable}: ${describe(err)}`);
}

/**
 * How long one pull waits on the server for messages. It bounds how long `stop()` waits: a consumer stops by
 * letting its current pull end (full or expired) instead of unsubscribing from it, because messages the
 * server had already sent to an abandoned pull are dropped by the client and come back only after the ack
 * wait (a stopping router's inputs would wait that long). nats.js accepts no less than 1 s.
 */
const PULL_EXPIRES_MS = 1_000;

/** A pull the server has not ended this long after its expiry (a lost connection, a lost request) is given up. */
const PULL_GIVE_UP_MS = PULL_EXPIRES_MS + 500;

/**
 * Ends a pull only after the socket has been read. nats.js ends a fetch on timers of its own, 5% after
 * `expires` and when idle heartbeats seem missed (then re-pulling on the side); on a blocked event loop those
 * timers run before the socket is read, the pull's inbox is unsubscribed, and messages the server had already
 * sent to it are dropped: redelivered only after the ack wait (minutes for a router). The server ends every
 * pull itself (the batch is full, or a timeout status after `expires`, sent after the pull's messages on the
 * same connection); a pull it has not ended by the give-up time is closed from `setImmediate`, which runs
 * after the event loop's poll phase, so what had arrived by then is delivered first.
 */
function endsAfterTheSocketIsRead(batch: ConsumerMessages): ReturnType<typeof setTimeout> {
  const own = batch as ConsumerMessages & {
    timeout?: { cancel(): void } | null;
    monitor?: { cancel(): void } | null;
  };
  own.timeout?.cancel();
  own.monitor?.cancel();
  return setTimeout(() => {
    setImmediate(() => {
      void batch.close();
    });
  }, PULL_GIVE_UP_MS);
}

/**
 * The consumer's messages, one pull (fetch) after another, each asking for `room()` messages. Ends after
 * `stopping()` turns true and the pull in progress has ended, so every message the server sent is yielded
 * (the caller hands back those it will not handle). A failed pull (a nats-server restart, a consumer being
 * re-created) is retried with backoff, as the library's own consume() does, until the bus closes.
 */
async function* pulls(
  bus: ConsumerBus,
  consumer: Consumer,
  options: ConsumerSpec,
  room: () => Promise<number>,
  stopping: () => boolean,
): AsyncGenerator<JsMsg> {
  let failures = 0;
  while (!stopping() && !bus.isClosed()) {
    const max = await room();
    if (stopping()) return;
    try {
      const batch = await consumer.fetch({ max_messages: max, expires: PULL_EXPIRES_MS });
      const watchdog = endsAfterTheSocketIsRead(batch);
      try {
        for await (const msg of batch) yield msg;
      } finally {
        clearTimeout(watchdog);
      }
      failures = 0;
    } catch (err) {
      if (stopping() || bus.isClosed()) return;
      failures++;
      if (failures === 1 || failures % 20 === 0) {
        console.warn(
          `bus consumer ${options.stream}/${options.durable}: pull failed (${failures}×): ${describe(err)}`,
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** Math.min(failures, 5))));
    }
  }
}

/**
 * Pulled but never started: handed back at once rather than left for the ack timer. Only once the pull that
 * brought them has ended: naked while it is open, the server sends them straight back into it, and a stopping
 * consumer would nak them again until their deliveries ran out.
 */
function handBackAll(messages: readonly JsMsg[]): void {
  for (const msg of messages) msg.nak();
}

export function startConsumer<T>(
  bus: ConsumerBus,
  js: JetStreamClient,
  options: ConsumeOptions<T>,
  /** Work-queue streams on nats-server 2.9 keep terminated messages; this removes one. */
  removeTerminated?: (streamSequence: number) => Promise<void>,
): ConsumerHandle {
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const tracked = trackedConsumer(bus, options);
  const s = settler<T>(bus, options, removeTerminated, tracked);
  const inFlight = new Set<Promise<void>>();
  let stopping = false;

  async function handle(msg: JsMsg): Promise<void> {
    const info = s.infoOf(msg);
    const decoded = await s.decode(msg, info);
    if (!decoded) return;
    let outcome: HandlerResult | Failure;
    try {
      outcome = (await options.handler(s.message(msg, decoded.payload, info))) as HandlerResult | undefined;
    } catch (err) {
      outcome = { failure: err };
    }
    await s.settle(msg, info, outcome);
  }

  function track(msg: JsMsg): Promise<void> {
    delivered();
    const p = handle(msg)
      .catch((err: unknown) => settleFailed(options, msg, s.backoff, err))
      .finally(() => {
        inFlight.delete(p);
        settledOne();
      });
    inFlight.add(p);
    return p;
  }

  async function run(): Promise<void> {
    const consumer = await js.consumers.get(bus.names.stream(options.stream), options.durable);
    const prefetch = Math.max(options.prefetch ?? concurrency * 4, concurrency);
    const room = async () => {
      while (inFlight.size >= concurrency && !stopping) await Promise.race(inFlight);
      return prefetch;
    };
    const handBack: JsMsg[] = [];
    for await (const msg of pulls(bus, consumer, options, room, () => stopping)) {
      if (stopping) {
        handBack.push(msg);
        continue;
      }
      track(msg);
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    handBackAll(handBack);
    await Promise.allSettled(inFlight);
  }

  let fatal: string | undefined;
  const done = run()
    .catch((err: unknown) => {
      fatal = describe(err);
      console.warn(`bus consumer ${options.stream}/${options.durable} stopped: ${describe(err)}`);
    })
    .finally(() => tracked.remove());
  const registered = register(options, done, () => fatal);

  return {
    done,
    async stop() {
      registered.stopping();
      stopping = true;
      await Promise.allSettled(inFlight);
      await done;
    },
  };
}

export function startBatchConsumer<T>(
  bus: ConsumerBus,
  js: JetStreamClient,
  options: BatchConsumeOptions<T>,
  removeTerminated?: (streamSequence: number) => Promise<void>,
): ConsumerHandle {
  const maxBatch = Math.max(1, options.maxBatch ?? 256);
  const prefetch = Math.max(options.prefetch ?? maxBatch * 2, maxBatch);
  const tracked = trackedConsumer(bus, options);
  const s = settler<T>(bus, options, removeTerminated, tracked);
  const pending: JsMsg[] = [];
  let wake: (() => void) | undefined;
  let pumped: (() => void) | undefined;
  let stopping = false;
  let pulling = true;
  const inFlight = new Set<Promise<void>>();
  const concurrency = Math.max(1, options.concurrency ?? 1);
  let pumpFailed: string | undefined;

  const notify = () => {
    wake?.();
    wake = undefined;
  };

  // Pulls into `pending`, pausing while it holds `prefetch` messages (back-pressure on the server).
  async function pump(): Promise<void> {
    const consumer = await js.consumers.get(bus.names.stream(options.stream), options.durable);
    const room = async () => {
      while (pending.length >= prefetch && !stopping) await new Promise<void>((r) => (pumped = r));
      return prefetch - pending.length;
    };
    const handBack: JsMsg[] = [];
    for await (const msg of pulls(bus, consumer, options, room, () => stopping)) {
      if (stopping) {
        handBack.push(msg);
        continue;
      }
      pending.push(msg);
      held.add(msg);
      delivered();
      notify();
    }
    handBackAll(handBack);
  }

  // Messages pulled but not settled yet (waiting for their batch, or in one): while this process is alive
  // their ack timers are reset, so a slow batch does not get the ones behind it redelivered to another
  // consumer; if the process dies, they are redelivered after ackWaitMs as usual.
  const held = new Set<JsMsg>();
  const keepAlive = setInterval(
    () => {
      for (const msg of held) msg.working();
    },
    Math.max(100, Math.floor(options.ackWaitMs / 3)),
  );
  keepAlive.unref();

  async function handleBatch(batch: readonly JsMsg[]): Promise<void> {
    try {
      await handleBatchOf(batch);
    } finally {
      for (const msg of batch) if (held.delete(msg)) settledOne();
    }
  }

  async function handleBatchOf(batch: readonly JsMsg[]): Promise<void> {
    const decoded: Array<{ msg: JsMsg; info: DeliveryInfo; message: BusMessage<T> }> = [];
    for (const msg of batch) {
      const info = s.infoOf(msg);
      try {
        const d = await s.decode(msg, info);
        if (d) decoded.push({ msg, info, message: s.message(msg, d.payload, info) });
      } catch (err) {
        settleFailed(options, msg, s.backoff, err);
      }
    }
    if (decoded.length === 0) return;
    let outcomes: ReadonlyArray<BatchOutcome>;
    try {
      outcomes = await options.handler(decoded.map((d) => d.message));
      if (outcomes.length !== decoded.length) {
        throw new Error(`batch handler returned ${outcomes.length} outcomes for ${decoded.length} messages`);
      }
    } catch (err) {
      outcomes = decoded.map(() => (err instanceof Error ? err : new Error(String(err))));
    }
    await Promise.all(
      decoded.map(({ msg, info }, i) => {
        const o = outcomes[i];
        return s
          .settle(msg, info, o instanceof Error ? { failure: o } : o)
          .catch((err: unknown) => settleFailed(options, msg, s.backoff, err));
      }),
    );
  }

  async function run(): Promise<void> {
    const pumping = pump()
      .catch((err: unknown) => {
        pumpFailed = describe(err);
        console.warn(`bus consumer ${options.stream}/${options.durable} stopped: ${describe(err)}`);
      })
      .finally(() => {
        pulling = false;
        notify();
      });
    while (!stopping) {
      if (inFlight.size >= concurrency) {
        await Promise.race(inFlight);
        continue;
      }
      if (pending.length === 0) {
        if (!pulling) break;
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      const batch = pending.splice(0, maxBatch);
      pumped?.();
      pumped = undefined;
      const p: Promise<void> = handleBatch(batch).finally(() => {
        inFlight.delete(p);
        notify();
      });
      inFlight.add(p);
    }
    await Promise.allSettled(inFlight);
    pumped?.();
    await pumping;
    const unstarted = pending.splice(0);
    for (const msg of unstarted) if (held.delete(msg)) settledOne();
    handBackAll(unstarted);
    clearInterval(keepAlive);
  }

  let fatal: string | undefined;
  const done = run()
    .catch((err: unknown) => {
      fatal = describe(err);
      console.warn(`bus consumer ${options.stream}/${options.durable} stopped: ${describe(err)}`);
    })
    .finally(() => tracked.remove());
  const registered = register(options, done, () => fatal ?? pumpFailed);

  return {
    done,
    async stop() {
      registered.stopping();
      stopping = true;
      notify();
      pumped?.();
      await Promise.allSettled(inFlight);
      await done;
    },
  };
}
