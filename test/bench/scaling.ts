// Horizontal scaling of routers (`pnpm bench --only scaling`): the same offered loads with 1, 2 and 3
// router processes, achieved calls/s and start latency per router count, and where the CPU went during
// each phase (the router processes, PostgreSQL, nats-server, this process: the load generator and the
// relay), read from /proc. On a machine whose cores are already busy with one router and its database, more
// router processes cannot add throughput; what they must not do is lose any (fewer calls, more latency).
import { readdir } from "node:fs/promises";
import { cpus } from "node:os";
import { fmt, type Latencies, round, TICKS, ticksOf } from "./measure.js";
import type { LoadResult, RoutingPlatform } from "./routing.js";

/** CPU seconds used per process group during a phase, and the machine's busy share of all its cores. */
export interface CpuUse {
  readonly seconds: number;
  /** 0..100: share of all cores busy (any process, this bench's or not). */
  readonly machineBusyPercent: number;
  readonly cores: number;
  /** CPU seconds per second of phase, so 1.0 is one core saturated. */
  readonly coresUsed: {
    readonly routers: number;
    readonly postgres: number;
    readonly natsServer: number;
    readonly bench: number;
    readonly other: number;
  };
}

export interface ScalingPhase extends LoadResult {
  readonly routerCount: number;
  readonly cpu: CpuUse;
  readonly conflicts: number;
  /** Inputs per batch the routers took in this phase (grouped commits: fewer inputs per batch, more commits per call). */
  readonly inputsPerBatch: number;
  /**
   * CPU milliseconds per decision of this phase, by part, and the decisions/s those costs allow on all the
   * machine's cores. Unlike calls/s, these hold on a shared machine: another process's load stretches the
   * wall clock, not (much) the CPU a decision takes.
   */
  readonly cpuMsPerDecision: {
    readonly routers: number;
    readonly postgres: number;
    readonly natsServer: number;
    readonly bench: number;
    readonly platform: number;
    readonly ceilingPerSec: number;
  };
}

export interface ScalingResult {
  readonly loads: readonly number[];
  readonly phases: readonly ScalingPhase[];
  /** Best achieved calls/s per router count. */
  readonly bestAchieved: Readonly<Record<string, number>>;
  readonly conclusion: string;
}

export type CpuSnapshot = Awaited<ReturnType<typeof snapshot>>;

/** Machine-wide busy and total jiffies over all cores. */
function machineTicks(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

/** Every process's CPU ticks, this process's CPU seconds and the machine's jiffies, now. */
export async function snapshot() {
  const procs = new Map<number, { comm: string; ticks: number }>();
  for (const name of await readdir("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const p = await ticksOf(pid);
    if (p) procs.set(pid, p);
  }
  const self = process.cpuUsage();
  return { procs, bench: (self.user + self.system) / 1e6, machine: machineTicks(), at: performance.now() };
}

/**
 * CPU seconds each part used between the snapshots, the parts named by `partOf` (a process it names no part is
 * not counted). Per process: a process started meanwhile counts all of its ticks; one that exited meanwhile is
 * not counted, so short-lived processes are under-counted, never negative.
 */
export function cpuSecondsByPart(
  a: CpuSnapshot,
  b: CpuSnapshot,
  partOf: (pid: number, comm: string) => string | undefined,
): Record<string, number> {
  const seconds: Record<string, number> = {};
  for (const [pid, p] of b.procs) {
    const part = partOf(pid, p.comm);
    if (part === undefined) continue;
    const before = a.procs.get(pid);
    const used = p.ticks - (before?.comm === p.comm ? before.ticks : 0);
    seconds[part] = (seconds[part] ?? 0) + used / TICKS;
  }
  return seconds;
}

/** The share (0–1) of all the machine's cores that was busy between the snapshots. */
export function machineBusyShare(a: CpuSnapshot, b: CpuSnapshot): number {
  return (b.machine.busy - a.machine.busy) / Math.max(1, b.machine.total - a.machine.total);
}

/** PostgreSQL's server processes. */
export const isPostgres = (comm: string): boolean => comm === "postgres" || comm === "postmaster";

function cpuBetween(a: CpuSnapshot, b: CpuSnapshot, routerPids: readonly number[]): CpuUse {
  const seconds = (b.at - a.at) / 1000;
  const routerSet = new Set(routerPids);
  const used = cpuSecondsByPart(a, b, (pid, comm) =>
    routerSet.has(pid)
      ? "routers"
      : isPostgres(comm)
        ? "postgres"
        : comm === "nats-server"
          ? "natsServer"
          : undefined,
  );
  const per = (part: string) => round((used[part] ?? 0) / seconds, 2);
  const busy = machineBusyShare(a, b);
  const cores = cpus().length;
  const routers = per("routers");
  const postgres = per("postgres");
  const natsServer = per("natsServer");
  const bench = round((b.bench - a.bench) / seconds, 2);
  const machineCores = busy * cores;
  return {
    seconds: round(seconds, 1),
    machineBusyPercent: round(busy * 100, 1),
    cores,
    coresUsed: {
      routers,
      postgres,
      natsServer,
      bench,
      other: round(Math.max(0, machineCores - routers - postgres - natsServer - bench), 2),
    },
  };
}

function perDecision(cpu: CpuUse, decisions: number): ScalingPhase["cpuMsPerDecision"] {
  const ms = (cores: number) => (decisions > 0 ? round((cores * cpu.seconds * 1000) / decisions, 3) : 0);
  const c = cpu.coresUsed;
  const platform = ms(c.routers + c.postgres + c.natsServer + c.bench);
  return {
    routers: ms(c.routers),
    postgres: ms(c.postgres),
    natsServer: ms(c.natsServer),
    bench: ms(c.bench),
    platform,
    ceilingPerSec: platform > 0 ? Math.round((cpu.cores * 1000) / platform) : 0,
  };
}

function latencyText(l: Latencies): string {
  return `p50 ${fmt(l.p50, 1)} ms, p99 ${fmt(l.p99, 1)} ms`;
}

export async function measureScaling(o: {
  readonly platform: RoutingPlatform;
  readonly routerPids: () => readonly number[];
  readonly counts: readonly number[];
  readonly loads: readonly number[];
  readonly seconds: number;
  readonly grace: number;
  readonly log: (line: string) => void;
}): Promise<ScalingResult> {
  const phases: ScalingPhase[] = [];
  for (const n of o.counts) {
    await o.platform.setRouters(n);
    let counted = { conflicts: 0, batches: 0, decisions: 0 };
    for (const load of o.loads) {
      const before = await snapshot();
      const r = await o.platform.runLoad(load, o.seconds, o.grace);
      const after = await snapshot();
      const cpu = cpuBetween(before, after, o.routerPids());
      const sum = (k: "conflicts" | "batches" | "decisions") =>
        (r.routerStats ?? []).reduce((s, x) => s + x[k], 0);
      const current = { conflicts: sum("conflicts"), batches: sum("batches"), decisions: sum("decisions") };
      const batches = current.batches - counted.batches;
      const decided = current.decisions - counted.decisions;
      const phase = {
        ...r,
        routerCount: n,
        cpu,
        conflicts: current.conflicts - counted.conflicts,
        inputsPerBatch: round(decided / Math.max(1, batches), 1),
        cpuMsPerDecision: perDecision(cpu, decided),
      };
      counted = current;
      phases.push(phase);
      const c = cpu.coresUsed;
      o.log(
        `  ${n} router(s), ${fmt(load)}/s offered: ${fmt(r.achieved)} calls/s achieved (${r.completed}/${r.sent}), ` +
          `start latency ${latencyText(r.latencyMs)}; ${phase.inputsPerBatch} inputs per batch, ${phase.conflicts} conflicts; CPU (cores) routers ${c.routers}, PostgreSQL server ${c.postgres}, ` +
          `nats-server ${c.natsServer}, bench+relay ${c.bench}, other ${c.other}; machine ${cpu.machineBusyPercent}% busy of ${cpu.cores} cores`,
      );
      const d = phase.cpuMsPerDecision;
      o.log(
        `    CPU ms per decision: routers ${d.routers}, PostgreSQL ${d.postgres}, nats-server ${d.natsServer}, bench+relay ${d.bench}; ` +
          `${d.platform} in all, so at most ${fmt(d.ceilingPerSec)} decisions/s on ${cpu.cores} cores at this cost ` +
          "(PostgreSQL and nats-server: every such process on the machine, so others' work counts on a shared machine)",
      );
    }
    await o.platform.setRouters(0);
  }
  const bestAchieved: Record<string, number> = {};
  for (const p of phases)
    bestAchieved[p.routerCount] = Math.max(bestAchieved[p.routerCount] ?? 0, p.achieved);
  const one = bestAchieved["1"] ?? 0;
  const top = Math.max(...Object.values(bestAchieved));
  const saturated = phases.filter((p) => p.routerCount === 1).at(-1);
  const conclusion =
    top > one * 1.15
      ? `more routers add throughput: best ${fmt(top)} calls/s against ${fmt(one)} with one`
      : `more routers do not add throughput here (best ${fmt(top)} calls/s, ${fmt(one)} with one): at the highest load ` +
        `one router already kept the machine ${saturated?.cpu.machineBusyPercent ?? "?"}% busy of ${saturated?.cpu.cores ?? "?"} cores ` +
        `(routers ${saturated?.cpu.coresUsed.routers}, PostgreSQL ${saturated?.cpu.coresUsed.postgres}, nats-server ` +
        `${saturated?.cpu.coresUsed.natsServer}, bench+relay ${saturated?.cpu.coresUsed.bench}, other ${saturated?.cpu.coresUsed.other} cores), ` +
        "so another router process only competes for the same cores";
  // Against one router at the same load: fewer calls completed, or 10 % fewer calls/s, is a loss.
  const losses = phases
    .filter((p) => p.routerCount !== 1)
    .flatMap((p) => {
      const base = phases.find((x) => x.routerCount === 1 && x.offered === p.offered);
      if (!base || (p.completed >= base.completed && p.achieved >= base.achieved * 0.9)) return [];
      return [
        `${p.routerCount} routers at ${fmt(p.offered)}/s: ${fmt(p.achieved)} calls/s (${p.completed}/${p.sent}) against ` +
          `${fmt(base.achieved)} (${base.completed}/${base.sent}) with one, ${p.inputsPerBatch} inputs per batch against ${base.inputsPerBatch}`,
      ];
    });
  const verdict =
    losses.length === 0
      ? `${conclusion}; and they lose nothing: at every load each router count completed as many calls, within 10 % of one router's calls/s`
      : `${conclusion}; they lose throughput at these loads: ${losses.join("; ")}`;
  o.log(`  ${verdict}`);
  return { loads: o.loads, phases, bestAchieved, conclusion: verdict };
}
