// `pnpm bench`: the performance report. One run measures the machine's raw limits (PostgreSQL commits and
// grouped inserts, JetStream publishes) and the platform (routing decisions end to end at fixed offered
// loads with 1, 2 and 3 router processes, events persisted, relay lag, decision cost by group size, a
// queue of 10,000 callers, memory per call and per agent), on PostgreSQL and on embedded PGlite, prints
// each platform figure beside the raw limit it depends on, and writes everything to .switchyard/bench.json.
//
//   pnpm bench [--only raw,routing,scaling,memory,events,domain,pglite,media] [--seconds 5]
//              [--loads 1000,2000,5000,10000] [--routers 1,2,3] [--scaling-loads 50,400,1000] [--profile]
//              [--json FILE] [--tiny]
//
// `scaling`: the same offered loads with 1, 2 and 3 router processes (--routers), calls/s achieved, start
// latency and the CPU each part of the platform used, and whether more routers added throughput or why not.
//
// `media` (not in the default run: it starts FreeSWITCH and drachtio-server, ~1 min): FreeSWITCH endpoint
// creation and idle cost by live endpoints, the media server's limits beside which the SIP load test is read.
//
// `events`: on PostgreSQL the relay runs as its own process (relay-process.ts), as deployed;
// SWITCHYARD_BENCH_RELAY_CPU_PROF=<dir> writes its V8 CPU profile there.
//
// Needs PostgreSQL and NATS (DATABASE_URL, NATS_URL; defaults: the local test database and nats-server).
// Absolute numbers depend on what else the machine is doing; the report records the load average.
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type GroupCost, measureGroups, measureQueue, type QueueCost } from "./domain.js";
import { type EventsResult, measureEvents } from "./events.js";
import { created, fmt, type Latencies, ratio, round } from "./measure.js";
import { type MediaResult, measureMedia } from "./media.js";
import { type AnnouncementCost, measureAnnouncements } from "./queue-load.js";
import { measureJetStream, measurePg, PACED_PER_SEC, type RawJetStream, type RawPg } from "./raw.js";
import {
  type LoadResult,
  putPresence,
  type RoutingPlatform,
  sampleDatabase,
  startRoutingPlatform,
  summarizeProfiles,
} from "./routing.js";
import { measureScaling, type ScalingResult } from "./scaling.js";

const SECTIONS = [
  "raw",
  "routing",
  "scaling",
  "memory",
  "events",
  "domain",
  "queue",
  "pglite",
  "media",
] as const;
/** What a run without --only measures. */
const DEFAULT_SECTIONS = SECTIONS.filter((s) => s !== "media");
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    seconds: { type: "string" },
    "raw-seconds": { type: "string" },
    grace: { type: "string" },
    loads: { type: "string" },
    routers: { type: "string" },
    "scaling-loads": { type: "string" },
    "pglite-loads": { type: "string" },
    profile: { type: "boolean", default: false },
    json: { type: "string" },
    tiny: { type: "boolean", default: false },
  },
});

const tiny = values.tiny === true;
const list = (s: string | undefined, fallback: number[]) =>
  s === undefined ? fallback : s.split(",").map((x) => Number(x.trim()));
const only = new Set<Section>(
  values.only === undefined ? DEFAULT_SECTIONS : (values.only.split(",").map((s) => s.trim()) as Section[]),
);
for (const s of only)
  if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}: use ${SECTIONS.join(",")}`);
const seconds = Number(values.seconds ?? (tiny ? 0.5 : 5));
const rawSeconds = Number(values["raw-seconds"] ?? (tiny ? 0.3 : 3));
const grace = Number(values.grace ?? (tiny ? 2 : 3));
const loads = list(values.loads, tiny ? [50] : [1000, 2000, 5000, 10000]);
const routerCounts = list(values.routers, tiny ? [1] : [1, 2, 3]);
const scalingLoads = list(values["scaling-loads"], tiny ? [50] : [50, 400, 1000]);
const scalingCounts = list(values.routers, tiny ? [1, 2] : [1, 2, 3]);
const pgliteLoads = list(values["pglite-loads"], tiny ? [50] : [250, 1000]);
const jsonPath = resolve(values.json ?? ".switchyard/bench.json");
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const log = (line: string) => console.log(line);

interface Report {
  meta: Record<string, unknown>;
  raw?: { postgres?: RawPg; jetstream?: RawJetStream; pglite?: RawPg };
  routing?: {
    sustainedDecisionsPerSec: number;
    p99MsAt5000: number | null;
    flow: string;
    byRouters: Record<string, LoadResult[]>;
    database?: { samples: number; sessions: Record<string, number> };
    profile?: Awaited<ReturnType<typeof summarizeProfiles>>;
    tableStatementsPerDecision?: Record<string, { scans: number; inserted: number; updated: number }>;
  };
  memory?: {
    bytesPerLiveCall: number | null;
    liveCalls: number;
    bytesPerAgentInRouter: number | null;
    agents: number;
  };
  scaling?: ScalingResult;
  events?: EventsResult;
  domain?: { groups: GroupCost[]; memoryBytesPerAgent: number | null; queue: QueueCost };
  queue?: AnnouncementCost;
  pglite?: { routing: LoadResult[]; events?: EventsResult };
  media?: MediaResult[];
}

const startedAt = new Date();
const report: Report = {
  meta: {
    startedAt: startedAt.toISOString(),
    command: `pnpm bench ${process.argv.slice(2).join(" ")}`.trim(),
    node: process.version,
    cpus: cpus().length,
    loadAverageAtStart: loadavg().map((x) => round(x, 2)),
    database: DATABASE_URL.replace(/:[^:@/]*@/, ":***@"),
    nats: NATS_URL,
    sections: [...only],
    seconds,
    loads,
    routers: routerCounts,
    note: "open-loop arrivals at a fixed rate; latency from the scheduled arrival to the first leg command; a percentile is null when fewer calls than it needs completed within the phase and its grace",
  },
};

/** A routing platform on PostgreSQL for one section, closed after it. */
async function onPostgres(use: (platform: RoutingPlatform) => Promise<void>): Promise<void> {
  const platform = await startRoutingPlatform({
    backend: "postgres",
    databaseUrl: DATABASE_URL,
    natsUrl: NATS_URL,
  });
  try {
    await use(platform);
  } finally {
    await platform.close();
  }
}

const sustained = (results: readonly LoadResult[]): number =>
  Math.max(
    0,
    ...results.filter((r) => r.latencyMs.p99 !== null && r.latencyMs.p99 <= 10).map((r) => r.offered),
  );

async function runRouting(platform: RoutingPlatform, counts: readonly number[], offered: readonly number[]) {
  const byRouters: Record<string, LoadResult[]> = {};
  let database: Awaited<ReturnType<ReturnType<typeof sampleDatabase>["stop"]>> | undefined;
  let profile: Awaited<ReturnType<typeof summarizeProfiles>> | undefined;
  let perDecision: Record<string, { scans: number; inserted: number; updated: number }> | undefined;
  for (const n of counts) {
    // Profiles are of router processes: PGlite's router runs inside the bench.
    const profileDir =
      values.profile && n === 1 && platform.backend === "postgres"
        ? (process.env.SWITCHYARD_BENCH_PROFILE_DIR ?? join(tmpdir(), `sy-bench-prof-${process.pid}`))
        : undefined;
    await platform.setRouters(n, profileDir ? { profileDir } : {});
    const sampler = n === 1 && platform.backend === "postgres" ? sampleDatabase(DATABASE_URL) : undefined;
    const results: LoadResult[] = [];
    const tablesBefore = n === 1 ? await platform.tableStats() : {};
    for (const load of offered) {
      const r = await platform.runLoad(load, seconds, grace);
      results.push(r);
      const own = r.routerStats?.map((x) => `${x.decisionMs.p50}/${x.decisionMs.p99}`).join(", ");
      log(
        `  ${n} router(s), ${load}/s offered: ${r.achieved}/s achieved, ${r.completed}/${r.sent} decided, ` +
          `router's own input-to-effects ms p50/p99 ${own}, ` +
          `p50 ${fmt(r.latencyMs.p50, 1)} ms, p99 ${fmt(r.latencyMs.p99, 1)} ms, p99.9 ${fmt(r.latencyMs.p999, 1)} ms`,
      );
    }
    database = (await sampler?.stop()) ?? database;
    if (n === 1 && platform.backend === "postgres") {
      // Statements per decision on the platform's own tables (pg_stat_statements is not loaded here).
      const after = await platform.tableStats();
      // Router stats count since the process started, so the last phase holds the total.
      const lastDecisions = results.at(-1)?.routerStats?.reduce((a, x) => a + x.decisions, 0) ?? 0;
      perDecision = Object.fromEntries(
        Object.entries(after).map(([table, t]) => {
          const b = tablesBefore[table] ?? { scans: 0, inserted: 0, updated: 0 };
          const d = Math.max(1, lastDecisions);
          return [
            table,
            {
              scans: round((t.scans - b.scans) / d, 2),
              inserted: round((t.inserted - b.inserted) / d, 2),
              updated: round((t.updated - b.updated) / d, 2),
            },
          ];
        }),
      );
      log(`  per decision, on the platform's tables (pg_stat_user_tables): ${JSON.stringify(perDecision)}`);
    }
    byRouters[String(n)] = results;
    if (platform.backend === "postgres") await platform.setRouters(0);
    if (profileDir) profile = await summarizeProfiles(profileDir);
  }
  return { byRouters, database, profile, perDecision };
}

function latencyCells(l: Latencies): string {
  return `p50 ${fmt(l.p50, 1)} / p99 ${fmt(l.p99, 1)} / p99.9 ${fmt(l.p999, 1)} ms`;
}

/** Runs one section; a failure is recorded in the report and the next section still runs. */
async function section(name: Section, body: () => Promise<void>): Promise<void> {
  if (!only.has(name)) return;
  try {
    await body();
  } catch (err) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    log(`  section ${name} failed: ${message}`);
    report.meta.failedSections = { ...(report.meta.failedSections as object | undefined), [name]: message };
    process.exitCode = 1;
  }
}

async function main(): Promise<void> {
  log(
    `Switchyard performance report — ${startedAt.toISOString()}, ${cpus().length} cores, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  log(
    "(the machine is shared: absolute numbers are noisy; ratios to the raw limits measured in the same run are steadier)",
  );
  await section("raw", async () => {
    log("\n== raw limits (PostgreSQL, synchronous_commit as configured; JetStream R1 file storage)");
    report.raw = {
      postgres: await measurePg({ url: DATABASE_URL, seconds: rawSeconds, log }),
      jetstream: await measureJetStream({
        url: NATS_URL,
        prefix: `benchraw${process.pid}`,
        seconds: rawSeconds,
        log,
      }),
    };
  });
  await section("routing", async () => {
    log(`\n== routing decisions end to end (PostgreSQL; ${seconds} s per offered load, ${grace} s grace)`);
    await onPostgres(async (platform) => {
      const r = await runRouting(platform, routerCounts, loads);
      const one = r.byRouters["1"] ?? [];
      report.routing = {
        sustainedDecisionsPerSec: sustained(one),
        p99MsAt5000: one.find((x) => x.offered === 5000)?.latencyMs.p99 ?? null,
        flow: "StartCall → Connect to an external number: CallStarted, RoutingDecided, leg originate on a new call stream; first leg command timed",
        byRouters: r.byRouters,
        ...(r.database ? { database: r.database } : {}),
        ...(r.profile ? { profile: r.profile } : {}),
        ...(r.perDecision ? { tableStatementsPerDecision: r.perDecision } : {}),
      };
      if (r.database)
        log(`  PostgreSQL sessions of the router (mean per sample): ${JSON.stringify(r.database.sessions)}`);
      if (r.profile) {
        log(
          `  router CPU profile (${r.profile.seconds} s sampled), self time by package: ${r.profile.packages.map((p) => `${p.name} ${p.share}%`).join(", ")}`,
        );
        for (const f of r.profile.functions.slice(0, 10)) log(`    ${f.share}%  ${f.name}`);
      }
    });
  });
  await section("scaling", async () => {
    log(
      `\n== router scaling: the same offered loads with ${scalingCounts.join(", ")} router processes (PostgreSQL; ${seconds} s per load, ${grace} s grace)`,
    );
    await onPostgres(async (platform) => {
      report.scaling = await measureScaling({
        platform,
        routerPids: () => platform.routerPids(),
        counts: scalingCounts,
        loads: scalingLoads,
        seconds,
        grace,
        log,
      });
    });
  });
  await section("memory", async () => {
    log("\n== memory (one router process, heap after gc)");
    await onPostgres(async (platform) => {
      await platform.setRouters(1);
      const [base] = await platform.routerMemory();
      const load = await platform.runLoad(tiny ? 50 : 500, tiny ? 1 : 4, grace);
      const [withCalls] = await platform.routerMemory();
      const agents = tiny ? 200 : 10_000;
      await putPresence(platform, agents);
      await new Promise((r) => setTimeout(r, tiny ? 500 : 2_000));
      const [withAgents] = await platform.routerMemory();
      const liveCalls = withCalls!.decisions - base!.decisions;
      report.memory = {
        liveCalls,
        bytesPerLiveCall: liveCalls > 0 ? round((withCalls!.heapUsed - base!.heapUsed) / liveCalls) : null,
        agents,
        bytesPerAgentInRouter: round((withAgents!.heapUsed - withCalls!.heapUsed) / agents),
      };
      log(
        `  ${liveCalls} live calls (${load.completed} timed): ${fmt(report.memory.bytesPerLiveCall)} B each; ` +
          `${agents} agents in the presence view: ${fmt(report.memory.bytesPerAgentInRouter)} B each`,
      );
    });
  });
  await section("events", async () => {
    log("\n== events persisted and relay lag (PostgreSQL)");
    report.events = await measureEvents({
      backend: "postgres",
      databaseUrl: DATABASE_URL,
      natsUrl: NATS_URL,
      seconds: tiny ? 0.5 : seconds,
      rates: tiny ? [200] : [5_000, 20_000],
      log,
    });
  });
  await section("domain", async () => {
    log("\n== decision cost by group size and one queue of 10,000 callers (pure domain, no IO)");
    const groups = await measureGroups({
      sizes: tiny ? [10, 100] : [10, 1_000, 10_000, 100_000],
      strategies: ["longestIdle", "roundRobin", "leastCalls"],
      budgetMs: tiny ? 20 : 500,
      maxDecisionMs: 3_000,
      log,
    });
    const queue = measureQueue({ waiting: tiny ? 100 : 10_000, samples: tiny ? 20 : 200, log });
    report.domain = { ...groups, queue };
  });
  await section("queue", async () => {
    log("\n== one queue of many waiting callers: what position announcements cost (PostgreSQL, 1 router)");
    await onPostgres(async (platform) => {
      await platform.setRouters(1);
      report.queue = await measureAnnouncements(platform, {
        callers: tiny ? 50 : 10_000,
        announceEverySec: tiny ? 1 : 20,
        windowSec: tiny ? 2 : 20,
        changesPerSec: tiny ? 5 : 25,
        enqueuePerSec: tiny ? 200 : 1_000,
        log,
      });
    });
  });
  await section("pglite", async () => {
    log(
      "\n== the same on PGlite (embedded PostgreSQL in this process; router, relay and bench share one thread)",
    );
    const raw = await measurePg({ seconds: rawSeconds, log });
    report.raw = { ...report.raw, pglite: raw };
    const platform = await startRoutingPlatform({
      backend: "pglite",
      databaseUrl: DATABASE_URL,
      natsUrl: NATS_URL,
    });
    try {
      const r = await runRouting(platform, [1], pgliteLoads);
      report.pglite = { routing: r.byRouters["1"] ?? [] };
    } finally {
      await platform.close();
    }
    report.pglite.events = await measureEvents({
      backend: "pglite",
      databaseUrl: DATABASE_URL,
      natsUrl: NATS_URL,
      seconds: tiny ? 0.5 : 3,
      rates: tiny ? [200] : [2_000],
      log,
    });
  });
  await section("media", async () => {
    report.media = [];
    for (const control of ["parked", "outbound"] as const) {
      log(
        `\n== media server limits: FreeSWITCH endpoints, control ${control} (as the drachtio driver makes them)`,
      );
      report.media.push(
        await measureMedia({
          control,
          perStep: tiny ? 20 : 200,
          steps: tiny ? 2 : 4,
          maxPerSec: 50,
          idleSeconds: tiny ? 1 : 5,
          log,
        }),
      );
    }
  });
  report.meta.finishedAt = new Date().toISOString();
  report.meta.loadAverageAtEnd = loadavg().map((x) => round(x, 2));
  report.meta.created = created;
  printTable();
  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  log(`\nwritten to ${jsonPath}`);
}

function printTable(): void {
  const rows: Array<[string, string, string, string]> = [];
  const pgRaw = report.raw?.postgres;
  const js = report.raw?.jetstream;
  const liteRaw = report.raw?.pglite;
  if (pgRaw) {
    rows.push([
      "PostgreSQL single-row commits/s (1 conn / 8 conns)",
      `${fmt(pgRaw.singleRowCommitsPerSec)} / ${fmt(pgRaw.singleRowCommitsPerSec8)}`,
      `raw, synchronous_commit=${pgRaw.synchronousCommit}`,
      "",
    ]);
    rows.push([
      "PostgreSQL single-row commits/s with pg_notify (1 conn / 8 conns)",
      `${fmt(pgRaw.notifyCommitsPerSec)} / ${fmt(pgRaw.notifyCommitsPerSec8)}`,
      "single-row commits (1 conn / 8 conns)",
      `${ratio(pgRaw.notifyCommitsPerSec, pgRaw.singleRowCommitsPerSec)} / ${ratio(pgRaw.notifyCommitsPerSec8, pgRaw.singleRowCommitsPerSec8)}`,
    ]);
    rows.push(["PostgreSQL grouped insert rows/s (200/commit)", fmt(pgRaw.groupedRowsPerSec), "raw", ""]);
    if (pgRaw.commitLatencyMs)
      rows.push([
        `PostgreSQL single-row commit latency, ${PACED_PER_SEC}/s one at a time`,
        latencyCells(pgRaw.commitLatencyMs),
        `raw, synchronous_commit=${pgRaw.synchronousCommit}`,
        "",
      ]);
  }
  if (js)
    rows.push([
      `JetStream publishes/s, 256 in flight (${js.commandBytes} B / ${js.eventBytes} B)`,
      `${fmt(js.commandPublishesPerSec)} / ${fmt(js.eventPublishesPerSec)}`,
      "raw",
      "",
    ]);
  if (js?.publishAckLatencyMs)
    rows.push([
      `JetStream publish → ack latency, ${PACED_PER_SEC}/s one at a time (${js.commandBytes} B)`,
      latencyCells(js.publishAckLatencyMs),
      "raw",
      "",
    ]);
  const routing = report.routing;
  if (routing) {
    for (const [n, results] of Object.entries(routing.byRouters)) {
      for (const r of results) {
        rows.push([
          `routing, ${n} router(s), ${fmt(r.offered)}/s offered`,
          `${fmt(r.achieved)}/s; ${latencyCells(r.latencyMs)}`,
          "PG single-row commits/s (1 conn)",
          ratio(r.achieved, pgRaw?.singleRowCommitsPerSec),
        ]);
      }
    }
    const best = (n: string) => Math.max(0, ...(routing.byRouters[n] ?? []).map((r) => r.achieved));
    for (const n of Object.keys(routing.byRouters)) {
      if (n !== "1")
        rows.push([
          `routing, best of ${n} routers vs 1 router`,
          `${fmt(best(n))}/s`,
          `1 router: ${fmt(best("1"))}/s`,
          ratio(best(n), best("1")),
        ]);
    }
    rows.push([
      "routing.sustainedDecisionsPerSec (p99 ≤ 10 ms)",
      fmt(routing.sustainedDecisionsPerSec),
      "grouped rows/s",
      ratio(routing.sustainedDecisionsPerSec, pgRaw?.groupedRowsPerSec),
    ]);
    // A decision commits once and its input and leg command each make a publish → ack: the floor under its p99.
    const floor = [pgRaw?.commitLatencyMs?.p99, js?.publishAckLatencyMs?.p99];
    if (floor.every((x) => typeof x === "number"))
      rows.push([
        "  floor under a decision's p99 (raw, unloaded)",
        `${fmt(floor[0], 2)} + 2 × ${fmt(floor[1], 2)} = ${fmt(floor[0]! + 2 * floor[1]!, 2)} ms`,
        "commit p99 + 2 publish → ack p99",
        "",
      ]);
    rows.push(["routing.p99MsAt5000", fmt(routing.p99MsAt5000, 1), "", ""]);
  }
  const scaling = report.scaling;
  if (scaling) {
    for (const p of scaling.phases)
      rows.push([
        `scaling, ${p.routerCount} router(s), ${fmt(p.offered)}/s offered`,
        `${fmt(p.achieved)} calls/s (${p.completed}/${p.sent}); start ${latencyCells(p.latencyMs)}`,
        `CPU: routers ${p.cpu.coresUsed.routers}, PG ${p.cpu.coresUsed.postgres}, machine ${p.cpu.machineBusyPercent}% of ${p.cpu.cores}`,
        ratio(p.achieved, scaling.bestAchieved["1"]),
      ]);
    // The CPU a decision costs, by part, at the busiest one-router load: what caps decisions/s on this machine.
    const busiest = scaling.phases.filter((p) => p.routerCount === 1).at(-1);
    if (busiest) {
      const d = busiest.cpuMsPerDecision;
      rows.push([
        `CPU ms per decision (1 router, ${fmt(busiest.offered)}/s)`,
        `${d.platform} ms: routers ${d.routers}, PG ${d.postgres}, NATS ${d.natsServer}, bench+relay ${d.bench}`,
        `${busiest.cpu.cores} cores: at most ${fmt(d.ceilingPerSec)}/s`,
        ratio(busiest.achieved, d.ceilingPerSec),
      ]);
    }
  }
  const mem = report.memory;
  if (mem) {
    rows.push([
      "router heap per live call",
      `${fmt(mem.bytesPerLiveCall)} B`,
      `${fmt(mem.liveCalls)} calls`,
      "",
    ]);
    rows.push([
      "router heap per agent (presence view)",
      `${fmt(mem.bytesPerAgentInRouter)} B`,
      `${fmt(mem.agents)} agents`,
      "",
    ]);
  }
  const ev = report.events;
  if (ev) {
    rows.push([
      "events persisted/s (appendMany of 200)",
      fmt(ev.persistedPerSec),
      "grouped rows/s",
      ratio(ev.persistedPerSec, pgRaw?.groupedRowsPerSec),
    ]);
    for (const r of ev.relay) {
      rows.push([
        `relay at ${fmt(r.offeredEventsPerSec)} events/s`,
        `${fmt(r.relayedPerSec)}/s; lag ${latencyCells(r.lagMs)}`,
        "JetStream publishes/s (event size)",
        ratio(r.relayedPerSec, js?.eventPublishesPerSec),
      ]);
    }
  }
  const dom = report.domain;
  if (dom) {
    for (const g of dom.groups) {
      const base = dom.groups.find(
        (x) => x.strategy === g.strategy && x.agents === Math.min(...dom.groups.map((y) => y.agents)),
      );
      rows.push([
        `decision, ${g.strategy}, ${fmt(g.agents)} agents (${g.path})`,
        `p50 ${fmt(g.decisionUs.p50, 1)} µs, p99 ${fmt(g.decisionUs.p99, 1)} µs` +
          (g.firstDecisionUs !== undefined ? `; first ${fmt(g.firstDecisionUs / 1000, 1)} ms` : ""),
        `${fmt(base?.agents)} agents`,
        base?.decisionUs.p50 ? `${fmt((g.decisionUs.p50 ?? 0) / base.decisionUs.p50, 1)}×` : "",
      ]);
    }
    if (dom.memoryBytesPerAgent !== null)
      rows.push(["domain heap per agent (config + presence)", `${fmt(dom.memoryBytesPerAgent)} B`, "", ""]);
    const q = dom.queue;
    rows.push([
      `queue of ${fmt(q.waiting)}: enqueue / dequeue`,
      `p99 ${fmt(q.enqueueUs.p99, 1)} µs / p99 ${fmt(q.dequeueUs.p99, 1)} µs`,
      "pure domain",
      "",
    ]);
  }
  const qa = report.queue;
  if (qa) {
    // Callers × time: one position timer per waiting caller per period, and an announcement when it moved.
    const callersPerPeriod = qa.enqueued / qa.announceEverySec;
    const total = (w: typeof qa.still) => w.routerInputsPerSec + w.announcementsPerSec;
    rows.push([
      `queue of ${fmt(qa.enqueued)}: announcement messages`,
      `still ${fmt(total(qa.still), 1)}/s; ${fmt(qa.changing.changesPerSec, 1)} leaving/s: ${fmt(total(qa.changing), 1)}/s ` +
        `(${fmt(qa.perCallerPerPeriod.changing, 2)} per caller per ${qa.announceEverySec} s)`,
      `callers / ${qa.announceEverySec} s = ${fmt(callersPerPeriod, 1)}/s; every caller of every change: ${fmt(qa.tellEveryonePerSec)}/s`,
      ratio(total(qa.changing), callersPerPeriod),
    ]);
  }
  const lite = report.pglite;
  if (liteRaw) {
    rows.push([
      "PGlite single-row commits/s",
      fmt(liteRaw.singleRowCommitsPerSec),
      "PostgreSQL",
      ratio(liteRaw.singleRowCommitsPerSec, pgRaw?.singleRowCommitsPerSec),
    ]);
    rows.push([
      "PGlite grouped insert rows/s",
      fmt(liteRaw.groupedRowsPerSec),
      "PostgreSQL",
      ratio(liteRaw.groupedRowsPerSec, pgRaw?.groupedRowsPerSec),
    ]);
  }
  if (lite) {
    for (const r of lite.routing) {
      rows.push([
        `PGlite routing, in-process router, ${fmt(r.offered)}/s offered`,
        `${fmt(r.achieved)}/s; ${latencyCells(r.latencyMs)}`,
        "PGlite single-row commits/s",
        ratio(r.achieved, liteRaw?.singleRowCommitsPerSec),
      ]);
    }
    if (lite.events) {
      rows.push([
        "PGlite events persisted/s",
        fmt(lite.events.persistedPerSec),
        "PGlite grouped rows/s",
        ratio(lite.events.persistedPerSec, liteRaw?.groupedRowsPerSec),
      ]);
      for (const r of lite.events.relay)
        rows.push([
          `PGlite relay at ${fmt(r.offeredEventsPerSec)} events/s`,
          `${fmt(r.relayedPerSec)}/s; lag ${latencyCells(r.lagMs)}`,
          "JetStream publishes/s",
          ratio(r.relayedPerSec, js?.eventPublishesPerSec),
        ]);
    }
  }
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), 6));
  log("\n== report (figure | measured | depends on | ratio)");
  for (const r of rows) log(r.map((c, i) => c.padEnd(widths[i]!)).join(" | "));
}

await main();
