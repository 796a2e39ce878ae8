// Routing decisions per second of one router alone (no gateway, relay or presence in the loop): N StartCall
// inputs published at once to CALL_INPUTS, each decided (Connect to a number: RoutingDecided, originate,
// ring timer) and appended to PostgreSQL, effects published to JetStream; timed until all N are decided.
//   node --import tsx services/router/bench/decisions.bench.ts [N]
// Needs DATABASE_URL / NATS_URL. Uses only the router's public start(), so it runs against older routers too.
import { randomBytes, randomUUID } from "node:crypto";
import { connectBus } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { type CallInputMessage, callInputSubject } from "@switchyard/contracts";
import { dropSchema, openEventStore } from "@switchyard/event-store";
import {
  CONFIG_STREAM,
  type ConfigCommand,
  type ConfigEvent,
  decideConfig,
  EMPTY_CONFIG,
  evolveConfig,
} from "@switchyard/routing-domain";
import { start } from "../src/index.js";

const N = Number(process.argv[2] ?? 2_000);
const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const id = randomBytes(4).toString("hex");
const schema = `bench_router_${id}`;
const eventStore = await openEventStore({ url, schema, poolSize: 8 });
const bus = await connectBus({ url: process.env.NATS_URL ?? "nats://127.0.0.1:4222", prefix: `tbr${id}` });
const NUMBER = "+14155550000";
const commands: ConfigCommand[] = [
  {
    type: "DefineFlow",
    flow: {
      flowId: "f",
      name: "f",
      start: "c",
      applets: {
        c: {
          kind: "connect",
          target: { kind: "number", number: "+14155551111" },
          ringTimeoutSec: 600,
          branches: { fallback: "bye" },
        },
        bye: { kind: "hangup" },
      },
    },
  },
  { type: "DefineNumber", number: NUMBER, flowId: "f" },
];
let config = EMPTY_CONFIG;
const events: ConfigEvent[] = [];
for (const c of commands) {
  for (const e of decideConfig(c, config)) {
    events.push(e);
    config = evolveConfig(config, e);
  }
}
await eventStore.store.append([
  {
    streamId: CONFIG_STREAM,
    expectedVersion: "no_stream",
    events: events.map((e) => ({ eventId: randomUUID(), type: e.type, data: e.data })),
  },
]);
const router = await start({ eventStore, bus, gatewayId: "bench", log: () => {} });
try {
  const t0 = performance.now();
  const sends: Array<Promise<unknown>> = [];
  for (let i = 0; i < N; i++) {
    const callId = randomUUID();
    const m: CallInputMessage = {
      messageId: randomUUID(),
      callId,
      input: { type: "StartCall", callId, from: "+14155559999", to: NUMBER },
      at: Date.now(),
    };
    sends.push(bus.publish(callInputSubject(callId), m, { msgId: m.messageId }));
  }
  await Promise.all(sends);
  while (router.stats().decisions < N) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - t0) / 1000;
  const s = router.stats();
  console.log(
    JSON.stringify({
      decisions: s.decisions,
      seconds: Number(seconds.toFixed(2)),
      decisionsPerSec: Math.round(s.decisions / seconds),
      decisionMs: s.decisionMs,
    }),
  );
} finally {
  await router[Symbol.asyncDispose]();
  await bus.deleteStreams();
  const jsm = await natsConnectionOf(bus).jetstreamManager();
  await jsm.streams.delete(`KV_tbr${id}_presence`).catch(() => false);
  await bus.close();
  await eventStore.close();
  await dropSchema(url, schema);
}
