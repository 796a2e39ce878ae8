// How long a new relay leader takes to rebuild the contact-centre gauges from a log of N events (publishing
// goes on meanwhile; only the gauges wait). The log is marked as already relayed, as after a failover.
// Run: node --import tsx services/relay/test/gauge-rebuild-bench.ts [events] [rebuildBatchSize]
import { randomUUID } from "node:crypto";
import { connectBus } from "@switchyard/bus";
import { dropSchema, openEventStore, START } from "@switchyard/event-store";
import { start } from "../src/index.js";
import { DATABASE_URL, NATS_URL, sleep, suffix } from "./helpers.js";

const total = Number(process.argv[2] ?? 100_000);
const rebuildBatchSize = Number(process.argv[3] ?? 5000);
const id = suffix();
const schema = `gauge_bench_${id}`;
const bus = await connectBus({ url: NATS_URL, prefix: `tgauge${id}`, name: "gauge-bench" });
const es = await openEventStore({ url: DATABASE_URL, schema });
try {
  // Calls of four events each (started, enqueued, dequeued, ended), 25 calls per append.
  const call = (at: number) => [
    { type: "CallStarted", data: { at, from: "+14155550100", to: "+14155550199", flowId: "f1" } },
    { type: "CallerEnqueued", data: { groupId: "sales", enqueuedAt: at, position: 1 } },
    { type: "CallerDequeued", data: { groupId: "sales", reason: "agentOffered" } },
    { type: "CallEnded", data: { reason: "callerHungUp", at } },
  ];
  for (let done = 0; done < total; done += 100) {
    await es.store.append(
      Array.from({ length: 25 }, (_, c) => ({
        streamId: `call-${randomUUID()}`,
        expectedVersion: "no_stream" as const,
        events: call(done + c).map((e) => ({ eventId: randomUUID(), ...e, metadata: {} })),
      })),
    );
  }
  let checkpoint = START;
  for (;;) {
    const page = await es.store.readAll(checkpoint, { limit: 10_000 });
    if (page.events.length === 0) break;
    checkpoint = page.checkpoint;
  }
  await es.checkpoints.save("relay", checkpoint);
  const t0 = performance.now();
  const relay = await start({ eventStore: es, bus, rebuildBatchSize, log: () => {} });
  while (!relay.stats().gaugesReady) await sleep(5);
  const seconds = (performance.now() - t0) / 1000;
  const { replayed } = relay.stats();
  await relay[Symbol.asyncDispose]();
  console.log(
    `gauges rebuilt from ${replayed} events in ${seconds.toFixed(2)} s = ${Math.round(replayed / seconds)} events/s (page ${rebuildBatchSize})`,
  );
} finally {
  await es.close();
  await bus.deleteStreams();
  await bus.close();
  await dropSchema(DATABASE_URL, schema);
}
