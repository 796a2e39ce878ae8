// The harness's callers: arrivals at a set rate (exponential gaps), each to one of the business numbers,
// hanging up after a talk time, all from the seed. Ids come from the seed too, so a run can be replayed.
import { type Random, seededRandom } from "@switchyard/clock";
import { ChaosOptionsError } from "./errors.js";

export interface PlannedCall {
  readonly callId: string;
  /** Ms after the traffic started. */
  readonly atMs: number;
  readonly from: string;
  readonly to: string;
  /** Ms after its start at which the caller hangs up (whether or not an agent answered). */
  readonly hangUpAfterMs: number;
}

export interface TrafficOptions {
  readonly seed: string;
  readonly trafficMs: number;
  readonly callsPerMinute: number;
  readonly numbers: readonly string[];
  /** The caller's time on the line, uniform in [min, max] seconds. */
  readonly holdSec: readonly [number, number];
}

export function trafficPlan(o: TrafficOptions): PlannedCall[] {
  if (o.callsPerMinute <= 0) throw new ChaosOptionsError(`calls per minute must be > 0`);
  if (o.numbers.length === 0) throw new ChaosOptionsError("no business number to call");
  const rng = seededRandom(`${o.seed}:traffic`);
  const meanGapMs = 60_000 / o.callsPerMinute;
  const calls: PlannedCall[] = [];
  for (let t = -Math.log(1 - rng()) * meanGapMs; t < o.trafficMs; t += -Math.log(1 - rng()) * meanGapMs) {
    const [min, max] = o.holdSec;
    calls.push({
      callId: uuidFrom(rng),
      atMs: Math.round(t),
      from: `+1555${String(Math.floor(rng() * 10_000_000)).padStart(7, "0")}`,
      to: o.numbers[Math.floor(rng() * o.numbers.length)] as string,
      hangUpAfterMs: Math.round((min + rng() * (max - min)) * 1000),
    });
  }
  return calls;
}

/** A version-4-shaped uuid from the seeded source. */
export function uuidFrom(rng: Random): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rng() * 16).toString(16));
  hex[12] = "4";
  hex[16] = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  const s = hex.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
