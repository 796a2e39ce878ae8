// Throughput of one gateway over NATS: N originate commands to busy phones → N LegEnded facts published.
// node --import tsx services/media-gateway/test/gateway-bench.ts [commands]
import { randomBytes } from "node:crypto";
import { connectBus } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { scaledClock } from "@switchyard/clock";
import { CALL_INPUTS, type LegCommandMessage, legCommandSubject } from "@switchyard/contracts";
import { gatewayStateBucket, SimulatedDriver, start } from "../src/index.js";

const n = Number(process.argv[2] ?? 2_000);
const bus = await connectBus({
  url: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
  prefix: `mgbench_${randomBytes(4).toString("hex")}`,
});
try {
  const clock = scaledClock({ speed: 1 });
  const driver = new SimulatedDriver({ clock });
  driver.setPhone("+1555", { kind: "busy" });
  const gw = await start({ bus, clock, driver, gatewayId: "bench", log: () => {} });
  let facts = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const collector = await bus.consume({
    stream: CALL_INPUTS,
    durable: "bench",
    maxDeliver: 3,
    ackWaitMs: 30_000,
    concurrency: 16,
    handler: () => {
      if (++facts === n) done();
    },
  });
  const t0 = performance.now();
  const acks = [];
  for (let i = 0; i < n; i++) {
    const message: LegCommandMessage = {
      commandId: `c${i}`,
      callId: `call${i}`,
      callerLegId: `call${i}:leg-0.1`,
      at: clock.now(),
      command: {
        kind: "originate",
        legId: `call${i}:leg-1.1`,
        to: { kind: "phone", number: "+1555" },
        callerId: "+1800",
        timeoutSec: 30,
      },
    };
    acks.push(bus.publish(legCommandSubject("bench"), message, { msgId: message.commandId }));
  }
  await Promise.all(acks);
  await all;
  const ms = performance.now() - t0;
  console.log(
    `${n} commands → ${n} facts in ${ms.toFixed(0)} ms: ${((n / ms) * 1000).toFixed(0)} commands/s`,
  );
  await collector.stop();
  await gw[Symbol.asyncDispose]();
  await driver.close();
} finally {
  const jsm = await natsConnectionOf(bus).jetstreamManager();
  await jsm.streams.delete(`KV_${gatewayStateBucket(bus.names.prefix, "bench")}`).catch(() => false);
  await bus.deleteStreams();
  await bus.close();
}
