import type { Bus, PublishAck, PublishOptions } from "@switchyard/bus";
import type { EventMessage } from "@switchyard/contracts";
import type {
  AppendNotifications,
  AppendSubscription,
  Checkpoint,
  CheckpointStore,
  EventStore,
  LeaderLock,
  Leadership,
  RecordedEvent,
} from "@switchyard/event-store";
import { METRICS } from "@switchyard/telemetry";
import { type InMemoryTelemetry, startInMemoryTelemetry } from "@switchyard/telemetry/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RelayConfig, start } from "../src/index.js";

// The relay's control flow against in-memory fakes: what is published, when the checkpoint moves, and how
// failures and lost leadership are handled. The int tests cover the real PostgreSQL and JetStream.

const START: Checkpoint = { transactionId: 0n, position: 0n };

function makeEvents(n: number): RecordedEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    position: BigInt(i + 1),
    streamId: `call-${i % 3}`,
    streamVersion: Math.floor(i / 3) + 1,
    eventId: `e${i + 1}`,
    type: "T",
    data: { i },
    metadata: {},
    recordedAt: new Date(0),
    transactionId: BigInt(i + 1),
  }));
}

class FakeStore implements Pick<EventStore, "readAll"> {
  /** Where each read began (the gauges' rebuild reads too, from the start). */
  readonly readsAfter: bigint[] = [];
  constructor(readonly events: RecordedEvent[]) {}
  get reads(): number {
    return this.readsAfter.length;
  }
  async readAll(after: Checkpoint, options: { limit?: number } = {}) {
    this.readsAfter.push(after.position);
    const events = this.events.filter((e) => e.position > after.position).slice(0, options.limit ?? 1000);
    const last = events.at(-1);
    return {
      events,
      checkpoint: last ? { transactionId: last.transactionId, position: last.position } : after,
    };
  }
}

class FakeCheckpoints implements CheckpointStore {
  readonly saved: Checkpoint[] = [];
  async load() {
    return this.saved.at(-1) ?? START;
  }
  async save(_name: string, checkpoint: Checkpoint) {
    this.saved.push(checkpoint);
  }
}

/** The store's commit notifications: the test rings the bell. */
class FakeAppends implements AppendNotifications {
  readonly channel = "es_test";
  #onAppend: (() => void) | undefined;
  async listen(onAppend: () => void): Promise<AppendSubscription> {
    this.#onAppend = onAppend;
    return { close: async () => undefined };
  }
  ring(): void {
    this.#onAppend?.();
  }
}

/** A JetStream stand-in: keeps first occurrences by msg id, like the duplicate window does. */
class FakeBus implements Pick<Bus, "publish" | "ensureStreams"> {
  readonly attempts: string[] = [];
  readonly stored: Array<{ subject: string; msgId: string; event: EventMessage; traceparent?: string }> = [];
  /** Msg ids whose next publish is stored but its ack lost (a timeout): the realistic failure. */
  loseAckOf = new Set<string>();
  async ensureStreams() {}
  async publish(subject: string, payload: unknown, options: PublishOptions): Promise<PublishAck> {
    this.attempts.push(options.msgId);
    const dup = this.stored.some((s) => s.msgId === options.msgId);
    if (!dup) {
      this.stored.push({
        subject,
        msgId: options.msgId,
        event: payload as EventMessage,
        ...(options.traceparent ? { traceparent: options.traceparent } : {}),
      });
    }
    if (this.loseAckOf.delete(options.msgId)) throw new Error(`publish of ${options.msgId} timed out`);
    return { stream: "EVENTS", seq: this.stored.length, duplicate: dup };
  }
}

class FakeLeadership implements Leadership {
  holder: string | null = null;
  refusals = 0;
  lost = false;
  /** The lock's connection drops and another instance takes the lock. */
  loseToAnother(): void {
    this.lost = true;
    this.holder = "someone-else";
  }
  constructor(private readonly refuseFirst = 0) {}
  async tryAcquire(name: string): Promise<LeaderLock | null> {
    if (this.refusals < this.refuseFirst || this.holder) {
      this.refusals++;
      return null;
    }
    this.holder = name;
    this.lost = false;
    return {
      isHeld: async () => !this.lost,
      release: async () => {
        if (!this.lost) this.holder = null;
      },
    };
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`gave up waiting for ${what}`);
}

type Parts = ReturnType<typeof fakeParts>;

function fakeParts(events: RecordedEvent[], leadership = new FakeLeadership()) {
  return { store: new FakeStore(events), checkpoints: new FakeCheckpoints(), leadership, bus: new FakeBus() };
}

function config(parts: Parts, appends?: FakeAppends): RelayConfig {
  return {
    eventStore: {
      store: parts.store,
      checkpoints: parts.checkpoints,
      leadership: parts.leadership,
      ...(appends ? { appends } : {}),
    },
    bus: parts.bus,
    batchSize: 4,
    // After every batch (the throttled save has its own tests).
    checkpointEveryMs: 0,
    pollIntervalMs: 1,
    standbyRetryMs: 1,
    errorBackoffMs: 1,
    log: () => {},
  };
}

describe("relay (fakes)", () => {
  it("publishes in log order with msgId = event id, subject by category, and the checkpoint after each batch", async () => {
    const parts = fakeParts(makeEvents(10));
    parts.store.events[0] = {
      ...parts.store.events[0]!,
      metadata: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
    };
    const relay = await start(config(parts));
    await until(() => parts.bus.stored.length === 10, "10 published");
    await relay[Symbol.asyncDispose]();
    expect(parts.bus.stored.map((s) => s.msgId)).toEqual(parts.store.events.map((e) => e.eventId));
    expect(parts.bus.stored[1]).toMatchObject({
      subject: "evt.call.1",
      event: { streamId: "call-1", position: "2" },
    });
    expect(parts.bus.stored[0]!.traceparent).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    expect(parts.checkpoints.saved.map((c) => c.position)).toEqual([4n, 8n, 10n]);
    expect(relay.stats()).toMatchObject({ published: 10, batches: 3, terms: 1 });
    expect(parts.leadership.holder).toBeNull();
  });

  it("does not move the checkpoint past a batch with a failed publish, and republishes the whole batch", async () => {
    const parts = fakeParts(makeEvents(8));
    parts.bus.loseAckOf.add("e6");
    const relay = await start(config(parts));
    await until(() => parts.checkpoints.saved.at(-1)?.position === 8n, "checkpoint at 8");
    await relay[Symbol.asyncDispose]();
    // Batch e5..e8 went out twice (e6's ack was lost); the stream still holds each event once, in order.
    expect(parts.bus.attempts).toEqual([
      "e1",
      "e2",
      "e3",
      "e4",
      "e5",
      "e6",
      "e7",
      "e8",
      "e5",
      "e6",
      "e7",
      "e8",
    ]);
    expect(parts.bus.stored.map((s) => s.msgId)).toEqual(["e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8"]);
    expect(parts.checkpoints.saved.map((c) => c.position)).toEqual([4n, 8n]);
    expect(relay.stats().errors).toBe(1);
  });

  it("stops publishing when the lock is lost, and stands by while another holder has it", async () => {
    const parts = fakeParts(makeEvents(4), new FakeLeadership(3));
    const relay = await start(config(parts));
    await until(() => parts.bus.stored.length === 4, "first 4");
    expect(relay.stats().standbyPolls).toBe(3);
    // The lock's connection drops and another instance takes it: nothing more may be published by us.
    const polls = relay.stats().standbyPolls;
    parts.leadership.loseToAnother();
    await until(() => relay.stats().standbyPolls >= polls + 1, "standing by");
    parts.store.events.push(...makeEvents(6).slice(4));
    await until(() => relay.stats().standbyPolls >= polls + 4, "standing by longer");
    expect(relay.stats().leader).toBe(false);
    expect(parts.bus.stored.length).toBe(4);
    // The other holder goes away: this instance leads again and resumes from the saved checkpoint.
    parts.leadership.holder = null;
    await until(() => parts.bus.stored.length === 6, "resumed");
    await relay[Symbol.asyncDispose]();
    expect(parts.bus.attempts).toEqual(["e1", "e2", "e3", "e4", "e5", "e6"]);
    expect(relay.stats().terms).toBe(2);
  });

  it("with checkpointEveryMs, saves the checkpoint once per interval: not per batch, and on stop", async () => {
    const parts = fakeParts(makeEvents(10));
    const relay = await start({ ...config(parts), checkpointEveryMs: 600_000 });
    await until(() => parts.bus.stored.length === 10, "10 published");
    await until(() => relay.stats().wakeups.polled >= 3, "idle a while");
    expect(relay.stats().batches).toBe(3);
    expect(parts.checkpoints.saved).toEqual([]);
    await relay[Symbol.asyncDispose]();
    expect(parts.checkpoints.saved.map((c) => c.position)).toEqual([10n]);
  });

  it("with checkpointEveryMs, saves what was published once the interval has passed, with nothing more to publish", async () => {
    const parts = fakeParts(makeEvents(6));
    const relay = await start({ ...config(parts), checkpointEveryMs: 30, pollIntervalMs: 60_000 });
    await until(() => parts.checkpoints.saved.at(-1)?.position === 6n, "checkpoint at 6");
    // Nothing was announced (no notifications here) and nothing polled yet: the save came due while waiting.
    expect(relay.stats().wakeups.polled).toBe(0);
    await relay[Symbol.asyncDispose]();
    expect(parts.checkpoints.saved.map((c) => c.position)).toEqual([6n]);
  });

  it("while listening, a read that was not full and heard of no commit since is the log's end: no read until the next commit", async () => {
    const parts = fakeParts(makeEvents(6));
    const appends = new FakeAppends();
    const relay = await start({ ...config(parts, appends), pollIntervalMs: 60_000 });
    await until(() => parts.bus.stored.length === 6, "6 published");
    // Batches of 4 and 2: the second was not full, so no read after it to find nothing.
    await new Promise((r) => setTimeout(r, 50));
    expect(parts.store.readsAfter.filter((p) => p >= 4n)).toEqual([4n]);
    // A commit that lands while the relay waits is announced, read and published.
    parts.store.events.push(...makeEvents(7).slice(6));
    appends.ring();
    await until(() => parts.bus.stored.length === 7, "7th published");
    await new Promise((r) => setTimeout(r, 50));
    expect(parts.store.readsAfter.filter((p) => p >= 4n)).toEqual([4n, 6n]);
    expect(relay.stats().wakeups.polled).toBe(0);
    await relay[Symbol.asyncDispose]();
  });

  it("while listening, a commit announced during a read is read at once", async () => {
    const parts = fakeParts(makeEvents(2));
    const appends = new FakeAppends();
    // The third event is committed (and announced) while the first read is under way, after its snapshot.
    const read = parts.store.readAll.bind(parts.store);
    let leaderReads = 0;
    parts.store.readAll = async (after, options) => {
      const page = await read(after, options);
      // The leader's first read (the gauges' rebuild reads pages of another size).
      if (options?.limit === 4 && ++leaderReads === 1) {
        parts.store.events.push(...makeEvents(3).slice(2));
        appends.ring();
      }
      return page;
    };
    const relay = await start({ ...config(parts, appends), pollIntervalMs: 60_000 });
    await until(() => parts.bus.stored.length === 3, "3 published");
    expect(leaderReads).toBe(2);
    expect(relay.stats().wakeups.polled).toBe(0);
    await relay[Symbol.asyncDispose]();
  });
});

describe("relay gauges across leadership (fakes)", () => {
  let otel: InMemoryTelemetry;
  beforeAll(() => {
    otel = startInMemoryTelemetry("relay-unit");
  });
  afterAll(async () => {
    await otel[Symbol.asyncDispose]();
  });
  const T0 = 5_000_000;
  let seq = 0;
  const ev = (streamId: string, type: string, data: unknown): RecordedEvent => {
    seq++;
    return {
      position: BigInt(seq),
      streamId,
      streamVersion: 1,
      eventId: `g${seq}`,
      type,
      data,
      metadata: {},
      recordedAt: new Date(0),
      transactionId: BigInt(seq),
    };
  };
  async function gauge(name: string, attrs: Record<string, string>): Promise<number | undefined> {
    return (await otel.metrics()).find(
      (p) => p.name === name && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v),
    )?.value;
  }

  it("a new leader reports queues and agents as the whole log has them, and counts nothing twice", async () => {
    const q = "relay-q";
    const parts = fakeParts([
      ev("agent-a1", "AgentSignedIn", {}),
      ev("agent-a2", "AgentSignedIn", {}),
      ev("call-c1", "CallStarted", { at: T0 }),
      ev("call-c1", "CallerEnqueued", { groupId: q, enqueuedAt: T0 }),
      ev("call-c2", "CallStarted", { at: T0 }),
      ev("call-c2", "CallerEnqueued", { groupId: q, enqueuedAt: T0 }),
    ]);
    const clock = { now: () => T0 + 10_000 } as RelayConfig["clock"];
    const a = await start({ ...config(parts), clock });
    await until(() => parts.bus.stored.length === 6 && a.stats().gaugesReady, "A published and reports");
    expect(await gauge(METRICS.queueLength.name, { queue: q })).toBe(2);
    expect(await gauge(METRICS.agentsByState.name, { state: "available" })).toBe(2);
    const started = await gauge(METRICS.callsStarted.name, {});
    await a[Symbol.asyncDispose]();

    // Another relay (not this process) led meanwhile: c1 was offered to a1. Its gauges are not ours.
    parts.store.events.push(
      ev("call-c1", "CallerDequeued", { groupId: q, reason: "agentOffered" }),
      ev("agent-a1", "AgentReserved", {}),
    );
    const last = parts.store.events.at(-1)!;
    await parts.checkpoints.save("relay", { transactionId: last.transactionId, position: last.position });

    // B takes over from that checkpoint: before this change it reported only what it relayed itself.
    const b = await start({ ...config(parts), clock, rebuildBatchSize: 3 });
    await until(() => b.stats().gaugesReady, "B rebuilt its gauges");
    expect(b.stats().replayed).toBe(8);
    expect(await gauge(METRICS.queueLength.name, { queue: q })).toBe(1);
    expect(await gauge(METRICS.queueLongestWait.name, { queue: q })).toBe(10);
    expect(await gauge(METRICS.agentsByState.name, { state: "available" })).toBe(1);
    expect(await gauge(METRICS.agentsByState.name, { state: "reserved" })).toBe(1);
    // Live again: a new caller waits; the replay counted no call started twice.
    parts.store.events.push(
      ev("call-c3", "CallStarted", { at: T0 }),
      ev("call-c3", "CallerEnqueued", { groupId: q, enqueuedAt: T0 }),
    );
    await until(() => parts.bus.stored.length === 8, "B published c3");
    expect(await gauge(METRICS.queueLength.name, { queue: q })).toBe(2);
    expect(await gauge(METRICS.callsStarted.name, {})).toBe(started! + 1);

    // B loses the lock: it stops reporting (zeros), another instance reports now.
    parts.leadership.loseToAnother();
    await until(() => !b.stats().leader, "B stands by");
    expect(b.stats().gaugesReady).toBe(false);
    expect(await gauge(METRICS.queueLength.name, { queue: q })).toBe(0);
    expect(await gauge(METRICS.agentsByState.name, { state: "reserved" })).toBe(0);
    await b[Symbol.asyncDispose]();
  });
});
