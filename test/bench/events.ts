// Events persisted per second through the event store (grouped commits, as a batched router appends), and
// the relay's lag at fixed event rates: from the append's commit (appendMany resolved) to the event's
// publication on JetStream (a core subscription on the EVENTS subjects sees it as the relay publishes).

import { randomBytes, randomUUID } from "node:crypto";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Bus, connectBus } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import {
  dropSchema,
  type OpenedEventStore,
  openEventStore,
  type StreamAppend,
} from "@switchyard/event-store";
import { start as startRelay } from "@switchyard/relay";
import { forkBenchChild } from "./child-process.js";
import { created, type Latencies, latencies, now, payloadOf, rate, round, sleep } from "./measure.js";
import { EVENT_BYTES } from "./raw.js";
import { type CpuSnapshot, cpuSecondsByPart, isPostgres, machineBusyShare, snapshot } from "./scaling.js";

const GROUP = 200;
const here = dirname(fileURLToPath(import.meta.url));

/** CPU between two snapshots, in µs per event, by part. */
function cpuPerEvent(
  a: CpuSnapshot,
  b: CpuSnapshot,
  events: number,
  relayPid: number | undefined,
): EventsResult["relay"][number]["cpuUsPerEvent"] {
  const used = cpuSecondsByPart(a, b, (pid, comm) =>
    pid === relayPid
      ? "relay"
      : isPostgres(comm)
        ? "postgres"
        : comm === "nats-server"
          ? "natsServer"
          : undefined,
  );
  const us = (cpuSeconds: number) => round((cpuSeconds * 1e6) / Math.max(1, events), 1);
  const postgres = us(used.postgres ?? 0);
  const natsServer = us(used.natsServer ?? 0);
  const relay = relayPid === undefined ? null : us(used.relay ?? 0);
  const bench = us(b.bench - a.bench);
  const all = round(postgres + natsServer + (relay ?? 0) + bench, 1);
  return {
    postgres,
    natsServer,
    relay,
    bench,
    all,
    ceilingPerSec: all > 0 ? Math.round((cpus().length * 1e6) / all) : 0,
    machineBusyPercent: round(machineBusyShare(a, b) * 100, 1),
  };
}

/** The relay under measurement: how many events it has published; stop. */
interface RelayUnderTest {
  /** Its process when it has one of its own. */
  readonly pid?: number;
  published(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * On PostgreSQL the relay runs as its own process (relay-process.ts), as deployed; on embedded PGlite the
 * database lives in this process, so the relay does too.
 */
async function startRelayUnderTest(options: {
  backend: "postgres" | "pglite";
  store: OpenedEventStore;
  bus: Bus;
  databaseUrl: string;
  schema: string;
  natsUrl: string;
  prefix: string;
}): Promise<RelayUnderTest> {
  if (options.backend === "pglite") {
    const relay = await startRelay({ eventStore: options.store, bus: options.bus, log: () => {} });
    return {
      published: async () => relay.stats().published,
      stop: async () => {
        await relay[Symbol.asyncDispose]();
      },
    };
  }
  const child = await forkBenchChild(join(here, "relay-process.ts"), {
    name: "relay",
    execArgv: process.env.SWITCHYARD_BENCH_RELAY_CPU_PROF
      ? ["--cpu-prof", `--cpu-prof-dir=${process.env.SWITCHYARD_BENCH_RELAY_CPU_PROF}`]
      : [],
    env: {
      DATABASE_URL: options.databaseUrl,
      DATABASE_SCHEMA: options.schema,
      NATS_URL: options.natsUrl,
      SWITCHYARD_PREFIX: options.prefix,
    },
  });
  return {
    ...(child.pid === undefined ? {} : { pid: child.pid }),
    published: async () => ((await child.ask("stats")).stats as { published: number }).published,
    stop: () => child.stop(),
  };
}

export interface EventsResult {
  readonly backend: "postgres" | "pglite";
  /** appendMany of 200 single-event appends (each its own new stream), 2 writers (1 on PGlite). */
  readonly persistedPerSec: number;
  readonly relay: ReadonlyArray<{
    readonly offeredEventsPerSec: number;
    readonly appendedPerSec: number;
    readonly relayedPerSec: number;
    readonly lagMs: Latencies;
    /**
     * CPU µs per event offered in this phase, by part (the relay only when it runs as its own process; the
     * bench is the appender and the subscriber that times the relay), and the events/s that cost allows on
     * all the machine's cores: what a missed rate runs into on a machine that hosts all of them.
     */
    readonly cpuUsPerEvent: {
      readonly postgres: number;
      readonly natsServer: number;
      readonly relay: number | null;
      readonly bench: number;
      readonly all: number;
      readonly ceilingPerSec: number;
      readonly machineBusyPercent: number;
    };
  }>;
}

function appends(n: number, data: unknown): StreamAppend[][] {
  return Array.from({ length: n }, () => [
    {
      streamId: `call-${randomUUID()}`,
      expectedVersion: "no_stream" as const,
      events: [{ eventId: randomUUID(), type: "RoutingDecided", data, metadata: { correlationId: "bench" } }],
    },
  ]);
}

export async function measureEvents(options: {
  backend: "postgres" | "pglite";
  databaseUrl: string;
  natsUrl: string;
  seconds: number;
  rates: readonly number[];
  log: (line: string) => void;
}): Promise<EventsResult> {
  const id = randomBytes(4).toString("hex");
  const schema = `bench_ev_${id}`;
  const prefix = `benchev${id}`;
  if (options.backend === "postgres") created.schemas.push(schema);
  created.prefixes.push(prefix);
  const store: OpenedEventStore =
    options.backend === "postgres"
      ? await openEventStore({ url: options.databaseUrl, schema, poolSize: 4, connectTimeoutMs: 30_000 })
      : await openEventStore({ schema });
  const bus: Bus = await connectBus({ url: options.natsUrl, prefix, name: "bench-events" });
  const data = payloadOf(EVENT_BYTES - 400, "event");
  try {
    const writers = options.backend === "postgres" ? 2 : 1;
    let written = 0;
    const persisted = await rate(options.seconds, writers, async () => {
      const results = await store.store.appendMany(appends(GROUP, data));
      const ok = results.filter((r) => !(r instanceof Error)).length;
      written += ok;
      return ok;
    });
    options.log(
      `  events persisted (appendMany of ${GROUP}, ${writers} writer(s)): ${Math.round(persisted)}/s`,
    );

    // The relay catches up with what was just written before the lag is measured.
    const relay = await startRelayUnderTest({
      backend: options.backend,
      store,
      bus,
      databaseUrl: options.databaseUrl,
      schema,
      natsUrl: options.natsUrl,
      prefix,
    });
    const received = new Map<string, number>();
    const sub = natsConnectionOf(bus).subscribe(bus.names.subject("evt.>"), {
      callback: (err, msg) => {
        if (err) return;
        const msgId = msg.headers?.get("Nats-Msg-Id");
        if (msgId) received.set(msgId, now());
      },
    });
    const results: Array<EventsResult["relay"][number]> = [];
    try {
      // Every event written above (counted, not estimated from the rate: an estimate short of it left up to a
      // second of backlog in front of the first lag phase), at most 60 s: a relay slower than that shows in the
      // lag figures below anyway.
      for (let wait = 0; (await relay.published()) < written && wait < 600; wait++) await sleep(100);
      for (const offered of options.rates) {
        received.clear();
        const committed = new Map<string, number>();
        const total = Math.round(offered * options.seconds);
        const cpuBefore = await snapshot();
        const t0 = now();
        let sent = 0;
        const inFlight: Array<Promise<void>> = [];
        let failure: unknown;
        // Open loop in 10 ms ticks: each tick appends what is due, as one grouped commit.
        while (sent < total) {
          const due = Math.min(total, Math.floor(((now() - t0) * offered) / 1000) + 1);
          if (due > sent) {
            // At most 500 appends per commit: each stream takes an advisory lock until COMMIT, and a slow
            // server would otherwise let one tick's batch exceed max_locks_per_transaction.
            const batch = appends(Math.min(500, due - sent), data);
            sent += batch.length;
            inFlight.push(
              store.store.appendMany(batch).then(
                () => {
                  const at = now();
                  for (const [a] of batch) committed.set(a!.events[0]!.eventId, at);
                },
                (err: unknown) => {
                  failure ??= err;
                },
              ),
            );
          }
          // No more commits in flight than the pool has connections: a slow server makes the next batch
          // bigger instead of queueing connection requests until they time out.
          while (inFlight.length >= 4) await inFlight.shift();
          if (failure !== undefined) throw failure;
          await sleep(10);
        }
        await Promise.all(inFlight);
        if (failure !== undefined) throw failure;
        const appendedAt = now();
        for (let i = 0; i < 100 && received.size < committed.size; i++) await sleep(50);
        const cpuUsPerEvent = cpuPerEvent(cpuBefore, await snapshot(), total, relay.pid);
        const lags: number[] = [];
        let lastReceived = t0;
        for (const [eventId, at] of committed) {
          const r = received.get(eventId);
          if (r !== undefined) {
            lags.push(Math.max(0, r - at));
            lastReceived = Math.max(lastReceived, r);
          }
        }
        const result = {
          offeredEventsPerSec: offered,
          appendedPerSec: round(total / ((appendedAt - t0) / 1000)),
          relayedPerSec: round(lags.length / ((lastReceived - t0) / 1000)),
          lagMs: latencies(lags, total),
          cpuUsPerEvent,
        };
        results.push(result);
        options.log(
          `  relay at ${offered} events/s offered: appended ${result.appendedPerSec}/s, relayed ${result.relayedPerSec}/s, lag p50 ${result.lagMs.p50} ms p99 ${result.lagMs.p99} ms`,
        );
        const c = cpuUsPerEvent;
        options.log(
          `    CPU per event: PostgreSQL ${c.postgres} µs, NATS ${c.natsServer} µs, ${c.relay === null ? "relay in the bench" : `relay ${c.relay} µs`}, bench (appender, timing subscriber) ${c.bench} µs: ${c.all} µs, at most ${c.ceilingPerSec.toLocaleString("en-US")} events/s on ${cpus().length} cores (machine busy ${c.machineBusyPercent}%)`,
        );
      }
    } finally {
      await sub.drain().catch(() => undefined);
      await relay.stop();
    }
    return { backend: options.backend, persistedPerSec: round(persisted), relay: results };
  } finally {
    await bus.deleteStreams().catch(() => undefined);
    await bus.close();
    await store.close();
    if (options.backend === "postgres") await dropSchema(options.databaseUrl, schema);
  }
}
