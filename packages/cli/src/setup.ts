// `switchyard setup`: what needs the admin role, done once per deployment (and after an upgrade) before
// the services start with their least-privilege credentials: the JetStream streams and key-value buckets.
// `switchyard nats-config`: the nats-server configuration with one user per service.
import { readFileSync, writeFileSync } from "node:fs";
import {
  type Bus,
  connectBus,
  deadLetterStreamSpec,
  eventsStreamSpec,
  natsAccountsConfig,
  natsServerConfig,
} from "@switchyard/bus";
import { loadRuntimeConfig } from "@switchyard/config";
import { presenceBucket, workStreams } from "@switchyard/contracts";
import { DEFAULT_COMMAND_TTL_MS, gatewayStateBucket } from "@switchyard/media-gateway";
import type { CliContext } from "./context.js";

/**
 * The runtime configuration, and the gateway ids the deployment runs (`--gateway-id a,b`: a list here,
 * where the configuration takes one id; default: the configured one).
 */
function loadWithGateways(ctx: CliContext) {
  const config = loadRuntimeConfig({
    flags: { ...ctx.flags, "gateway-id": undefined },
    env: { ...ctx.env, SWITCHYARD_GATEWAY_ID: undefined },
  });
  const v = ctx.flags["gateway-id"] ?? ctx.env.SWITCHYARD_GATEWAY_ID;
  const ids =
    typeof v === "string" && v.trim() !== ""
      ? v.split(",").map((s) => s.trim())
      : [config.services.gatewayId];
  return { config, gatewayIds: [...new Set(ids.filter((s) => s !== ""))] };
}

export async function runSetup(ctx: CliContext): Promise<number> {
  const { config, gatewayIds: ids } = loadWithGateways(ctx);
  if (config.natsUrl === undefined) {
    ctx.err("switchyard setup: needs --nats-url / NATS_URL (with the admin user's credentials)");
    return 2;
  }
  // The replicas the services declare (SWITCHYARD_STREAM_REPLICAS, as in `run`): they only check streams,
  // so streams made here with another count would make them try an update they may not do.
  const replicas = Number(ctx.env.SWITCHYARD_STREAM_REPLICAS ?? "1");
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
    ctx.err(
      `switchyard setup: SWITCHYARD_STREAM_REPLICAS must be 1 to 5, not ${ctx.env.SWITCHYARD_STREAM_REPLICAS}`,
    );
    return 2;
  }
  const bus = await connectBus({
    url: config.natsUrl,
    prefix: config.prefix,
    name: "switchyard-setup",
    replicas,
  });
  try {
    await setUpBus(bus, ids, ctx.out);
    return 0;
  } finally {
    await bus.close();
  }
}

/**
 * What `switchyard setup` does on a bus connected with the admin role: the streams and the key-value
 * buckets of the deployment (its prefix is the bus's) and of its gateways. Idempotent.
 */
export async function setUpBus(
  bus: Bus,
  gatewayIds: readonly string[],
  report: (line: string) => void = () => {},
): Promise<void> {
  const prefix = bus.names.prefix;
  const streams = [eventsStreamSpec(), deadLetterStreamSpec(), ...workStreams()];
  await bus.ensureStreams(streams);
  for (const s of streams) report(`stream ${bus.names.stream(s.name)}: ready`);
  const buckets = [
    { bucket: presenceBucket(prefix), ttlMs: undefined },
    ...gatewayIds.map((id) => ({ bucket: gatewayStateBucket(prefix, id), ttlMs: DEFAULT_COMMAND_TTL_MS })),
  ];
  for (const b of buckets) {
    await bus.keyValue(b.bucket, b.ttlMs === undefined ? {} : { ttlMs: b.ttlMs });
    report(`key-value bucket ${b.bucket}: ready`);
  }
}

/**
 * Prints (or writes, `--out FILE`) the nats-server configuration; `--accounts-only` just the accounts block,
 * `--base FILE` that block after a configuration of the deployment's own (the Helm chart's init container).
 */
export function runNatsConfig(ctx: CliContext): number {
  const { config, gatewayIds } = loadWithGateways(ctx);
  const str = (k: string) => (typeof ctx.flags[k] === "string" ? (ctx.flags[k] as string) : undefined);
  const scope = { prefix: config.prefix, gatewayIds };
  const base = str("base");
  const listen = str("listen");
  const storeDir = str("store-dir");
  const text =
    base !== undefined
      ? `${readFileSync(base, "utf8").trimEnd()}\n\n${natsAccountsConfig(scope)}`
      : ctx.flags["accounts-only"] === true
        ? natsAccountsConfig(scope)
        : natsServerConfig({
            ...scope,
            ...(listen ? { listen } : {}),
            ...(storeDir ? { storeDir } : {}),
            syncAlways: ctx.flags["no-sync-always"] !== true,
          });
  const out = str("out");
  if (out !== undefined) {
    writeFileSync(out, text);
    ctx.out(`nats-server configuration written to ${out}`);
  } else ctx.out(text.trimEnd());
  return 0;
}
