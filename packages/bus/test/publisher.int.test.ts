// The pipelined JetStream publisher (publisher.ts) against a real nats-server: acknowledgements matched to
// their publishes with thousands in flight, duplicates, every way a publish can fail, and the timeout.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Bus,
  BusClosedError,
  connectBus,
  eventsStreamSpec,
  PublishRefusedError,
  PublishTimeoutError,
} from "../src/index.js";
import { natsConnectionOf } from "../src/testing.js";
import { NATS_URL, randomPrefix, testBus } from "./helpers.js";

let bus: Bus;

beforeAll(async () => {
  bus = await testBus();
  await bus.ensureStreams([eventsStreamSpec()]);
});

afterAll(async () => {
  await bus.deleteStreams();
  await bus.close();
});

describe("pipelined publishes", () => {
  it("matches each of 3,000 publishes in flight with its own acknowledgement, in publish order", async () => {
    const acks = await Promise.all(
      Array.from({ length: 3_000 }, (_, i) =>
        bus.publish(`evt.pipelined.${i % 7}`, { i }, { msgId: `pipelined-${i}` }),
      ),
    );
    const seqs = acks.map((a) => a.seq);
    // One connection: the server stores them in the order they left, so the sequences count up one by one.
    expect(seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1)).toBe(true);
    expect(acks.every((a) => a.stream.endsWith("EVENTS") && !a.duplicate)).toBe(true);
  });

  it("reports a repeated message id as a duplicate of the stored message", async () => {
    const msgId = randomUUID();
    const first = await bus.publish("evt.dup.1", { n: 1 }, { msgId });
    const again = await bus.publish("evt.dup.1", { n: 1 }, { msgId });
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ stream: first.stream, seq: first.seq, duplicate: true });
  });

  it("refuses a failed subject-sequence expectation with JetStream's error code", async () => {
    const ack = await bus.publish("evt.expect.1", {}, { msgId: randomUUID() });
    const refused = await bus
      .publish("evt.expect.1", {}, { msgId: randomUUID(), expectLastSubjectSequence: ack.seq - 1 })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PublishRefusedError);
    expect((refused as PublishRefusedError).errCode).toBe(10071);
    const ok = await bus.publish(
      "evt.expect.1",
      {},
      { msgId: randomUUID(), expectLastSubjectSequence: ack.seq },
    );
    expect(ok.seq).toBeGreaterThan(ack.seq);
  });

  it("refuses a subject no stream captures", async () => {
    await expect(bus.publish("nostream.x", {}, { msgId: randomUUID() })).rejects.toThrow(PublishRefusedError);
  });

  it("times out when nothing acknowledges (a plain subscriber, not a stream, listens)", async () => {
    const slow = await connectBus({ url: NATS_URL, prefix: randomPrefix(), publishTimeoutMs: 200 });
    const nc = natsConnectionOf(slow);
    const silent = nc.subscribe(slow.names.subject("silent.>"));
    try {
      const err = await slow.publish("silent.x", {}, { msgId: randomUUID() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PublishTimeoutError);
      // The publish after it is not held up by the one that timed out.
      await slow.ensureStreams([eventsStreamSpec()]);
      expect((await slow.publish("evt.after.1", {}, { msgId: randomUUID() })).seq).toBe(1);
    } finally {
      silent.unsubscribe();
      await slow.deleteStreams();
      await slow.close();
    }
  });

  it("fails the publishes still waiting when the connection closes", async () => {
    const closing = await testBus();
    const nc = natsConnectionOf(closing);
    const silent = nc.subscribe(closing.names.subject("silent.>"));
    const waiting = closing.publish("silent.y", {}, { msgId: randomUUID() }).catch((e: unknown) => e);
    await nc.flush();
    silent.unsubscribe();
    await nc.close();
    expect(await waiting).toBeInstanceOf(BusClosedError);
  });
});
