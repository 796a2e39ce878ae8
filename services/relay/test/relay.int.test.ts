import { randomUUID } from "node:crypto";
import { type Bus, connectBus, eventSubject } from "@switchyard/bus";
import { dropSchema, type OpenedEventStore, openEventStore } from "@switchyard/event-store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Relay, start } from "../src/index.js";
import { DATABASE_URL, eventually, NATS_URL, readStream, streamMessageCount, suffix } from "./helpers.js";

const id = suffix();
const schema = `relay_int_${id}`;
const prefix = `trelay${id}`;
let bus: Bus;
const stores: OpenedEventStore[] = [];

async function openStore(): Promise<OpenedEventStore> {
  const s = await openEventStore({ url: DATABASE_URL, schema, poolSize: 3 });
  stores.push(s);
  return s;
}

const quiet = () => {};

beforeAll(async () => {
  bus = await connectBus({ url: NATS_URL, prefix, name: "relay-int-test" });
});

afterAll(async () => {
  await Promise.allSettled(stores.map((s) => s.close()));
  await bus.deleteStreams();
  await bus.close();
  await dropSchema(DATABASE_URL, schema);
});

async function appendEvents(store: OpenedEventStore, streamId: string, n: number, traceparent?: string) {
  const version = await store.store.streamVersion(streamId);
  await store.store.append([
    {
      streamId,
      expectedVersion: version === 0 ? "no_stream" : version,
      events: Array.from({ length: n }, (_, i) => ({
        eventId: randomUUID(),
        type: "Tested",
        data: { i: version + i + 1 },
        metadata: traceparent ? { traceparent, correlationId: "c-1" } : {},
      })),
    },
  ]);
}

describe("relay", () => {
  it("publishes events with subject, msg id, payload and trace headers; a standby takes over when the leader is disposed", async () => {
    const a = await openStore();
    const b = await openStore();
    const relayA: Relay = await start({
      eventStore: a,
      bus,
      pollIntervalMs: 20,
      standbyRetryMs: 50,
      log: quiet,
    });
    await eventually(() => (relayA.stats().leader ? true : undefined), "A to lead");
    const relayB: Relay = await start({
      eventStore: b,
      bus,
      pollIntervalMs: 20,
      standbyRetryMs: 50,
      log: quiet,
    });
    await eventually(() => (relayB.stats().standbyPolls >= 2 ? true : undefined), "B to stand by");
    expect(relayB.stats().leader).toBe(false);

    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    await appendEvents(a, "call-1a-2b", 3, traceparent);
    await appendEvents(a, "agent-7", 2);
    await eventually(
      async () => ((await streamMessageCount(bus, "EVENTS")) === 5 ? true : undefined),
      "5 events",
    );
    // The count on the server can be seen before the relay has saved its checkpoint and counted the batch.
    await eventually(() => (relayA.stats().published === 5 ? true : undefined), "A's publish count");
    expect(relayB.stats().published).toBe(0);

    await relayA[Symbol.asyncDispose]();
    const pollsBefore = relayB.stats().standbyPolls;
    await eventually(() => (relayB.stats().leader ? true : undefined), "B to take over");
    // Once A has released, B's attempt already in flight may still fail; the next one must succeed.
    expect(relayB.stats().standbyPolls - pollsBefore).toBeLessThanOrEqual(1);

    await appendEvents(b, "call-1a-2b", 2);
    await eventually(
      async () => ((await streamMessageCount(bus, "EVENTS")) === 7 ? true : undefined),
      "7 events",
    );
    await eventually(() => (relayB.stats().published === 2 ? true : undefined), "B's publish count");
    await relayB[Symbol.asyncDispose]();
    expect(relayB.stats().published).toBe(2);

    const msgs = await readStream(bus, "EVENTS");
    const stored = [...(await a.store.readStream("call-1a-2b")), ...(await a.store.readStream("agent-7"))];
    expect(new Set(msgs.map((m) => m.msgId))).toEqual(new Set(stored.map((e) => e.eventId)));
    const call = msgs.filter((m) => m.event.streamId === "call-1a-2b");
    expect(call.map((m) => m.event.version)).toEqual([1, 2, 3, 4, 5]);
    expect(
      call.every((m) => m.subject === eventSubject("call-1a-2b") && m.subject === "evt.call.1a-2b"),
    ).toBe(true);
    const first = call[0]!;
    const original = stored.find((e) => e.eventId === first.msgId)!;
    expect(first.event).toEqual({
      id: original.eventId,
      streamId: "call-1a-2b",
      version: 1,
      type: "Tested",
      data: { i: 1 },
      metadata: { traceparent, correlationId: "c-1" },
      recordedAt: original.recordedAt.toISOString(),
      position: original.position.toString(),
      transactionId: original.transactionId.toString(),
    });
    expect(first.headers.traceparent).toBe(traceparent);
    expect(msgs.find((m) => m.event.streamId === "agent-7")!.headers.traceparent).toBeUndefined();
  });

  it("resumes from its checkpoint: a restarted relay publishes only what is new", async () => {
    const s = await openStore();
    const before = await streamMessageCount(bus, "EVENTS");
    await appendEvents(s, "queue-q1", 4);
    const first = await start({ eventStore: s, bus, pollIntervalMs: 20, log: quiet });
    await eventually(
      async () => ((await streamMessageCount(bus, "EVENTS")) === before + 4 ? true : undefined),
      "4",
    );
    await first[Symbol.asyncDispose]();
    await appendEvents(s, "queue-q1", 1);
    const second = await start({ eventStore: s, bus, pollIntervalMs: 20, log: quiet });
    await eventually(
      async () => ((await streamMessageCount(bus, "EVENTS")) === before + 5 ? true : undefined),
      "5",
    );
    await eventually(
      () => (second.stats().published === 1 ? true : undefined),
      "second relay's publish count",
    );
    await second[Symbol.asyncDispose]();
    expect(second.stats().published).toBe(1);
  });
});
