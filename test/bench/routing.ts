// The platform under load, end to end: a StartCall (the inbound call fact a media gateway publishes) goes
// on JetStream at a fixed rate (open loop: arrivals do not wait for answers), the router decides and
// appends the decision to PostgreSQL, and the leg command it publishes is picked up here. Latency is from
// the arrival's scheduled instant to the first leg command of that call, so a router falling behind shows
// as latency, not as a lower offered load. The flow connects each call to an external number: one decision
// per call on a new call stream, no agent reservation (agent choice is measured in the domain section).

import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type Bus, connectBus } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import {
  CALL_INPUTS,
  type CallInputMessage,
  callInputSubject,
  LEG_COMMANDS,
  presenceBucket,
  presenceKey,
  TIMERS,
  workStreams,
} from "@switchyard/contracts";
import { dropSchema, type OpenedEventStore, openEventStore } from "@switchyard/event-store";
import { start as startRelay } from "@switchyard/relay";
import { type Router, start as startRouter } from "@switchyard/router";
import { INITIAL_AGENT } from "@switchyard/routing-domain";
import pg from "pg";
import { defineConfig } from "../e2e/harness.js";
import { type BenchChild, forkBenchChild } from "./child-process.js";
import { created, type Latencies, latencies, now, round, sleep } from "./measure.js";

export const GATEWAY = "bench";
const ROUTER_APP = "sy_bench_router";
const here = import.meta.dirname;

export interface LoadResult {
  readonly offered: number;
  readonly seconds: number;
  readonly sent: number;
  readonly completed: number;
  /** Decisions per second: completed calls over the time until the last completion (at least the phase). */
  readonly achieved: number;
  readonly latencyMs: Latencies;
  readonly publishFailures: number;
  /** Each router's own view: decisions appended so far, and input-to-effects time of its last 2,000. */
  readonly routerStats?: ReadonlyArray<{
    decisions: number;
    conflicts: number;
    /** Batches of call inputs taken so far. */
    batches: number;
    decisionMs: { p50: number; p99: number };
  }>;
}

export interface RoutingPlatform {
  readonly backend: "postgres" | "pglite";
  readonly schema: string;
  readonly prefix: string;
  readonly eventStore: OpenedEventStore;
  readonly bus: Bus;
  readonly to: string;
  /** Router processes (postgres) or the in-process router (PGlite). */
  routers(): number;
  /** Pids of the router processes (none for PGlite's in-process router). */
  routerPids(): number[];
  setRouters(n: number, options?: { profileDir?: string }): Promise<void>;
  /** Statements on the platform's tables so far (pg_stat_user_tables of its schema; pg only). */
  tableStats(): Promise<Record<string, { scans: number; inserted: number; updated: number }>>;
  /** Heap after gc of each router process (bytes), and its stats. */
  routerMemory(): Promise<Array<{ heapUsed: number; rss: number; decisions: number }>>;
  runLoad(offered: number, seconds: number, graceSeconds: number): Promise<LoadResult>;
  close(): Promise<void>;
}

export async function startRoutingPlatform(options: {
  backend: "postgres" | "pglite";
  databaseUrl: string;
  natsUrl: string;
}): Promise<RoutingPlatform> {
  const id = randomBytes(4).toString("hex");
  const schema = `bench_${id}`;
  const prefix = `bench${id}`;
  if (options.backend === "postgres") created.schemas.push(schema);
  created.prefixes.push(prefix);
  const eventStore =
    options.backend === "postgres"
      ? await openEventStore({ url: options.databaseUrl, schema, poolSize: 4, connectTimeoutMs: 30_000 })
      : await openEventStore({ schema });
  const bus = await connectBus({ url: options.natsUrl, prefix, name: "bench" });
  await bus.ensureStreams(workStreams());
  const relay = await startRelay({ eventStore, bus, log: () => {} });
  const to = "+14155550100";
  await defineConfig({ eventStore }, [
    {
      type: "DefineFlow",
      flow: {
        flowId: "bench",
        name: "bench",
        start: "c",
        applets: {
          // A ring timeout far beyond the bench: no timer fires during it (timers are purged between phases).
          c: {
            kind: "connect",
            target: { kind: "external", number: "+14155550199" },
            ringTimeoutSec: 3_600,
            branches: { fallback: "bye" },
          },
          bye: { kind: "hangup" },
        },
      },
    },
    { type: "DefineNumber", number: to, flowId: "bench" },
  ]);

  // First leg command per call, as it is published (a core subscription on the work-queue subject).
  let arrivals = new Map<string, number>();
  let lastArrival = 0;
  const sub = natsConnectionOf(bus).subscribe(bus.names.subject(`legcmd.${GATEWAY}`), {
    callback: (err, msg) => {
      if (err) return;
      const at = now();
      lastArrival = at;
      const callId = (msg.json() as { callId: string }).callId;
      if (!arrivals.has(callId)) arrivals.set(callId, at);
    },
  });

  const children: BenchChild[] = [];
  let inProcess: Router | undefined;
  const routerUrl = (() => {
    const u = new URL(options.databaseUrl);
    u.searchParams.set("application_name", ROUTER_APP);
    return u.toString();
  })();

  const spawnRouter = (n: number, profileDir?: string): Promise<BenchChild> =>
    forkBenchChild(join(here, "router-process.ts"), {
      name: "router",
      execArgv: ["--expose-gc", ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [])],
      env: {
        DATABASE_URL: routerUrl,
        DATABASE_SCHEMA: schema,
        NATS_URL: options.natsUrl,
        SWITCHYARD_PREFIX: prefix,
        BENCH_GATEWAY: GATEWAY,
        BENCH_ROUTER_ID: `bench-router-${n}`,
      },
    });

  async function purgeWork(): Promise<void> {
    const jsm = await natsConnectionOf(bus).jetstreamManager();
    for (const s of [CALL_INPUTS, TIMERS, LEG_COMMANDS]) {
      // An overloaded server can time out an API request (5 s): try again rather than lose the run.
      for (let attempt = 1; ; attempt++) {
        try {
          await jsm.streams.purge(bus.names.stream(s));
          break;
        } catch (err) {
          if (attempt >= 5) throw err;
          await sleep(500);
        }
      }
    }
  }

  return {
    backend: options.backend,
    schema,
    prefix,
    eventStore,
    bus,
    to,
    routers: () => (inProcess ? 1 : children.length),
    routerPids: () => children.map((c) => c.pid ?? -1).filter((pid) => pid > 0),
    async setRouters(n, opts = {}) {
      if (options.backend === "pglite") {
        // PGlite is embedded: the router shares this process (and the one database session).
        if (n !== 1) throw new Error("PGlite runs one in-process router");
        inProcess ??= await startRouter({ eventStore, bus, gatewayId: GATEWAY, log: () => {} });
        return;
      }
      while (children.length > n) await children.pop()!.stop();
      if (opts.profileDir) await mkdir(opts.profileDir, { recursive: true });
      while (children.length < n) children.push(await spawnRouter(children.length + 1, opts.profileDir));
    },
    async tableStats() {
      if (options.backend !== "postgres") return {};
      const client = new pg.Client({ connectionString: options.databaseUrl });
      await client.connect();
      // PostgreSQL publishes table statistics at most about once a second.
      await sleep(1_500);
      const { rows } = await client
        .query<{ relname: string; scans: string; ins: string; upd: string }>(
          `select relname, (coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::text as scans,
             n_tup_ins::text as ins, (n_tup_upd + n_tup_hot_upd)::text as upd
           from pg_stat_user_tables where schemaname = $1`,
          [schema],
        )
        .finally(() => client.end());
      return Object.fromEntries(
        rows.map((r) => [
          r.relname,
          { scans: Number(r.scans), inserted: Number(r.ins), updated: Number(r.upd) },
        ]),
      );
    },
    async routerMemory() {
      if (inProcess) {
        (globalThis as { gc?: () => void }).gc?.();
        const m = process.memoryUsage();
        return [{ heapUsed: m.heapUsed, rss: m.rss, decisions: inProcess.stats().decisions }];
      }
      const out = [];
      for (const c of children) {
        const m = await c.ask("memory");
        out.push({
          heapUsed: m.heapUsed as number,
          rss: m.rss as number,
          decisions: (m.stats as { decisions: number }).decisions,
        });
      }
      return out;
    },
    async runLoad(offered, seconds, graceSeconds) {
      arrivals = new Map();
      const total = Math.round(offered * seconds);
      const scheduled = new Map<string, number>();
      const acks: Array<Promise<unknown>> = [];
      let failures = 0;
      const t0 = now();
      let sent = 0;
      // Open loop: every tick, send every arrival whose scheduled instant has passed.
      while (sent < total) {
        const due = Math.min(total, Math.floor(((now() - t0) * offered) / 1000) + 1);
        for (; sent < due; sent++) {
          const callId = randomUUID();
          scheduled.set(callId, t0 + (sent * 1000) / offered);
          const message: CallInputMessage = {
            messageId: `${callId}:start`,
            callId,
            input: { type: "StartCall", callId, from: "+14155550111", to },
            at: Date.UTC(2026, 0, 5, 9),
            gatewayId: GATEWAY,
          };
          acks.push(
            bus.publish(callInputSubject(callId), message, { msgId: message.messageId }).catch(() => {
              failures++;
            }),
          );
        }
        await sleep(1);
      }
      await Promise.all(acks);
      const until = t0 + (seconds + graceSeconds) * 1000;
      while (arrivals.size < total && now() < until) await sleep(20);
      // Latecomers of this phase are dropped with the backlog: purge, then wait until the routers are quiet.
      await purgeWork();
      const samples: number[] = [];
      let last = t0;
      for (const [callId, at] of arrivals) {
        const s = scheduled.get(callId);
        if (s === undefined || at > until) continue;
        samples.push(at - s);
        last = Math.max(last, at);
      }
      for (let quiet = now(); now() - quiet < 5_000 && now() - lastArrival < 500; ) await sleep(50);
      await purgeWork();
      const elapsed = Math.max(seconds, (last - t0) / 1000);
      const routerStats = inProcess
        ? [inProcess.stats()]
        : await Promise.all(
            children.map(async (c) => (await c.ask("stats")).stats as ReturnType<Router["stats"]>),
          );
      return {
        offered,
        seconds,
        sent: total,
        completed: samples.length,
        achieved: round(samples.length / elapsed),
        latencyMs: latencies(samples, total),
        publishFailures: failures,
        routerStats: routerStats.map((r) => ({
          decisions: r.decisions,
          conflicts: r.conflicts,
          batches: r.batches,
          decisionMs: r.decisionMs,
        })),
      };
    },
    async close() {
      await sub.drain().catch(() => undefined);
      for (const c of children.splice(0)) await c.stop();
      await inProcess?.[Symbol.asyncDispose]();
      await relay[Symbol.asyncDispose]();
      const jsm = await natsConnectionOf(bus).jetstreamManager();
      await jsm.streams.delete(`KV_${presenceBucket(prefix)}`).catch(() => false);
      await bus.deleteStreams();
      await bus.close();
      await eventStore.close();
      if (options.backend === "postgres") await dropSchema(options.databaseUrl, schema);
    },
  };
}

/** Puts `n` available agents into the presence view the routers watch (memory per agent). */
export async function putPresence(platform: RoutingPlatform, n: number): Promise<void> {
  const kv = await natsConnectionOf(platform.bus)
    .jetstream()
    .views.kv(presenceBucket(platform.prefix), { history: 1 });
  const at = Date.UTC(2026, 0, 5, 9);
  for (let i = 0; i < n; i += 256) {
    await Promise.all(
      Array.from({ length: Math.min(256, n - i) }, (_, j) => {
        const agentId = `bench-agent-${i + j}`;
        return kv.put(
          presenceKey(agentId),
          JSON.stringify({
            agentId,
            state: { ...INITIAL_AGENT, status: "available", idleSince: at - (i + j) * 1000 },
            version: 1,
            updatedAt: at,
          }),
        );
      }),
    );
  }
}

/**
 * Samples what the router's PostgreSQL sessions are doing (pg_stat_activity by application_name): mostly
 * waiting for the client (ClientRead: the router is the limit), active, or waiting on WAL / locks.
 */
export function sampleDatabase(url: string, everyMs = 20) {
  const counts = new Map<string, number>();
  let samples = 0;
  let running = true;
  const client = new pg.Client({ connectionString: url });
  const done = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ what: string; n: number }>(
        `select coalesce(state, '?') || coalesce(' / ' || wait_event_type || ':' || wait_event, '') as what, count(*)::int as n
         from pg_stat_activity where application_name = $1 group by 1`,
        [ROUTER_APP],
      );
      samples++;
      for (const r of rows) counts.set(r.what, (counts.get(r.what) ?? 0) + r.n);
      await sleep(everyMs);
    }
    await client.end();
  })();
  return {
    async stop(): Promise<{ samples: number; sessions: Record<string, number> }> {
      running = false;
      await done;
      const sessions: Record<string, number> = {};
      for (const [k, v] of [...counts].sort((a, b) => b[1] - a[1])) sessions[k] = round(v / samples, 2);
      return { samples, sessions };
    },
  };
}

/** Self time by function in the router's CPU profile(s): the top entries, as shares of all samples. */
export async function summarizeProfiles(dir: string, top = 15) {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".cpuprofile"));
  const self = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  for (const f of files) {
    const profile = JSON.parse(await readFile(join(dir, f), "utf8")) as {
      nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
      samples: number[];
      timeDeltas: number[];
    };
    const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    profile.samples.forEach((nodeId, i) => {
      const frame = nodes.get(nodeId);
      const dt = profile.timeDeltas[i] ?? 0;
      if (!frame) return;
      total += dt;
      const url = frame.url.replace(/^file:\/\//, "");
      const short = url.includes("node_modules")
        ? url.replace(/.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, "")
        : url.replace(`${resolve(here, "../..")}/`, "");
      const key =
        `${frame.functionName || "(anonymous)"} ${short ? `${short}:${frame.lineNumber + 1}` : ""}`.trim();
      self.set(key, (self.get(key) ?? 0) + dt);
      const pkg = !url
        ? frame.functionName.startsWith("(")
          ? frame.functionName
          : "(native)"
        : url.includes("node_modules")
          ? (short
              .split("/")
              .slice(0, short.startsWith("@") ? 2 : 1)
              .join("/") ?? short)
          : url.startsWith("node:")
            ? "node:internal"
            : short.split("/").slice(0, 2).join("/");
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
    });
  }
  const share = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, t]) => ({ name, share: round((t / Math.max(1, total)) * 100, 1) }));
  if (!process.env.SWITCHYARD_BENCH_PROFILE_DIR)
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  return {
    files: files.length,
    seconds: round(total / 1e6, 1),
    functions: share(self),
    packages: share(byPackage),
  };
}
