// A/B of one connection's JetStream publishing, CPU per publish of this process (steadier than a rate on a
// shared machine): nats.js's js.publish (a request per message, what the bus used before) against the bus's
// pipelined publisher. Run: node --import tsx packages/bus/test/publish-ab.ts [messages]
import { randomUUID } from "node:crypto";
import { headers } from "nats";
import { eventsStreamSpec } from "../src/index.js";
import { natsConnectionOf } from "../src/testing.js";
import { testBus } from "./helpers.js";

const total = Number(process.argv[2] ?? 20_000);
const bus = await testBus();
const payload = new TextEncoder().encode(
  JSON.stringify({ type: "Benched", data: { note: "x".repeat(200) } }),
);
try {
  await bus.ensureStreams([eventsStreamSpec()]);
  const js = natsConnectionOf(bus).jetstream();
  const subject = (i: number) => bus.names.subject(`evt.bench.${i % 100}`);
  const ways: Record<string, (i: number) => Promise<unknown>> = {
    "js.publish (request per message)": (i) => {
      const h = headers();
      h.set("Nats-Msg-Id", randomUUID());
      return js.publish(subject(i), payload, { headers: h });
    },
    "bus.publish (pipelined)": (i) =>
      bus.publish(
        `evt.bench.${i % 100}`,
        { type: "Benched", data: { note: "x".repeat(200) } },
        { msgId: randomUUID() },
      ),
  };
  for (let round = 0; round < 2; round++) {
    for (const [name, publish] of Object.entries(ways)) {
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < total; i += 1_000)
        await Promise.all(Array.from({ length: Math.min(1_000, total - i) }, (_, j) => publish(i + j)));
      const used = process.cpuUsage(cpu);
      const ms = performance.now() - t0;
      console.log(
        `${name}: ${((used.user + used.system) / total).toFixed(1)} µs CPU per publish, ${Math.round(total / (ms / 1000))}/s (1,000 in flight)`,
      );
    }
  }
} finally {
  await bus.deleteStreams();
  await bus.close();
}
