// The relay as its own OS process, for the bench (`events` section), as `switchyard run --target relay`
// deploys it: the lag it measures is then the relay's, not that of a relay sharing the bench's event loop with
// the appender and the subscriber that times it. Started through the relay's public start(config) only. IPC:
// { type: "stats" } → { type: "stats", stats }; { type: "stop" } → { type: "stopped" }, exit 0.
// Env: DATABASE_URL, DATABASE_SCHEMA, NATS_URL, SWITCHYARD_PREFIX.
import { connectBus } from "@switchyard/bus";
import { openEventStore } from "@switchyard/event-store";
import { start } from "@switchyard/relay";
import { requiredEnv } from "./child-process.js";

const eventStore = await openEventStore({
  url: requiredEnv("DATABASE_URL"),
  schema: requiredEnv("DATABASE_SCHEMA"),
  poolSize: 4,
});
const bus = await connectBus({
  url: requiredEnv("NATS_URL"),
  prefix: requiredEnv("SWITCHYARD_PREFIX"),
  name: "bench-relay",
});
const relay = await start({
  eventStore,
  bus,
  log: (level, message) => {
    if (level === "error") console.error(`relay ${level}: ${message}`);
  },
});

let stopping = false;
process.on("message", async (m: { type: string }) => {
  if (m.type === "stats") {
    process.send?.({ type: "stats", stats: relay.stats() });
  } else if (m.type === "stop" && !stopping) {
    stopping = true;
    await relay[Symbol.asyncDispose]();
    await bus.close();
    await eventStore.close();
    process.send?.({ type: "stopped" }, () => process.exit(0));
  }
});
process.send?.({ type: "ready", pid: process.pid });
