// Many routers under faults: 3 router processes, agent-presence, relay and a media gateway (simulated phones)
// each its own `switchyard run` process on a private PostgreSQL and nats-server; over 1,000 seeded calls of
// a few seconds to the five strategies' groups of 20 agents (queues on) while a seeded schedule SIGKILLs and
// restarts a router every few seconds, and once each stops a router past its ack wait, kills a service and
// the gateway, and restarts nats-server and PostgreSQL. The checker over the PostgreSQL log and the
// JetStream EVENTS stream (every decision re-decided, every event relayed exactly once) must find no
// violation. CHAOS_SEED=<seed> replays a run's traffic and fault schedule.
import { spawnSync } from "node:child_process";
import {
  type ChaosResult,
  DEFAULT_CHAOS,
  FAULT_KINDS,
  faultSchedule,
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

const OPTIONS = {
  ...DEFAULT_CHAOS,
  seed: SEED,
  routers: 3,
  // 110 s at 640 calls a minute: about 1,170 calls, as many at once as 150 s at 440 did (shorter holds), and
  // 14 router kills (every 6 s) besides the six faults of every kind, in 40 s less of the suite's time.
  trafficMs: 110_000,
  callsPerMinute: 640,
  agentsPerGroup: 20,
  holdSec: [2, 8] as const,
  faults: 6,
  routerKillEveryMs: 6_000,
  drainMs: 90_000,
};

it("3 routers, over 1,000 calls, a router killed every few seconds, a SIGSTOP past the ack wait, nats-server and PostgreSQL restarts: no violation", async () => {
  console.log(`chaos seed ${SEED} (replay: CHAOS_SEED=${SEED})`);
  // The same seed gives the same fault schedule (and traffic): computed twice, and as the run reports it.
  const schedule = faultSchedule(OPTIONS);
  expect(faultSchedule({ ...OPTIONS })).toEqual(schedule);
  result = await runChaos({ ...OPTIONS, log: (line) => console.log(line) });
  console.log(formatChaosResult(result).join("\n"));
  const c = result.report.counts;
  console.log(
    `seed ${SEED}: ${result.report.calls} calls; ${c["double-booking"]} double bookings, ${c["stuck-call"]} stuck calls, ` +
      `${c["stuck-agent"]} stuck agents, ${c["lost-event"]} lost and ${c["duplicated-event"]} duplicated events ` +
      `(${c["phantom-event"]} phantom), ${c["replay-mismatch"]} replay mismatches ` +
      `(${result.report.decisions.replayed} decisions re-decided)`,
  );
  expect(result.schedule).toEqual(schedule);
  expect(result.applied.filter((f) => f.error !== undefined)).toEqual([]);
  expect(result.applied.map((f) => f.kind).sort()).toEqual(expect.arrayContaining([...FAULT_KINDS].sort()));
  expect(result.applied.filter((f) => f.kind === "kill-router").length).toBeGreaterThanOrEqual(10);
  expect(result.published).toBe(result.planned);
  expect(result.planned).toBeGreaterThanOrEqual(1_000);
  expect(result.report.calls).toBe(result.published);
  expect(result.report.busMessages).toBe(result.report.events);
  expect(result.report.decisions.replayed).toBeGreaterThan(result.report.calls * 2);
  expect(result.report.counts).toEqual(Object.fromEntries(INVARIANTS.map((i) => [i, 0])));
  expect(result.report.violations).toEqual([]);
  expect(result.leftRunning).toEqual([]);
}, 600_000);
