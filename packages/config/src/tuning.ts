import { z } from "zod";
import type { ConfigProblem } from "./errors.js";

/** A platform clock shared by several processes (simulations, multi-process tests): see @switchyard/clock. */
export interface ClockSettings {
  /** Platform ms per real ms. */
  readonly speed: number;
  /** Platform time (epoch ms) at `realStart`. */
  readonly startAt?: number;
  /** Real time (epoch ms) at which platform time was `startAt`. */
  readonly realStart?: number;
}

/** The services' tuning knobs that deployments (and tests) set per process. Absent: each service's default. */
export interface ServiceSettings {
  /** The gateway id the media gateway serves and routers send leg commands to by default. */
  readonly gatewayId: string;
  readonly clock: ClockSettings | undefined;
  readonly router: { readonly ackWaitMs?: number };
  readonly relay: {
    readonly batchSize?: number;
    readonly pollIntervalMs?: number;
    readonly xminWarnAfterMs?: number;
  };
}

export const DEFAULT_GATEWAY_ID = "default";
const GATEWAY_ID = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, {
  error: (i) => `invalid gateway id ${JSON.stringify(i.input)} (letters, digits, _ and -)`,
});
/** A positive number (or integer) written as text. */
const positive = (integer: boolean) =>
  z
    .string()
    .refine(
      (v) => {
        const n = Number(v);
        return Number.isFinite(n) && n > 0 && (!integer || Number.isInteger(n));
      },
      {
        error: (i) => `must be a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(i.input)}`,
      },
    )
    .transform(Number);

type Source = (flag: string, env: string) => { value: string; from: string } | undefined;

/** Reads the knobs from flags, then environment; every bad value is one problem. */
export function loadServiceSettings(source: Source, problems: ConfigProblem[]): ServiceSettings {
  /** The knob's value from flags or environment, read with `schema`; a bad one is a problem at `--flag`. */
  const knob = <T>(flag: string, env: string, schema: z.ZodType<T, string>): T | undefined => {
    const raw = source(flag, env);
    if (raw === undefined) return undefined;
    const result = schema.safeParse(raw.value);
    if (result.success) return result.data;
    problems.push({ source: raw.from, path: `--${flag}`, reason: result.error.issues[0]?.message ?? "" });
    return undefined;
  };
  const number = (flag: string, env: string, integer: boolean) => knob(flag, env, positive(integer));
  const opt = <K extends string>(key: K, v: number | undefined) =>
    (v === undefined ? {} : { [key]: v }) as Partial<Record<K, number>>;

  const gatewayId = knob("gateway-id", "SWITCHYARD_GATEWAY_ID", GATEWAY_ID);
  const speed = number("clock-speed", "SWITCHYARD_CLOCK_SPEED", false);
  const startAt = number("clock-start-at", "SWITCHYARD_CLOCK_START_AT", true);
  const realStart = number("clock-real-start", "SWITCHYARD_CLOCK_REAL_START", true);
  if (speed === undefined && (startAt !== undefined || realStart !== undefined))
    problems.push({
      source: "config",
      path: "--clock-start-at",
      reason: "a shared clock's start needs its speed (--clock-speed / SWITCHYARD_CLOCK_SPEED)",
    });
  return {
    gatewayId: gatewayId ?? DEFAULT_GATEWAY_ID,
    clock:
      speed === undefined ? undefined : { speed, ...opt("startAt", startAt), ...opt("realStart", realStart) },
    router: opt("ackWaitMs", number("router-ack-wait-ms", "SWITCHYARD_ROUTER_ACK_WAIT_MS", true)),
    relay: {
      ...opt("batchSize", number("relay-batch-size", "SWITCHYARD_RELAY_BATCH_SIZE", true)),
      ...opt("pollIntervalMs", number("relay-poll-ms", "SWITCHYARD_RELAY_POLL_MS", true)),
      ...opt("xminWarnAfterMs", number("relay-xmin-warn-ms", "SWITCHYARD_RELAY_XMIN_WARN_MS", true)),
    },
  };
}
