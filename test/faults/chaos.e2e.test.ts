// Many routers under faults, short: 3 router processes, agent-presence, relay and a media gateway (simulated
// phones) each its own `switchyard run` process on a private PostgreSQL and nats-server; seeded calls to the
// five strategies' groups (queues on) while a seeded schedule kills a router, a service and the gateway,
// stops a router past its ack wait, and restarts nats-server and PostgreSQL. The checker over the event log
// must find no violation. CHAOS_SEED=<seed> replays a run's traffic and fault schedule.
import { spawnSync } from "node:child_process";
import {
  type ChaosResult,
  DEFAULT_CHAOS,
  FAULT_KINDS,
  formatChaosResult,
  INVARIANTS,
  runChaos,
} from "@switchyard/chaos";
import { afterAll, expect, it } from "vitest";

const SEED = process.env.CHAOS_SEED ?? "faults-e2e-1";
let result: ChaosResult | undefined;

afterAll(() => {
  // Nothing the run started is left: no pid alive, no process naming its PostgreSQL data directory.
  if (!result) return;
  const ps = spawnSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" }).stdout;
  const alive = new Set(ps.split("\n").map((l) => Number(l.trim().split(/\s+/)[0])));
  expect(result.pids.length).toBeGreaterThan(6);
  expect(result.pids.filter((pid) => alive.has(pid))).toEqual([]);
  expect(ps.split("\n").filter((l) => result?.dataDir && l.includes(result.dataDir))).toEqual([]);
});

it("3 routers under kills, a SIGSTOP past the ack wait, nats-server and PostgreSQL restarts: no violation", async () => {
  console.log(`chaos seed ${SEED} (replay: CHAOS_SEED=${SEED})`);
  result = await runChaos({
    ...DEFAULT_CHAOS,
    seed: SEED,
    routers: 3,
    trafficMs: 50_000,
    callsPerMinute: 48,
    agentsPerGroup: 2,
    faults: 6,
    drainMs: 60_000,
    log: (line) => console.log(line),
  });
  console.log(formatChaosResult(result).join("\n"));
  expect(result.applied.filter((f) => f.error !== undefined)).toEqual([]);
  expect(result.applied.map((f) => f.kind).sort()).toEqual([...FAULT_KINDS].sort());
  expect(result.published).toBe(result.planned);
  expect(result.planned).toBeGreaterThan(20);
  expect(result.report.calls).toBe(result.published);
  expect(result.report.counts).toEqual(Object.fromEntries(INVARIANTS.map((i) => [i, 0])));
  expect(result.report.violations).toEqual([]);
  expect(result.leftRunning).toEqual([]);
}, 300_000);
