import { randomUUID } from "node:crypto";
import { EVENTS_STREAM, type EventMessage } from "@switchyard/bus";
import { loadRuntimeConfig } from "@switchyard/config";
import type { StreamAppend } from "@switchyard/event-store";
import type { CliContext } from "./cli.js";
import { startPlatform } from "./platform.js";

/**
 * The demo on embedded defaults. Until the routing services exist (issue "Services end to end") it shows the
 * foundation working: the platform's services start on PGlite and a private nats-server, events from many
 * concurrent writers are committed to the event store, and the relay carries every one of them, once, in
 * commit order, onto the JetStream EVENTS stream.
 */
export async function runDemo(ctx: CliContext): Promise<number> {
  const calls = positiveInt(ctx.flags.calls, 50);
  const config = loadRuntimeConfig({ flags: { ...ctx.flags, target: "all" }, env: ctx.env });
  ctx.out("switchyard demo: starting the platform on embedded defaults");
  await using platform = await startPlatform(config, { log: ctx.out });
  for (const line of platform.describe()) ctx.out(`  ${line}`);

  const expected = new Map<string, number>(); // event id → version
  const seen = new Map<string, number>(); // stream → last version seen
  let received = 0;
  let outOfOrder = 0;
  let duplicates = 0;
  let finish = () => {};
  const allReceived = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const consumer = await platform.bus.consume<EventMessage>({
    stream: EVENTS_STREAM,
    durable: "demo",
    maxDeliver: 5,
    ackWaitMs: 10_000,
    deliverPolicy: "all",
    handler: ({ payload }) => {
      if (!expected.has(payload.id)) return undefined;
      received += 1;
      const last = seen.get(payload.streamId) ?? 0;
      if (payload.version === last) duplicates += 1;
      else if (payload.version !== last + 1) outOfOrder += 1;
      seen.set(payload.streamId, payload.version);
      if (received >= expected.size) finish();
      return undefined;
    },
  });

  // Each simulated call writes its lifecycle as separate appends with expected versions, concurrently with
  // the others, as routers will.
  const lifecycle = ["CallReceived", "RingPlanDecided", "LegAnswered", "CallEnded"];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: calls }, async (_, i) => {
      const streamId = `call-demo${i + 1}`;
      for (const [index, type] of lifecycle.entries()) {
        const eventId = randomUUID();
        expected.set(eventId, index + 1);
        const append: StreamAppend = {
          streamId,
          expectedVersion: index === 0 ? "no_stream" : index,
          events: [{ eventId, type, data: { demo: true, step: index + 1 } }],
        };
        await platform.eventStore.store.append([append]);
      }
    }),
  );
  const appended = performance.now();
  ctx.out(`  appended ${expected.size} events on ${calls} call streams in ${ms(appended - started)}`);
  const timeout = setTimeout(() => finish(), 30_000);
  await allReceived;
  clearTimeout(timeout);
  await consumer.stop();
  const relayed = performance.now();
  ctx.out(
    `  relayed to JetStream ${EVENTS_STREAM}: ${received}/${expected.size} events, ${duplicates} duplicates, ` +
      `${outOfOrder} out of order, all within ${ms(relayed - started)}`,
  );
  const ok = received === expected.size && duplicates === 0 && outOfOrder === 0;
  ctx.out(
    ok ? "switchyard demo: ok" : "switchyard demo: FAILED: the relay lost, duplicated or reordered events",
  );
  return ok ? 0 : 1;
}

function positiveInt(value: string | boolean | undefined, fallback: number): number {
  const n = typeof value === "string" ? Number(value) : fallback;
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}
