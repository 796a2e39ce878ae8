import { ChaosOptionsError, DEFAULT_CHAOS, formatChaosResult, runChaos } from "@switchyard/chaos";
import type { CliContext } from "./context.js";

/** `switchyard chaos`: one fault-injection run, its measurements and the checker's report. */
export async function runChaosCommand(ctx: CliContext): Promise<number> {
  const seed = ctx.flags.seed;
  if (typeof seed !== "string" || seed === "") throw new ChaosOptionsError("switchyard chaos needs --seed S");
  const minutes = numberFlag(ctx, "minutes", 1);
  const trafficMs = minutes * 60_000;
  const result = await runChaos({
    ...DEFAULT_CHAOS,
    seed,
    routers: numberFlag(ctx, "routers", DEFAULT_CHAOS.routers),
    trafficMs,
    callsPerMinute: numberFlag(ctx, "calls-per-minute", DEFAULT_CHAOS.callsPerMinute),
    agentsPerGroup: numberFlag(ctx, "agents-per-group", DEFAULT_CHAOS.agentsPerGroup),
    // By default one of each kind, then a router or service kill about every 10 s.
    faults: numberFlag(ctx, "faults", Math.max(6, Math.round(trafficMs / 10_000)), 0),
    holdSec: holdFlag(ctx),
    ...(ctx.flags["router-kill-every"] === undefined
      ? {}
      : { routerKillEveryMs: numberFlag(ctx, "router-kill-every", 8) * 1000 }),
    log: (line) => ctx.out(`${new Date().toISOString().slice(11, 19)} ${line}`),
  });
  for (const line of formatChaosResult(result)) ctx.out(line);
  return result.report.violations.length === 0 && result.leftRunning.length === 0 ? 0 : 1;
}

function numberFlag(ctx: CliContext, flag: string, fallback: number, min = Number.MIN_VALUE): number {
  const v = ctx.flags[flag];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== "string" || !Number.isFinite(n) || n < min)
    throw new ChaosOptionsError(`--${flag} must be a number ${min === 0 ? "≥ 0" : "> 0"}, not ${String(v)}`);
  return n;
}

/** `--hold-sec MIN,MAX`: how long callers stay on the line, in seconds. */
function holdFlag(ctx: CliContext): readonly [number, number] {
  const v = ctx.flags["hold-sec"];
  if (v === undefined) return DEFAULT_CHAOS.holdSec;
  const [min, max] = typeof v === "string" ? v.split(",").map(Number) : [];
  if (min === undefined || max === undefined || !(min > 0) || !(max >= min))
    throw new ChaosOptionsError(`--hold-sec must be MIN,MAX seconds with 0 < MIN ≤ MAX, not ${String(v)}`);
  return [min, max];
}
