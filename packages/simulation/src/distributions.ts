import type { Random } from "@switchyard/clock";

/** A distribution of non-negative durations in seconds. */
export type Distribution =
  | { readonly kind: "fixed"; readonly sec: number }
  | { readonly kind: "exponential"; readonly meanSec: number }
  /** Parameterised by its own mean and standard deviation (not those of the underlying normal). */
  | { readonly kind: "logNormal"; readonly meanSec: number; readonly sdSec: number }
  | { readonly kind: "uniform"; readonly minSec: number; readonly maxSec: number };

/** Draws one value. Uses one uniform (two for log-normal). */
export function sample(d: Distribution, rng: Random): number {
  switch (d.kind) {
    case "fixed":
      return d.sec;
    case "exponential":
      // 1 - u is in (0, 1], so the log is finite.
      return -d.meanSec * Math.log(1 - rng());
    case "logNormal": {
      const sigma2 = Math.log(1 + (d.sdSec * d.sdSec) / (d.meanSec * d.meanSec));
      const mu = Math.log(d.meanSec) - sigma2 / 2;
      return Math.exp(mu + Math.sqrt(sigma2) * standardNormal(rng));
    }
    case "uniform":
      return d.minSec + (d.maxSec - d.minSec) * rng();
    default: {
      const unknown: never = d;
      throw new Error(`unknown distribution ${JSON.stringify(unknown)}`);
    }
  }
}

/** The distribution's mean, for reports and tests. */
export function meanOf(d: Distribution): number {
  switch (d.kind) {
    case "fixed":
      return d.sec;
    case "exponential":
    case "logNormal":
      return d.meanSec;
    case "uniform":
      return (d.minSec + d.maxSec) / 2;
    default: {
      const unknown: never = d;
      throw new Error(`unknown distribution ${JSON.stringify(unknown)}`);
    }
  }
}

export function describeDistribution(d: Distribution): string {
  switch (d.kind) {
    case "fixed":
      return `${d.sec} s`;
    case "exponential":
      return `exponential, mean ${d.meanSec} s`;
    case "logNormal":
      return `log-normal, mean ${d.meanSec} s, sd ${d.sdSec} s`;
    case "uniform":
      return `uniform ${d.minSec}-${d.maxSec} s`;
    default: {
      const unknown: never = d;
      throw new Error(`unknown distribution ${JSON.stringify(unknown)}`);
    }
  }
}

/** Box-Muller; 1 - u keeps the log finite. */
function standardNormal(rng: Random): number {
  const u1 = 1 - rng();
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Arrival times (seconds from 0) of a Poisson process at `perHour` over [0, durationSec). */
export function poissonArrivals(perHour: number, durationSec: number, rng: Random): number[] {
  const times: number[] = [];
  if (!(perHour > 0)) return times;
  const meanGap = 3600 / perHour;
  let t = -meanGap * Math.log(1 - rng());
  while (t < durationSec) {
    times.push(t);
    t += -meanGap * Math.log(1 - rng());
  }
  return times;
}
