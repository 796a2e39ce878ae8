import { seededRandom } from "@switchyard/clock";
import { describe, expect, it } from "vitest";
import { type Distribution, meanOf, poissonArrivals, sample } from "../src/index.js";

function stats(values: readonly number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}

describe("seeded randomness", () => {
  it("the same seed gives the same sequence, another seed another one, all in [0, 1)", () => {
    const a = seededRandom("s1");
    const b = seededRandom("s1");
    const c = seededRandom("s2");
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(stats(xs).mean).toBeGreaterThan(0.45);
    expect(stats(xs).mean).toBeLessThan(0.55);
  });
});

describe("distributions", () => {
  const cases: Array<[Distribution, number]> = [
    [{ kind: "fixed", sec: 42 }, 0],
    [{ kind: "exponential", meanSec: 60 }, 60],
    [{ kind: "logNormal", meanSec: 4, sdSec: 2 }, 2],
    [{ kind: "logNormal", meanSec: 180, sdSec: 90 }, 90],
    [{ kind: "uniform", minSec: 5, maxSec: 30 }, 25 / Math.sqrt(12)],
  ];
  for (const [d, sd] of cases) {
    it(`${d.kind} ${JSON.stringify(d)}: sample mean and sd within 3% for fixed seeds`, () => {
      for (const seed of ["a", "b", "c"]) {
        const rng = seededRandom(`${seed}:${d.kind}`);
        const values = Array.from({ length: 20_000 }, () => sample(d, rng));
        const s = stats(values);
        expect(values.every((v) => v >= 0)).toBe(true);
        expect(Math.abs(s.mean - meanOf(d))).toBeLessThanOrEqual(0.03 * meanOf(d));
        if (d.kind === "exponential")
          expect(Math.abs(s.sd - d.meanSec)).toBeLessThanOrEqual(0.03 * d.meanSec);
        else expect(Math.abs(s.sd - sd)).toBeLessThanOrEqual(0.05 * Math.max(sd, 1e-9) + 1e-9);
      }
    });
  }

  it("Poisson arrivals: counts average rate × time with variance equal to the mean", () => {
    // 1,000 independent hours at 30 calls an hour.
    const counts = Array.from(
      { length: 1000 },
      (_, i) => poissonArrivals(30, 3600, seededRandom(`poisson:${i}`)).length,
    );
    const s = stats(counts);
    expect(Math.abs(s.mean - 30)).toBeLessThan(0.6);
    expect(s.sd ** 2 / s.mean).toBeGreaterThan(0.85);
    expect(s.sd ** 2 / s.mean).toBeLessThan(1.15);
  });

  it("Poisson arrivals are increasing, inside the period, and exponential gaps", () => {
    const times = poissonArrivals(360, 36_000, seededRandom("gaps"));
    expect(times.length).toBeGreaterThan(3400);
    expect(times.length).toBeLessThan(3800);
    expect(times.every((t, i) => t >= 0 && t < 36_000 && (i === 0 || t > times[i - 1]!))).toBe(true);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.abs(stats(gaps).mean - 10)).toBeLessThan(0.4);
    expect(poissonArrivals(0, 3600, seededRandom("none"))).toEqual([]);
  });
});
