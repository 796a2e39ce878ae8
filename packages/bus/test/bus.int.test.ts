import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { Worker } from "node:worker_threads";
import {
  type Context,
  type ContextManager,
  context as otelContext,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type Bus,
  type BusMessage,
  BusUnreachableError,
  type ConsumerHandle,
  connectBus,
  type DeadLetter,
  deadLetterStreamSpec,
  eventsStreamSpec,
  PoisonMessageError,
  TransientError,
  workQueueStreamSpec,
} from "../src/index.js";
import { natsConnectionOf } from "../src/testing.js";
import { eventually, NATS_URL, testBus } from "./helpers.js";

let bus: Bus;
const handles: ConsumerHandle[] = [];

beforeAll(async () => {
  bus = await testBus();
  await bus.ensureStreams([
    eventsStreamSpec(),
    deadLetterStreamSpec(),
    workQueueStreamSpec("WORK", ["work.>"]),
  ]);
});

afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.stop()));
});

afterAll(async () => {
  await bus.deleteStreams();
  await bus.close();
});

/** Collects dead letters of one consumer. */
async function deadLetters(durable: string, stream = "EVENTS"): Promise<DeadLetter[]> {
  const got: DeadLetter[] = [];
  handles.push(
    await bus.consume<DeadLetter>({
      stream: "DEADLETTER",
      durable: `dlq-reader-${durable}`,
      filterSubject: `dlq.${stream}.${durable}`,
      maxDeliver: 3,
      ackWaitMs: 5_000,
      handler: (m) => {
        got.push(m.payload);
        return undefined;
      },
    }),
  );
  return got;
}

const quiet = () => {};

describe("stream declaration", () => {
  it("is idempotent and prefixes names", async () => {
    await bus.ensureStreams([eventsStreamSpec(), deadLetterStreamSpec()]);
    await bus.ensureStreams([eventsStreamSpec(), deadLetterStreamSpec()]);
    const jsm = await natsConnectionOf(bus).jetstreamManager();
    const info = await jsm.streams.info(bus.names.stream("EVENTS"));
    expect(info.config.name).toBe(`${bus.names.prefix.toUpperCase()}-EVENTS`);
    expect(info.config.subjects).toEqual([`${bus.names.prefix}.evt.>`]);
    expect(info.config.duplicate_window).toBe(120_000_000_000);
    const names: string[] = [];
    for await (const n of jsm.streams.names())
      if (n.startsWith(`${bus.names.prefix.toUpperCase()}-`)) names.push(n);
    expect(names.sort()).toEqual(["DEADLETTER", "EVENTS", "WORK"].map((n) => bus.names.stream(n)));
  });

  it("updates a compatible change and ensureConsumer twice is a no-op", async () => {
    await bus.ensureStreams([eventsStreamSpec({ duplicateWindowMs: 60_000 })]);
    const jsm = await natsConnectionOf(bus).jetstreamManager();
    expect((await jsm.streams.info(bus.names.stream("EVENTS"))).config.duplicate_window).toBe(60_000_000_000);
    await bus.ensureStreams([eventsStreamSpec()]);
    const spec = {
      stream: "EVENTS",
      durable: "twice",
      filterSubject: "evt.x.>",
      maxDeliver: 3,
      ackWaitMs: 2_000,
    };
    await bus.ensureConsumer(spec);
    await bus.ensureConsumer(spec);
    await bus.ensureConsumer({ ...spec, maxDeliver: 4 });
    const c = await jsm.consumers.info(bus.names.stream("EVENTS"), "twice");
    expect(c.config.max_deliver).toBe(4);
    expect(c.config.filter_subject).toBe(`${bus.names.prefix}.evt.x.>`);
  });
});

describe("publish", () => {
  it("drops a repeated msg id", async () => {
    const id = randomUUID();
    const a = await bus.publish("evt.dedup.1", { n: 1 }, { msgId: id });
    const b = await bus.publish("evt.dedup.1", { n: 2 }, { msgId: id });
    const c = await bus.publish("evt.dedup.1", { n: 3 }, { msgId: randomUUID() });
    expect(a.duplicate).toBe(false);
    expect(b.duplicate).toBe(true);
    expect(b.seq).toBe(a.seq);
    expect(c.duplicate).toBe(false);
    expect(c.seq).toBeGreaterThan(a.seq);
  });

  it("pipelines many publishes and keeps their order", async () => {
    const acks = await Promise.all(
      Array.from({ length: 500 }, (_, i) => bus.publish("evt.pipe.1", { i }, { msgId: randomUUID() })),
    );
    for (let i = 1; i < acks.length; i++) expect(acks[i]!.seq).toBe(acks[i - 1]!.seq + 1);
  });

  it("rejects a publish without msg id", async () => {
    await expect(bus.publish("evt.x.1", {}, { msgId: "" })).rejects.toThrow(/msgId/);
  });
});

describe("consume", () => {
  it("redelivers after a nak and acks on success", async () => {
    const seen: number[] = [];
    handles.push(
      await bus.consume<{ v: string }>({
        stream: "EVENTS",
        durable: "nak-then-ack",
        filterSubject: "evt.nak.>",
        maxDeliver: 5,
        ackWaitMs: 5_000,
        backoffMs: () => 50,
        onError: quiet,
        handler: (m) => {
          seen.push(m.info.deliveryCount);
          if (m.info.deliveryCount === 1) throw new TransientError("database blip");
          if (m.info.deliveryCount === 2) return { nak: 20 };
          return undefined;
        },
      }),
    );
    await bus.publish("evt.nak.1", { v: "x" }, { msgId: randomUUID() });
    await eventually(() => (seen.length >= 3 ? true : undefined), "third delivery");
    const jsm = await natsConnectionOf(bus).jetstreamManager();
    await eventually(async () => {
      const c = await jsm.consumers.info(bus.names.stream("EVENTS"), "nak-then-ack");
      return c.num_ack_pending === 0 && c.num_pending === 0 ? c : undefined;
    }, "ack");
    expect(seen).toEqual([1, 2, 3]);
  });

  it("dead-letters undecodable JSON and a handler's poison message, and keeps going behind them", async () => {
    const processed: string[] = [];
    handles.push(
      await bus.consume<{ v: string }>({
        stream: "EVENTS",
        durable: "poison",
        filterSubject: "evt.poison.>",
        maxDeliver: 5,
        ackWaitMs: 5_000,
        onError: quiet,
        handler: (m) => {
          if (m.payload.v === "bad") throw new PoisonMessageError("v must not be bad");
          processed.push(m.payload.v);
          return undefined;
        },
      }),
    );
    const letters = await deadLetters("poison");
    await bus.publish("evt.poison.1", { v: "a" }, { msgId: randomUUID() });
    // Raw bytes that are not JSON, published around the bus's JSON encoding.
    await natsConnectionOf(bus)
      .jetstream()
      .publish(bus.names.subject("evt.poison.2"), new TextEncoder().encode("{not json"), {
        msgID: randomUUID(),
      });
    await bus.publish("evt.poison.3", { v: "bad" }, { msgId: randomUUID() });
    await bus.publish("evt.poison.4", { v: "b" }, { msgId: randomUUID() });
    await eventually(() => (letters.length >= 2 && processed.length >= 2 ? true : undefined), "dead letters");
    expect(processed).toEqual(["a", "b"]);
    const bySubject = Object.fromEntries(letters.map((l) => [l.subject, l]));
    expect(bySubject["evt.poison.2"]).toMatchObject({ reason: "undecodable payload", payload: "{not json" });
    expect(bySubject["evt.poison.3"]).toMatchObject({
      reason: "poison message",
      payload: JSON.stringify({ v: "bad" }),
      stream: "EVENTS",
      durable: "poison",
    });
    expect(bySubject["evt.poison.3"]!.error).toContain("v must not be bad");
  });

  it("dead-letters a message whose transient failures exhaust maxDeliver, while later ones pass", async () => {
    const attempts: number[] = [];
    const processed: number[] = [];
    handles.push(
      await bus.consume<{ n: number }>({
        stream: "WORK",
        durable: "exhaust",
        maxDeliver: 3,
        ackWaitMs: 5_000,
        backoffMs: () => 10,
        onError: quiet,
        handler: (m) => {
          if (m.payload.n === 0) {
            attempts.push(m.info.deliveryCount);
            throw new Error("always failing");
          }
          processed.push(m.payload.n);
          return undefined;
        },
      }),
    );
    const letters = await deadLetters("exhaust", "WORK");
    for (let n = 0; n < 5; n++) await bus.publish("work.exhaust", { n }, { msgId: randomUUID() });
    await eventually(() => (letters.length >= 1 && processed.length >= 4 ? true : undefined), "exhaustion");
    expect(attempts).toEqual([1, 2, 3]);
    expect(processed).toEqual([1, 2, 3, 4]);
    expect(letters[0]).toMatchObject({
      reason: "max deliveries reached",
      subject: "work.exhaust",
      deliveryCount: 3,
    });
    expect(JSON.parse(letters[0]!.payload)).toEqual({ n: 0 });
    // Work-queue retention: acked and terminated messages are gone.
    const jsm = await natsConnectionOf(bus).jetstreamManager();
    await eventually(async () => {
      const s = await jsm.streams.info(bus.names.stream("WORK"));
      return s.state.messages === 0 ? true : undefined;
    }, "work queue emptied");
  });

  it("hands messages over in batches, in order, with an outcome per message (ack, nak, poison)", async () => {
    const batches: number[][] = [];
    const attempts = new Map<number, number>();
    handles.push(
      await bus.consumeBatches<{ n: number }>({
        stream: "EVENTS",
        durable: "batches",
        filterSubject: "evt.batch.>",
        maxDeliver: 5,
        ackWaitMs: 5_000,
        maxBatch: 16,
        backoffMs: () => 10,
        onError: quiet,
        handler: async (messages) => {
          batches.push(messages.map((m) => m.payload.n));
          return messages.map((m) => {
            const n = m.payload.n;
            attempts.set(n, (attempts.get(n) ?? 0) + 1);
            if (n === 7) return new PoisonMessageError("seven is poison");
            if (n === 3 && m.info.deliveryCount === 1) return { nak: 10 };
            if (n === 5 && m.info.deliveryCount === 1) return new TransientError("blip");
            return undefined;
          });
        },
      }),
    );
    const letters = await deadLetters("batches");
    for (let n = 0; n < 40; n++) void bus.publish("evt.batch.x", { n }, { msgId: randomUUID() });
    await eventually(() => (letters.length >= 1 && attempts.size >= 40 ? true : undefined), "all handled");
    const jsm = await natsConnectionOf(bus).jetstreamManager();
    await eventually(async () => {
      const c = await jsm.consumers.info(bus.names.stream("EVENTS"), "batches");
      return c.num_ack_pending === 0 && c.num_pending === 0 ? c : undefined;
    }, "every message settled");
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(16);
    // First deliveries arrive in publish order across batches; only the nak-ed ones come back.
    const first = batches.flat().filter((n, i, all) => all.indexOf(n) === i);
    expect(first).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect(attempts.get(3)).toBe(2);
    expect(attempts.get(5)).toBe(2);
    expect(attempts.get(7)).toBe(1);
    expect(letters[0]).toMatchObject({ reason: "poison message", subject: "evt.batch.x" });
  });

  it("stop() lets the handler in flight finish and ack", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started = false;
    let finished = false;
    const h = await bus.consume({
      stream: "EVENTS",
      durable: "drain",
      filterSubject: "evt.drain.>",
      maxDeliver: 3,
      ackWaitMs: 10_000,
      handler: async () => {
        started = true;
        await gate;
        finished = true;
        return undefined;
      },
    });
    await bus.publish("evt.drain.1", {}, { msgId: randomUUID() });
    await eventually(() => (started ? true : undefined), "handler start");
    const stopping = h.stop();
    release();
    await stopping;
    expect(finished).toBe(true);
    const jsm = await natsConnectionOf(bus).jetstreamManager();
    const c = await jsm.consumers.info(bus.names.stream("EVENTS"), "drain");
    expect(c.num_ack_pending).toBe(0);
    expect(c.num_pending).toBe(0);
  });
});

describe("hand-back on stop", () => {
  // A router stopping (SIGTERM) while inputs keep arriving: every message the server had sent it must come
  // back to the consumer's other members at once, not after the ack wait (10 min here, so a message lost in
  // transit would fail the test by its timeout).
  for (const kind of ["batches", "single"] as const) {
    it(`a stopped ${kind} consumer hands back every message it was sent, while publishing goes on`, async () => {
      const durable = `handback-${kind}`;
      const seen = new Set<number>();
      const spec = {
        stream: "EVENTS",
        durable,
        filterSubject: `evt.${durable}.>`,
        maxDeliver: 5,
        ackWaitMs: 600_000,
      };
      const slowly = async (n: number) => {
        await new Promise((r) => setTimeout(r, 2));
        seen.add(n);
      };
      const start = () =>
        kind === "batches"
          ? bus.consumeBatches<{ n: number }>({
              ...spec,
              maxBatch: 8,
              handler: async (messages) => {
                for (const m of messages) await slowly(m.payload.n);
                return messages.map(() => undefined);
              },
            })
          : bus.consume<{ n: number }>({
              ...spec,
              concurrency: 4,
              handler: async (m) => {
                await slowly(m.payload.n);
              },
            });
      const total = 600;
      const first = await start();
      let published = 0;
      const publishing = (async () => {
        for (; published < total; published++) {
          await bus.publish(`evt.${durable}.x`, { n: published }, { msgId: randomUUID() });
        }
      })();
      await eventually(() => (seen.size >= 100 ? true : undefined), "the first consumer at work");
      // Stop while messages are on their way to it, then let a second member take over.
      await first.stop();
      const handledByFirst = seen.size;
      const second = await start();
      handles.push(second);
      await publishing;
      await eventually(() => (seen.size === total ? true : undefined), `all ${total} handled`, 1_200);
      expect(handledByFirst).toBeLessThan(total);
      const jsm = await natsConnectionOf(bus).jetstreamManager();
      await eventually(async () => {
        const c = await jsm.consumers.info(bus.names.stream("EVENTS"), durable);
        return c.num_ack_pending === 0 && c.num_pending === 0 ? c : undefined;
      }, "every message settled");
    });
  }
});

describe("a loaded event loop", () => {
  // A process whose event loop is blocked past the end of a pull (a long GC pause, a CPU-starved pod): the
  // messages the server sent to that pull meanwhile must be handled when the loop runs again, not dropped by
  // the client's own pull timers and left for the ack wait (10 min here: a dropped message fails the test).
  it("handles a message the server sent while the process was blocked past its pull's end", async () => {
    const durable = "blocked-loop";
    const seen = new Set<number>();
    handles.push(
      await bus.consume<{ n: number }>({
        stream: "EVENTS",
        durable,
        filterSubject: `evt.${durable}.>`,
        maxDeliver: 5,
        ackWaitMs: 600_000,
        handler: async (m) => {
          seen.add(m.payload.n);
        },
      }),
    );
    const worker = new Worker(new URL("./publish-worker.mjs", import.meta.url), {
      workerData: { url: NATS_URL, subject: bus.names.subject(`evt.${durable}.x`), afterMs: 300 },
    });
    const next = () => new Promise<unknown>((resolve) => worker.once("message", resolve));
    try {
      await next(); // ready
      // Each round blocks the loop across the end of whatever pull is open; a publish that misses the open pull
      // waits for the next one and proves nothing, so four rounds (each lands in the open pull ~70% of the time).
      for (let n = 0; n < 4; n++) {
        const published = next();
        worker.postMessage({ payload: { n }, msgId: randomUUID() });
        const until = performance.now() + 1_500;
        while (performance.now() < until) {
          // blocked: no timer, no socket read
        }
        await published;
        await eventually(() => (seen.has(n) ? true : undefined), `message ${n} handled`, 200);
      }
    } finally {
      worker.postMessage("close");
      await new Promise((r) => worker.once("exit", r));
    }
  });
});

// Without an SDK there is no context manager, so `context.with` would be a no-op; this one is enough.
class AsyncLocalContextManager implements ContextManager {
  readonly #als = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#als.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#als.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#als.disable();
    return this;
  }
}

// A minimal W3C propagator, standing in for the SDK's, to check the carrier adapters end to end.
class W3CPropagator implements TextMapPropagator {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(ctx);
    if (!sc) return;
    setter.set(carrier, "traceparent", `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags}`);
    if (sc.traceState) setter.set(carrier, "tracestate", sc.traceState.serialize());
  }
  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const raw = getter.get(carrier, "traceparent");
    const tp = Array.isArray(raw) ? raw[0] : raw;
    const m = tp?.match(/^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/);
    if (!m) return ctx;
    return trace.setSpanContext(ctx, {
      traceId: m[1]!,
      spanId: m[2]!,
      traceFlags: Number.parseInt(m[3]!, 16),
      isRemote: true,
    });
  }
  fields(): string[] {
    return ["traceparent", "tracestate"];
  }
}

describe("trace context", () => {
  const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  it("passes an explicit traceparent through without an SDK", async () => {
    const got: BusMessage<unknown>[] = [];
    handles.push(
      await bus.consume({
        stream: "EVENTS",
        durable: "trace-explicit",
        filterSubject: "evt.trace1.>",
        maxDeliver: 3,
        ackWaitMs: 5_000,
        handler: (m) => {
          got.push(m);
          return undefined;
        },
      }),
    );
    await bus.publish("evt.trace1.a", {}, { msgId: randomUUID(), traceparent, tracestate: "vendor=x" });
    await eventually(() => got[0], "delivery");
    expect(got[0]!.headers.traceparent).toBe(traceparent);
    expect(got[0]!.headers.tracestate).toBe("vendor=x");
  });

  it("injects from and extracts into an OTel context through the registered propagator", async () => {
    propagation.setGlobalPropagator(new W3CPropagator());
    otelContext.setGlobalContextManager(new AsyncLocalContextManager());
    try {
      const got: BusMessage<unknown>[] = [];
      handles.push(
        await bus.consume({
          stream: "EVENTS",
          durable: "trace-otel",
          filterSubject: "evt.trace2.>",
          maxDeliver: 3,
          ackWaitMs: 5_000,
          handler: (m) => {
            got.push(m);
            return undefined;
          },
        }),
      );
      const sc: SpanContext = {
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        traceFlags: TraceFlags.SAMPLED,
      };
      await bus.publish(
        "evt.trace2.a",
        {},
        { msgId: randomUUID(), context: trace.setSpanContext(ROOT_CONTEXT, sc) },
      );
      // The active context is used when none is given.
      await otelContext.with(trace.setSpanContext(ROOT_CONTEXT, { ...sc, spanId: "1111111111111111" }), () =>
        bus.publish("evt.trace2.b", {}, { msgId: randomUUID() }),
      );
      await eventually(() => got[1], "deliveries");
      expect(got[0]!.headers.traceparent).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
      expect(trace.getSpanContext(got[0]!.context)).toMatchObject({ ...sc, isRemote: true });
      expect(trace.getSpanContext(got[1]!.context)?.spanId).toBe("1111111111111111");
    } finally {
      propagation.disable();
      otelContext.disable();
    }
  });
});

describe("connect", () => {
  it("fails with a one-line BusUnreachableError naming the URL but not the credentials", async () => {
    const err = await connectBus({ url: "nats://alice:s3cret@127.0.0.1:4999", prefix: "tunreach" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BusUnreachableError);
    const message = (err as Error).message;
    expect(message).toMatch(
      /^cannot reach NATS at nats:\/\/alice:\*\*\*@127\.0\.0\.1:4999: CONNECTION_REFUSED/,
    );
    expect(message).not.toContain("\n");
    expect(message).not.toContain("s3cret");
    expect((err as Error).name).toBe("BusUnreachableError");
  });
});
