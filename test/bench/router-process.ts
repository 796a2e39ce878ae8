// One router as its own OS process, for the bench (`routing` section): started through the router's public
// start(config) only, so it keeps working whatever the router does inside. Talks to the bench over IPC:
// { type: "memory" } → gc, then { type: "memory", heapUsed, rss, stats }; { type: "stats" } → { stats };
// { type: "stop" } → exit 0.
// Env: DATABASE_URL, DATABASE_SCHEMA, NATS_URL, SWITCHYARD_PREFIX, BENCH_GATEWAY, BENCH_ROUTER_ID.
import { connectBus } from "@switchyard/bus";
import { openEventStore } from "@switchyard/event-store";
import { start } from "@switchyard/router";
import { requiredEnv } from "./child-process.js";

const eventStore = await openEventStore({
  url: requiredEnv("DATABASE_URL"),
  schema: requiredEnv("DATABASE_SCHEMA"),
  poolSize: 8,
});
const bus = await connectBus({
  url: requiredEnv("NATS_URL"),
  prefix: requiredEnv("SWITCHYARD_PREFIX"),
  name: "bench-router",
});
const router = await start({
  eventStore,
  bus,
  gatewayId: requiredEnv("BENCH_GATEWAY"),
  instanceId: requiredEnv("BENCH_ROUTER_ID"),
  log: (level, message) => {
    if (level === "error") console.error(`router ${level}: ${message}`);
  },
});

const gc = (globalThis as { gc?: () => void }).gc;
let stopping = false;
process.on("message", async (m: { type: string }) => {
  if (m.type === "memory") {
    gc?.();
    gc?.();
    const { heapUsed, rss } = process.memoryUsage();
    process.send?.({ type: "memory", heapUsed, rss, stats: router.stats() });
  } else if (m.type === "stats") {
    process.send?.({ type: "stats", stats: router.stats() });
  } else if (m.type === "stop" && !stopping) {
    stopping = true;
    await router[Symbol.asyncDispose]();
    await bus.close();
    await eventStore.close();
    process.send?.({ type: "stopped" }, () => process.exit(0));
  }
});
process.send?.({ type: "ready", pid: process.pid });
