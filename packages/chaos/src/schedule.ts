// The fault schedule: which fault, when, and on which process, from a seed alone, so that the same seed
// replays the same faults. Bounded in count and confined to the traffic period (minus a quiet start and end).
import { type Random, seededRandom } from "@switchyard/clock";
import { ChaosOptionsError } from "./errors.js";

export type FaultKind =
  /** SIGKILL a router, start a new one. */
  | "kill-router"
  /** SIGKILL agent-presence or the relay, start a new one. */
  | "kill-service"
  /** SIGSTOP a router for longer than its ack wait, then SIGCONT. */
  | "stop-router"
  /** Stop nats-server (SIGTERM), start it again on the same port and store. */
  | "restart-nats"
  /** `pg_ctl stop -m fast`, then start the same cluster. */
  | "restart-postgres"
  /** SIGKILL the media gateway, start a new one. */
  | "kill-gateway";

export const FAULT_KINDS: readonly FaultKind[] = [
  "kill-router",
  "kill-service",
  "stop-router",
  "restart-nats",
  "restart-postgres",
  "kill-gateway",
];

export interface Fault {
  readonly kind: FaultKind;
  /** Ms after the traffic started. */
  readonly atMs: number;
  /** The process hit: `router-<i>`, `agent-presence`, `relay`, `media-gateway`, `nats`, `postgres`. */
  readonly target: string;
  /** How long the target stays down (or stopped) before it is restarted (or continued). */
  readonly downMs: number;
}

export interface ScheduleOptions {
  readonly seed: string;
  readonly routers: number;
  /** The traffic period: faults fall in [quietMs, trafficMs - quietMs]. */
  readonly trafficMs: number;
  readonly faults: number;
  /** A router's ack wait: a stopped router stays stopped past it. */
  readonly ackWaitMs: number;
  readonly quietMs?: number;
  /**
   * Besides the faults above: a router (seeded choice) SIGKILLed and restarted about this often, between
   * them (a kill that would overlap another fault is left out). Absent: none.
   */
  readonly routerKillEveryMs?: number;
}

/** Between two faults: the harness applies them one after the other, each undone before the next. */
const GAP_MS = 1_000;

/**
 * One fault of every kind first (a short run still sees each), the rest router kills and service kills,
 * shuffled; spread evenly over the period with seeded jitter so no two faults overlap.
 */
export function faultSchedule(o: ScheduleOptions): Fault[] {
  if (!Number.isInteger(o.routers) || o.routers < 1)
    throw new ChaosOptionsError(`routers must be a whole number ≥ 1, not ${o.routers}`);
  if (!Number.isInteger(o.faults) || o.faults < 0)
    throw new ChaosOptionsError(`faults must be a whole number ≥ 0, not ${o.faults}`);
  const quiet = o.quietMs ?? Math.min(10_000, o.trafficMs / 6);
  const span = o.trafficMs - 2 * quiet;
  if (o.faults > 0 && span <= 0) throw new ChaosOptionsError(`traffic period ${o.trafficMs} ms is too short`);
  const rng = seededRandom(`${o.seed}:faults`);
  const kinds: FaultKind[] = FAULT_KINDS.slice(0, o.faults);
  while (kinds.length < o.faults) kinds.push(rng() < 0.7 ? "kill-router" : "kill-service");
  shuffle(kinds, rng);
  const slot = o.faults > 0 ? span / o.faults : 0;
  const faults: Fault[] = kinds.map((kind, i) => ({
    kind,
    atMs: Math.round(quiet + i * slot + rng() * slot * 0.3),
    target: targetOf(kind, o.routers, rng),
    downMs: kind === "stop-router" ? o.ackWaitMs + 2_000 : 1_000 + Math.round(rng() * 1_000),
  }));
  if (o.routerKillEveryMs === undefined) return faults;
  return [...faults, ...periodicKills(o, quiet, faults)].sort((a, b) => a.atMs - b.atMs);
}

/** Router kills about every `routerKillEveryMs`, from their own seeded source (the other faults stay as they are). */
function periodicKills(o: ScheduleOptions, quiet: number, others: readonly Fault[]): Fault[] {
  const every = o.routerKillEveryMs ?? 0;
  if (!(every >= 4_000)) throw new ChaosOptionsError(`a router kill every ${every} ms: at least 4000 ms`);
  const rng = seededRandom(`${o.seed}:router-kills`);
  const overlaps = (a: Fault, b: Fault) =>
    a.atMs < b.atMs + b.downMs + GAP_MS && b.atMs < a.atMs + a.downMs + GAP_MS;
  const kills: Fault[] = [];
  for (let t = quiet + every / 2; t < o.trafficMs - quiet; t += every) {
    const kill: Fault = {
      kind: "kill-router",
      atMs: Math.round(t + rng() * every * 0.2),
      target: `router-${Math.floor(rng() * o.routers)}`,
      downMs: 500 + Math.round(rng() * 1_000),
    };
    if (kill.atMs + kill.downMs <= o.trafficMs - quiet && !others.some((f) => overlaps(f, kill)))
      kills.push(kill);
  }
  return kills;
}

function targetOf(kind: FaultKind, routers: number, rng: Random): string {
  switch (kind) {
    case "kill-router":
    case "stop-router":
      return `router-${Math.floor(rng() * routers)}`;
    case "kill-service":
      return rng() < 0.5 ? "agent-presence" : "relay";
    case "restart-nats":
      return "nats";
    case "restart-postgres":
      return "postgres";
    case "kill-gateway":
      return "media-gateway";
    default: {
      const unknown: never = kind;
      throw new ChaosOptionsError(`unknown fault ${String(unknown)}`);
    }
  }
}

function shuffle<T>(items: T[], rng: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}
