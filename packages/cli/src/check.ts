// `switchyard check`: the invariant checker against a deployment, read-only (the event log through a
// read-only session; JetStream EVENTS through a temporary consumer it removes). Exit 1 on any violation.
import { checkDeployment, formatReport } from "@switchyard/chaos";
import { loadRuntimeConfig } from "@switchyard/config";
import type { CliContext } from "./context.js";
import { UsageError } from "./usage-error.js";

export async function runCheck(ctx: CliContext): Promise<number> {
  const config = loadRuntimeConfig({ flags: ctx.flags, env: ctx.env });
  if (config.databaseUrl === undefined)
    throw new UsageError(
      "switchyard check needs --database-url / DATABASE_URL (the deployment's PostgreSQL)",
    );
  const settle = ctx.flags.settle ?? "10";
  const settleSec = Number(settle);
  if (typeof settle !== "string" || !Number.isFinite(settleSec) || settleSec < 0)
    throw new UsageError(`--settle must be seconds ≥ 0, not ${String(settle)}`);
  const { report } = await checkDeployment({
    databaseUrl: config.databaseUrl,
    schema: config.databaseSchema,
    ...(config.natsUrl === undefined ? {} : { natsUrl: config.natsUrl }),
    prefix: config.prefix,
    settleMs: settleSec * 1000,
    log: (line) => ctx.out(line),
  });
  for (const line of formatReport(report, 1_000)) ctx.out(line);
  return report.violations.length === 0 ? 0 : 1;
}
