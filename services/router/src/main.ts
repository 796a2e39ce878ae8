// Runs one router as a process: `pnpm exec tsx services/router/src/main.ts` (the e2e kill test uses it).
// Env: DATABASE_URL (required), NATS_URL (default nats://127.0.0.1:4222), SWITCHYARD_PREFIX (default sy),
// DATABASE_SCHEMA (default public), GATEWAY_ID (default "default"), CLOCK_SPEED, CLOCK_START_AT and
// CLOCK_REAL_START (a scaled clock shared with other processes, for simulations and tests), ROUTER_ACK_WAIT_MS.
import { connectBus } from "@switchyard/bus";
import { scaledClock, systemClock } from "@switchyard/clock";
import { openEventStore } from "@switchyard/event-store";
import { start } from "./router.js";

function fail(message: string): never {
  console.error(JSON.stringify({ level: "error", msg: message }));
  process.exit(1);
}

function positiveNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0)) fail(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) fail("DATABASE_URL is required (the router appends to the PostgreSQL event store)");
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const prefix = process.env.SWITCHYARD_PREFIX ?? "sy";
const schema = process.env.DATABASE_SCHEMA ?? "public";
const speed = positiveNumber("CLOCK_SPEED");
const startAt = positiveNumber("CLOCK_START_AT");
const realStart = positiveNumber("CLOCK_REAL_START");
const ackWaitMs = positiveNumber("ROUTER_ACK_WAIT_MS");
const clock =
  speed === undefined
    ? systemClock
    : scaledClock({
        speed,
        ...(startAt === undefined ? {} : { startAt }),
        ...(realStart === undefined ? {} : { realStart }),
      });
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

let bus: Awaited<ReturnType<typeof connectBus>>;
let eventStore: Awaited<ReturnType<typeof openEventStore>>;
try {
  bus = await connectBus({ url: natsUrl, prefix, name: `router-${process.pid}` });
} catch (err) {
  fail(message(err));
}
try {
  eventStore = await openEventStore({ url: databaseUrl, schema });
} catch (err) {
  await bus.close().catch(() => undefined);
  fail(message(err));
}

let router: Awaited<ReturnType<typeof start>>;
try {
  router = await start({
    eventStore,
    bus,
    clock,
    ...(process.env.GATEWAY_ID ? { gatewayId: process.env.GATEWAY_ID } : {}),
    ...(ackWaitMs === undefined ? {} : { ackWaitMs }),
  });
} catch (err) {
  await Promise.allSettled([bus.close(), eventStore.close()]);
  fail(`router could not start: ${message(err)}`);
}
console.log(JSON.stringify({ level: "info", msg: "router started", pid: process.pid, prefix, schema }));

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(JSON.stringify({ level: "info", msg: "router stopping", signal, ...router.stats() }));
  await router[Symbol.asyncDispose]();
  await Promise.allSettled([bus.close(), eventStore.close()]);
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
