// What the what-if report says about how closely the baseline re-run reproduced the recorded day.
import { describe, expect, it } from "vitest";
import { baselineFidelity, type Figures, type RunFigures } from "../src/index.js";

const figures = (f: Partial<Figures>): Figures => ({
  offered: 100,
  answered: 90,
  answerRate: 0.9,
  averageSpeedOfAnswerSec: 12,
  waitedShare: 0.3,
  serviceLevel: 0.8,
  abandoned: 5,
  abandonmentRate: 0.05,
  queued: 30,
  fellBack: 5,
  occupancy: 0.7,
  gini: 0.1,
  ...f,
});

const run = (name: string, overall: Figures, groups: RunFigures["groups"]): RunFigures => ({
  name,
  overall,
  groups,
  agents: [],
  calls: [],
  queueLength: [],
});

describe("baselineFidelity", () => {
  it("states each figure recorded → re-run with its difference, overall and per group with recorded calls", () => {
    const recorded = run("recorded", figures({}), {
      sales: { ...figures({ offered: 60, answerRate: 0.95 }), label: "Sales (sales)" },
      night: { ...figures({ offered: 0 }), label: "Night (night)" },
    });
    const baseline = run(
      "baseline",
      figures({ answerRate: 0.913, averageSpeedOfAnswerSec: 10.75, waitedShare: 0.3, occupancy: 0.68 }),
      {
        sales: {
          ...figures({ offered: 60, answerRate: 0.9, abandonmentRate: 0.0625 }),
          label: "Sales (sales)",
        },
        night: { ...figures({ offered: 0 }), label: "Night (night)" },
      },
    );
    expect(baselineFidelity(recorded, baseline)).toEqual([
      "overall: 100 → 100 calls; answer rate 90.0% → 91.3% (+1.3 points); ASA 12.0 → 10.8 s (−1.2 s); " +
        "P(wait) 30.0% → 30.0% (+0.0 points); abandoned 5.0% → 5.0% (+0.0 points); occupancy 70.0% → 68.0% (−2.0 points)",
      "Sales (sales): 60 → 60 calls; answer rate 95.0% → 90.0% (−5.0 points); ASA 12.0 → 12.0 s (+0.0 s); " +
        "P(wait) 30.0% → 30.0% (+0.0 points); abandoned 5.0% → 6.3% (+1.3 points); occupancy 70.0% → 70.0% (+0.0 points)",
    ]);
  });
});
