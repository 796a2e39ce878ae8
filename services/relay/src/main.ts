// Runs the relay as a process: `pnpm exec tsx services/relay/src/main.ts`.
// Env: DATABASE_URL (required), NATS_URL (default nats://127.0.0.1:4222), SWITCHYARD_PREFIX (default sy),
// DATABASE_SCHEMA (default public), RELAY_BATCH_SIZE, RELAY_POLL_MS (fallback poll while listening for
// commits), RELAY_XMIN_WARN_MS (warn about a transaction holding pg_snapshot_xmin longer than this).
import { connectBus } from "@switchyard/bus";
import { openEventStore } from "@switchyard/event-store";
import { start } from "./relay.js";

function fail(message: string): never {
  console.error(JSON.stringify({ level: "error", msg: message }));
  process.exit(1);
}

function positiveInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) fail(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) fail("DATABASE_URL is required (the relay reads the PostgreSQL event store)");
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const prefix = process.env.SWITCHYARD_PREFIX ?? "sy";
const schema = process.env.DATABASE_SCHEMA ?? "public";
const batchSize = positiveInt("RELAY_BATCH_SIZE");
const pollIntervalMs = positiveInt("RELAY_POLL_MS");
const xminWarnAfterMs = positiveInt("RELAY_XMIN_WARN_MS");

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

let bus: Awaited<ReturnType<typeof connectBus>>;
let eventStore: Awaited<ReturnType<typeof openEventStore>>;
try {
  bus = await connectBus({ url: natsUrl, prefix, name: `relay-${process.pid}` });
} catch (err) {
  fail(message(err));
}
try {
  eventStore = await openEventStore({ url: databaseUrl, schema });
} catch (err) {
  await bus.close().catch(() => undefined);
  fail(message(err));
}

let relay: Awaited<ReturnType<typeof start>>;
try {
  relay = await start({
    eventStore,
    bus,
    ...(batchSize === undefined ? {} : { batchSize }),
    ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
    ...(xminWarnAfterMs === undefined ? {} : { xminWarnAfterMs }),
  });
} catch (err) {
  await Promise.allSettled([bus.close(), eventStore.close()]);
  fail(`relay could not start: ${message(err)}`);
}
console.log(JSON.stringify({ level: "info", msg: "relay started", pid: process.pid, prefix, schema }));

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(JSON.stringify({ level: "info", msg: "relay stopping", signal, ...relay.stats() }));
  await relay[Symbol.asyncDispose]();
  await Promise.allSettled([bus.close(), eventStore.close()]);
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
