// Routing throughput with the whole platform in one process (relay, agent-presence, media gateway with the
// simulated driver, N routers) over the real PostgreSQL and NATS:
//   node --import tsx test/bench/routing-bench.ts [calls] [routers]
// Each call: Connect to a group of 3 agents (simultaneous ring, queue on), answered after 0.2 s, 1 s of talk
// (platform time, speed BENCH_SPEED, default 10), the agent hangs up. Calls are placed as fast as the gateway takes them. Reports router decisions (appends) per second of wall time.
import { start as startRouter } from "@switchyard/router";
import {
  defineAgents,
  defineConfig,
  endedCall,
  flowOnNumber,
  GATEWAY,
  placeCall,
  signIn,
  startE2E,
} from "../e2e/harness.js";

const calls = Number(process.argv[2] ?? 300);
const routers = Number(process.argv[3] ?? 1);
const AGENTS = 60;

const p = await startE2E({ speed: Number(process.env.BENCH_SPEED ?? 10) });
const extra = await Promise.all(
  Array.from({ length: routers - 1 }, () =>
    startRouter({ eventStore: p.eventStore, bus: p.bus, clock: p.clock, gatewayId: GATEWAY }),
  ),
);
try {
  const ids = Array.from({ length: AGENTS }, (_, i) => `bench_${i}`);
  const { commands, agents } = defineAgents(ids);
  const groups = Array.from({ length: AGENTS / 3 }, (_, g) => ids.slice(g * 3, g * 3 + 3));
  const flows = groups.map((_, g) =>
    flowOnNumber(`bench_${g}`, "c", {
      c: { kind: "connect", target: { kind: "group", groupId: `bench_${g}` }, branches: { fallback: "bye" } },
      bye: { kind: "hangup" },
    }),
  );
  await defineConfig(p, [
    ...commands,
    ...groups.map((members, g) => ({
      type: "DefineGroup" as const,
      groupId: `bench_${g}`,
      name: `bench_${g}`,
      strategy: "simultaneous" as const,
      members,
      ringTimeoutSec: 30,
      queue: { enabled: true, maxSize: calls, maxWaitSec: 3_600 },
    })),
    ...flows.flatMap((f) => f.commands),
  ]);
  await signIn(p, ids);
  for (const id of ids) p.driver.setPhone(agents[id]!.number, { kind: "answer", afterSec: 0.2, talkSec: 1 });
  const all = [p.router!, ...extra];
  const before = all.reduce((n, r) => n + r.stats().decisions, 0);
  const conflictsBefore = all.reduce((n, r) => n + r.stats().conflicts, 0);
  const t0 = performance.now();
  const placed: string[] = [];
  for (let i = 0; i < calls; i++)
    placed.push(await placeCall(p, { from: "+14155550999", to: flows[i % flows.length]!.number }));
  // One poller at a time: hundreds of parallel pollers would load the database more than the routers do.
  for (const [i, c] of placed.entries()) {
    await endedCall(p, c, Number(process.env.BENCH_TRIES ?? 12_000)).catch(async (err) => {
      const events = await p.eventStore.store.readStream(`call-${c}`);
      console.error(`call ${i} did not end:`, events.map((e) => e.type).join(" "));
      const legs = events
        .filter((e) => e.type === "LegOriginateRequested")
        .map((e) => (e.data as { legId: string }).legId);
      for (const l of legs.slice(0, 3)) console.error(l, JSON.stringify(p.gateway.mediaLog(l)));
      throw err;
    });
  }
  const seconds = (performance.now() - t0) / 1000;
  const decisions = all.reduce((n, r) => n + r.stats().decisions, 0) - before;
  const conflicts = all.reduce((n, r) => n + r.stats().conflicts, 0) - conflictsBefore;
  console.log(
    JSON.stringify({
      calls,
      routers,
      seconds: Number(seconds.toFixed(2)),
      decisions,
      decisionsPerSec: Math.round(decisions / seconds),
      callsPerSec: Number((calls / seconds).toFixed(1)),
      conflicts,
      decisionMs: all.map((r) => r.stats().decisionMs),
    }),
  );
} finally {
  for (const r of extra) await r[Symbol.asyncDispose]();
  await p.close();
}
