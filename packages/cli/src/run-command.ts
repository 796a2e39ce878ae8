import { loadRuntimeConfig } from "@switchyard/config";
import type { CliContext } from "./context.js";
import { UsageError } from "./usage-error.js";

/** `switchyard run`: the services of `--target` until SIGTERM, then a drain within the shutdown timeout. */
export async function runServices(ctx: CliContext): Promise<number> {
  const config = loadRuntimeConfig({ flags: ctx.flags, env: ctx.env });
  // Agents, groups, numbers and flows declared in the file are validated before anything starts.
  const declared =
    config.configFile === undefined
      ? undefined
      : await declaredContactCentre(config.configFile, config.document);
  for (const w of declared?.centre.warnings ?? []) ctx.err(`${w.file}:${w.path}: ${w.reason}`);
  // Checked before anything starts: a bad value is a start-up error, not a shutdown one.
  const timeoutMs = shutdownTimeoutMs(ctx);
  const drainMs = drainTimeoutMs(ctx, timeoutMs);
  const format = logFormat(ctx);
  const level = logLevel(ctx);
  // Only now the platform's modules: a configuration error is reported without loading them.
  const [
    { setBusObserver },
    { busMetrics, createLogger, startTelemetry },
    { startPlatform },
    { startHealthServer },
  ] = await Promise.all([
    import("@switchyard/bus"),
    import("@switchyard/telemetry"),
    import("./platform.js"),
    import("./health.js"),
  ]);
  // Telemetry first (so the services' instruments and spans are real), disposed last (flushes).
  await using telemetry = startTelemetry({
    serviceName: ctx.env.OTEL_SERVICE_NAME ?? serviceName(config.targets),
    env: ctx.env,
  });
  setBusObserver(busMetrics());
  const logger = format === "json" ? createLogger({ level }) : undefined;
  await using platform = await startPlatform(config, {
    log: ctx.out,
    flags: ctx.flags,
    env: ctx.env,
    ...(logger ? { logger } : {}),
  });
  for (const line of platform.describe()) ctx.out(line);
  ctx.out(telemetry.describe());
  if (declared) {
    const written = await declared.append(platform.eventStore.store, declared.centre, {
      actor: "switchyard run",
    });
    ctx.out(`configuration from ${config.configFile}: ${written} config events appended`);
  }
  const listen = stringOption(ctx, "health-listen", "SWITCHYARD_HEALTH_LISTEN");
  const health = listen ? await startHealthServer({ listen, ...platform }) : undefined;
  try {
    if (health) ctx.out(`health: http://${health.address}/livez and /readyz`);
    ctx.out("switchyard: up; Ctrl-C to stop");
    await abortion(ctx.signal);
    // SIGTERM: not ready at once (no new work routed here), then the services stop pulling, finish
    // or hand back what they hold, and close, within the shutdown timeout (below the pod's grace).
    // A media gateway first refuses new calls and lets the calls up finish (drain timeout), the other
    // services still running for them; then it hangs up what is left.
    health?.drain();
    ctx.out(`switchyard: stopping (at most ${timeoutMs / 1000} s)`);
    const stopped = await Promise.race([
      platform
        .drain(drainMs)
        .then((report) => {
          if (report)
            ctx.out(
              `media-gateway drained: ${report.callsAtStart} calls up, ${report.finished} finished, ` +
                `${report.endedAtDeadline} hung up at the ${drainMs / 1000} s drain deadline`,
            );
        })
        .then(() => platform[Symbol.asyncDispose]())
        .then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), timeoutMs).unref()),
    ]);
    if (!stopped) {
      ctx.err(`switchyard: services did not stop within ${timeoutMs / 1000} s; exiting anyway`);
      return 1;
    }
    return 0;
  } finally {
    await health?.[Symbol.asyncDispose]();
  }
}

/** The contact centre a configuration file declares (agents, groups, numbers, flows), loaded and validated. */
async function declaredContactCentre(file: string, document: Readonly<Record<string, unknown>>) {
  const { CONTACT_CENTRE_SECTIONS, loadContactCentre, appendContactCentre } = await import(
    "@switchyard/contact-centre"
  );
  if (!CONTACT_CENTRE_SECTIONS.some((s) => document[s] !== undefined)) return undefined;
  return { centre: loadContactCentre(file), append: appendContactCentre };
}

/** `service.name` for the targets of this process: `switchyard-router`, or `switchyard` for several. */
export function serviceName(targets: readonly string[]): string {
  return targets.length === 1 ? `switchyard-${targets[0]}` : "switchyard";
}

function stringOption(ctx: CliContext, flag: string, env: string): string | undefined {
  const v = ctx.flags[flag] ?? ctx.env[env];
  return typeof v === "string" && v.trim() !== "" ? v : undefined;
}

/** `--shutdown-timeout SEC` (SWITCHYARD_SHUTDOWN_TIMEOUT), default 25: below Kubernetes' default 30 s grace. */
function shutdownTimeoutMs(ctx: CliContext): number {
  const v = stringOption(ctx, "shutdown-timeout", "SWITCHYARD_SHUTDOWN_TIMEOUT") ?? "25";
  const sec = Number(v);
  if (!Number.isFinite(sec) || sec <= 0)
    throw new UsageError(`--shutdown-timeout must be seconds > 0, not ${v}`);
  return sec * 1000;
}

/**
 * `--drain-timeout SEC` (SWITCHYARD_DRAIN_TIMEOUT): how long a media gateway lets its calls finish after
 * SIGTERM before it hangs them up. Default 5 s less than the shutdown timeout (20 s of the default 25, which
 * the chart keeps below its 30 s grace period), leaving time to end the rest and stop.
 */
function drainTimeoutMs(ctx: CliContext, shutdownMs: number): number {
  const v = stringOption(ctx, "drain-timeout", "SWITCHYARD_DRAIN_TIMEOUT");
  if (v === undefined) return shutdownMs > 10_000 ? shutdownMs - 5_000 : shutdownMs / 2;
  const sec = Number(v);
  if (!Number.isFinite(sec) || sec <= 0 || sec * 1000 >= shutdownMs)
    throw new UsageError(
      `--drain-timeout must be seconds > 0 and below the shutdown timeout (${shutdownMs / 1000} s), not ${v}`,
    );
  return sec * 1000;
}

/** `--log-format json|text` (SWITCHYARD_LOG_FORMAT); text by default, json in the container image. */
function logFormat(ctx: CliContext): "json" | "text" {
  const v = ctx.flags["log-format"] ?? ctx.env.SWITCHYARD_LOG_FORMAT ?? "text";
  if (v !== "json" && v !== "text")
    throw new UsageError(`--log-format must be json or text, not ${String(v)}`);
  return v;
}

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** `--log-level` (SWITCHYARD_LOG_LEVEL), default info; call state changes are at debug. */
function logLevel(ctx: CliContext): (typeof LEVELS)[number] {
  const v = ctx.flags["log-level"] ?? ctx.env.SWITCHYARD_LOG_LEVEL ?? "info";
  const level = LEVELS.find((l) => l === v);
  if (!level) throw new UsageError(`--log-level must be one of ${LEVELS.join(", ")}, not ${String(v)}`);
  return level;
}

function abortion(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
