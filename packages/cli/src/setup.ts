// `switchyard setup`: what needs the admin role, done once per deployment (and after an upgrade) before
// the services start with their least-privilege credentials: the JetStream streams and key-value buckets.
// `switchyard nats-config`: the nats-server configuration with one user per service.
import { connectBus, deadLetterStreamSpec, eventsStreamSpec, natsServerConfig } from "@switchyard/bus";
import { loadRuntimeConfig } from "@switchyard/config";
import { presenceBucket, workStreams } from "@switchyard/contracts";
import { DEFAULT_COMMAND_TTL_MS, gatewayStateBucket } from "@switchyard/media-gateway";
import type { CliContext } from "./context.js";

/** Gateway ids the deployment runs (`--gateway-id a,b`; default: the configured one). */
function gatewayIds(ctx: CliContext, fallback: string): string[] {
  const v = ctx.flags["gateway-id"] ?? ctx.env.SWITCHYARD_GATEWAY_ID;
  const ids = typeof v === "string" && v.trim() !== "" ? v.split(",").map((s) => s.trim()) : [fallback];
  return [...new Set(ids.filter((s) => s !== ""))];
}

export async function runSetup(ctx: CliContext): Promise<number> {
  const flags = { ...ctx.flags, "gateway-id": undefined };
  const config = loadRuntimeConfig({ flags, env: { ...ctx.env, SWITCHYARD_GATEWAY_ID: undefined } });
  if (config.natsUrl === undefined) {
    ctx.err("switchyard setup: needs --nats-url / NATS_URL (with the admin user's credentials)");
    return 2;
  }
  const ids = gatewayIds(ctx, config.services.gatewayId);
  const bus = await connectBus({ url: config.natsUrl, prefix: config.prefix, name: "switchyard-setup" });
  try {
    const streams = [eventsStreamSpec(), deadLetterStreamSpec(), ...workStreams()];
    await bus.ensureStreams(streams);
    for (const s of streams) ctx.out(`stream ${bus.names.stream(s.name)}: ready`);
    const buckets = [
      { bucket: presenceBucket(config.prefix), ttlMs: undefined },
      ...ids.map((id) => ({ bucket: gatewayStateBucket(config.prefix, id), ttlMs: DEFAULT_COMMAND_TTL_MS })),
    ];
    for (const b of buckets) {
      await bus.keyValue(b.bucket, b.ttlMs === undefined ? {} : { ttlMs: b.ttlMs });
      ctx.out(`key-value bucket ${b.bucket}: ready`);
    }
    return 0;
  } finally {
    await bus.close();
  }
}

export function runNatsConfig(ctx: CliContext): number {
  const config = loadRuntimeConfig({
    flags: { ...ctx.flags, "gateway-id": undefined },
    env: { ...ctx.env, SWITCHYARD_GATEWAY_ID: undefined },
  });
  const listen = typeof ctx.flags.listen === "string" ? ctx.flags.listen : undefined;
  const storeDir = typeof ctx.flags["store-dir"] === "string" ? ctx.flags["store-dir"] : undefined;
  ctx.out(
    natsServerConfig({
      prefix: config.prefix,
      gatewayIds: gatewayIds(ctx, config.services.gatewayId),
      ...(listen ? { listen } : {}),
      ...(storeDir ? { storeDir } : {}),
      syncAlways: ctx.flags["no-sync-always"] !== true,
    }).trimEnd(),
  );
  return 0;
}
