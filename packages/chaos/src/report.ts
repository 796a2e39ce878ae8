import { formatReport } from "./checker.js";
import type { ChaosResult } from "./run.js";

/** A run's measurements and the checker's report, as printed by `switchyard chaos` and the test. */
export function formatChaosResult(r: ChaosResult): string[] {
  const o = r.options;
  const ms = (x: number | undefined) => (x === undefined ? "n/a" : `${(x / 1000).toFixed(1)} s`);
  return [
    `chaos run: seed ${o.seed}, ${o.routers} routers, ${o.trafficMs / 1000} s of traffic at ${o.callsPerMinute}/min, ` +
      `${o.agentsPerGroup * 5} agents (5 groups, one per strategy, queues on), ack wait ${o.ackWaitMs} ms`,
    `calls: ${r.planned} planned, ${r.published} published, ${r.report.callsEnded} ended, ${r.answered} bridged to an agent; ` +
      `${r.callsPerMinute.toFixed(1)} ended calls per traffic minute`,
    `start latency (StartCall published → CallStarted committed): p50 ${r.startLatencyMs.p50} ms, p95 ${r.startLatencyMs.p95} ms, max ${r.startLatencyMs.max} ms`,
    `last call ended ${ms(r.drainedAfterMs)} after the last hang-up was published`,
    `faults applied: ${r.applied.length} of ${r.schedule.length}`,
    ...r.applied.map((f, i) => {
      const rec = r.recovery[i];
      return (
        `  ${ms(f.appliedAtMs).padStart(7)} ${f.kind} ${f.target}: down ${f.downMs} ms` +
        (f.readyMs !== undefined ? `, restarted process up in ${ms(f.readyMs)}` : "") +
        (rec ? `, worst start latency of ${rec.calls} calls in its window ${ms(rec.worstStartMs)}` : "") +
        (f.error ? `, FAILED: ${f.error}` : "")
      );
    }),
    `processes that died by themselves (restarted by the harness): ${r.unexpectedExits.length}`,
    ...r.unexpectedExits.flatMap((x) => [
      `  ${ms(x.atMs)} ${x.service} exit ${x.code ?? x.signal}:`,
      ...x.lastLines.map((l) => `      ${l.slice(0, 300)}`),
    ]),
    `dead letters (inputs a consumer gave up on): ${r.deadLetters.length}`,
    ...summarizeDeadLetters(r.deadLetters),
    `left running after the run: ${r.leftRunning.length === 0 ? "nothing" : r.leftRunning.join(", ")}`,
    ...formatReport(r.report),
    ...(r.evidence.length > 0 ? ["streams of the first violations:", ...r.evidence] : []),
  ];
}

/** Dead letters counted by consumer and reason, with one example error each. */
function summarizeDeadLetters(letters: ChaosResult["deadLetters"]): string[] {
  const groups = new Map<string, { n: number; example: string }>();
  for (const l of letters) {
    const key = `${l.stream}/${l.durable}: ${l.reason}`;
    const g = groups.get(key) ?? { n: 0, example: `${l.subject}: ${l.error}` };
    g.n++;
    groups.set(key, g);
  }
  return [...groups].map(([key, g]) => `  ${g.n} × ${key}, e.g. ${g.example.slice(0, 300)}`);
}
