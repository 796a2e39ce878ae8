// The virtual clock over the real bus, wired as the platform wires it (packages/cli/src/platform.ts): time
// may move only when no message is in flight or unacknowledged anywhere. The bus answers "busy" from this
// process's own counts and asks the server only to confirm; these tests hold messages where each part of that
// answer has to see them (a handler here, a consumer nobody here pulls, a publish of another thread with its
// own connection and its own counts) and check that the clock stays put meanwhile.
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type Bus, busNames, connectBus, workQueueStreamSpec } from "@switchyard/bus";
import { type VirtualClock, virtualClock } from "@switchyard/clock";
import { afterEach, describe, expect, it } from "vitest";

const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const realMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const opened: Array<{ bus: Bus; clock: VirtualClock }> = [];

async function setUp(): Promise<{ bus: Bus; clock: VirtualClock; prefix: string }> {
  const prefix = `tq${randomBytes(4).toString("hex")}`;
  const bus = await connectBus({ url: NATS_URL, prefix, name: `quiescence-${prefix}` });
  await bus.ensureStreams([workQueueStreamSpec("WORK", ["work.>"])]);
  const clock = virtualClock({ startAt: 0 });
  clock.addProbe({
    busyHere: () => bus.busyHere(),
    watch: (changed) => bus.onActivity(changed),
    confirm: () => bus.quiescent(),
  });
  opened.push({ bus, clock });
  return { bus, clock, prefix };
}

const consumer = { stream: "WORK", durable: "worker", maxDeliver: 5, ackWaitMs: 30_000 } as const;

afterEach(async () => {
  for (const { bus, clock } of opened.splice(0)) {
    await clock[Symbol.asyncDispose]();
    await bus.deleteStreams();
    await bus.close();
  }
});

describe("the virtual clock over the bus", () => {
  it("given a message whose handler here has not finished, when real time passes, then the clock stays until the handler acknowledges it", async () => {
    const { bus, clock } = await setUp();
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let started!: () => void;
    const handling = new Promise<void>((r) => (started = r));
    const handle = await bus.consume({
      ...consumer,
      handler: async () => {
        started();
        await gate;
      },
    });
    await bus.publish("work.a", { n: 1 }, { msgId: "a" });
    await handling;
    let woke = false;
    const sleep = clock.sleep(1_000).then(() => {
      woke = true;
    });
    await realMs(300);
    expect(woke).toBe(false);
    expect(clock.now()).toBe(0);
    open();
    await sleep;
    expect(clock.now()).toBe(1_000);
    await handle.stop();
  });

  it("given a message on a consumer that nobody here pulls (another process's), then the clock stays until it is acknowledged", async () => {
    const { bus, clock } = await setUp();
    await bus.ensureConsumer(consumer);
    await bus.publish("work.b", { n: 2 }, { msgId: "b" });
    let woke = false;
    const sleep = clock.sleep(1_000).then(() => {
      woke = true;
    });
    await realMs(300);
    // The local counts see nothing in flight: only the server's answer keeps the clock here.
    expect(bus.busyHere()).toBe(false);
    expect(woke).toBe(false);
    expect(clock.now()).toBe(0);
    const handled: number[] = [];
    const handle = await bus.consume({ ...consumer, handler: () => void handled.push(clock.now()) });
    await sleep;
    expect(handled).toEqual([0]);
    await handle.stop();
  });

  it("given a publish from another thread (its own connection and counts), then a consumer here handles it before the clock moves", async () => {
    const { bus, clock, prefix } = await setUp();
    const handled: number[] = [];
    const handle = await bus.consume({ ...consumer, handler: () => void handled.push(clock.now()) });
    // Once, so that the consumer is covered by the local counts (the server has confirmed it idle).
    const first = await clock.quiescent();
    first();
    const worker = new Worker(
      fileURLToPath(new URL("../../packages/bus/test/publish-worker.mjs", import.meta.url)),
      { workerData: { url: NATS_URL, subject: busNames(prefix).subject("work.c"), afterMs: 0 } },
    );
    try {
      await new Promise((r) => worker.once("message", r)); // ready
      const published = new Promise((r) => worker.once("message", r));
      worker.postMessage({ payload: { n: 3 }, msgId: "c" });
      await published;
      // Nothing of this process saw the message yet; the clock must find it on the server.
      await clock.sleep(1);
      expect(handled).toEqual([0]);
    } finally {
      worker.postMessage("close");
      await new Promise((r) => worker.once("exit", r));
    }
    await handle.stop();
  });

  it("given a bucket's keys listed (nats.js leaves an ephemeral consumer nobody listens to) and a key written after, then the clock moves at once", async () => {
    const { bus, clock } = await setUp();
    const kv = await bus.keyValue<{ n: number }>(`${bus.names.prefix}_gw_listed`);
    await kv.put("in.a", { n: 1 });
    expect(await kv.keys("in.>")).toEqual(["in.a"]);
    // Pending on the abandoned consumer until the server drops it after its 5 s of inactivity; nothing will
    // ever be delivered there, so it is not work in flight.
    await kv.put("in.b", { n: 2 });
    expect(await bus.quiescent()).toBe(true);
    await clock.sleep(1_000);
    expect(clock.now()).toBe(1_000);
  });
});
