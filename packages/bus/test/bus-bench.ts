// Publish (pipelined) and consume (explicit ack) rates on a private prefix.
// Run: node --import tsx packages/bus/test/bus-bench.ts [messages] [concurrency]
import { randomUUID } from "node:crypto";
import { eventsStreamSpec } from "../src/index.js";
import { testBus } from "./helpers.js";

const total = Number(process.argv[2] ?? 20_000);
const concurrency = Number(process.argv[3] ?? 16);
const bus = await testBus();
try {
  await bus.ensureStreams([eventsStreamSpec()]);
  const payload = { type: "Benched", data: { note: "x".repeat(200) } };
  let t0 = performance.now();
  for (let i = 0; i < total; i += 1_000) {
    await Promise.all(
      Array.from({ length: Math.min(1_000, total - i) }, (_, j) =>
        bus.publish(`evt.bench.${(i + j) % 100}`, payload, { msgId: randomUUID() }),
      ),
    );
  }
  const publishRate = total / ((performance.now() - t0) / 1000);
  let seen = 0;
  let finish!: () => void;
  const done = new Promise<void>((r) => {
    finish = r;
  });
  t0 = performance.now();
  const handle = await bus.consume({
    stream: "EVENTS",
    durable: "bench",
    maxDeliver: 3,
    ackWaitMs: 30_000,
    concurrency,
    maxAckPending: 10_000,
    handler: () => {
      if (++seen === total) finish();
    },
  });
  await done;
  const consumeRate = total / ((performance.now() - t0) / 1000);
  await handle.stop();
  console.log(
    `publish: ${Math.round(publishRate)} msg/s (1000 in flight); consume+ack: ${Math.round(consumeRate)} msg/s (concurrency ${concurrency})`,
  );
} finally {
  await bus.deleteStreams();
  await bus.close();
}
