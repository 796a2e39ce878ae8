// Relay throughput: events already in the store → published and acked on EVENTS.
// Run: node --import tsx services/relay/test/relay-bench.ts [events] [batchSize]
import { randomUUID } from "node:crypto";
import { connectBus } from "@switchyard/bus";
import { dropSchema, openEventStore } from "@switchyard/event-store";
import { start } from "../src/index.js";
import { DATABASE_URL, NATS_URL, sleep, streamMessageCount, suffix } from "./helpers.js";

const total = Number(process.argv[2] ?? 20_000);
const batchSize = Number(process.argv[3] ?? 1000);
const id = suffix();
const schema = `relay_bench_${id}`;
const bus = await connectBus({ url: NATS_URL, prefix: `tbench${id}`, name: "relay-bench" });
const es = await openEventStore({ url: DATABASE_URL, schema });
try {
  // 100 events per append, one stream each: setup speed is not what is measured.
  for (let done = 0; done < total; done += 100) {
    const n = Math.min(100, total - done);
    await es.store.append([
      {
        streamId: `call-${randomUUID()}`,
        expectedVersion: "no_stream",
        events: Array.from({ length: n }, (_, i) => ({
          eventId: randomUUID(),
          type: "Benched",
          data: { i, note: "x".repeat(100) },
          metadata: { traceparent: `00-${randomUUID().replaceAll("-", "")}-${"1".repeat(16)}-01` },
        })),
      },
    ]);
  }
  const t0 = performance.now();
  const relay = await start({
    eventStore: es,
    bus,
    batchSize,
    pollIntervalMs: 5,
    log: (l, m, f) => l !== "info" && console.error(l, m, f),
  });
  for (let polls = 0; (await streamMessageCount(bus, "EVENTS")) < total; polls++) {
    if (polls > 12_000) throw new Error(`relay did not finish: ${JSON.stringify(relay.stats())}`);
    await sleep(5);
  }
  const seconds = (performance.now() - t0) / 1000;
  await relay[Symbol.asyncDispose]();
  console.log(
    `relay published ${total} events in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} events/s (batch ${batchSize})`,
  );
} finally {
  await es.close();
  await bus.deleteStreams();
  await bus.close();
  await dropSchema(DATABASE_URL, schema);
}
