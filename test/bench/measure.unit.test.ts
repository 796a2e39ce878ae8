import { describe, expect, it } from "vitest";
import { rate, sleep } from "./measure.js";

describe("rate", () => {
  it("counts every worker's operations when several run at once", async () => {
    let performed = 0;
    const started = performance.now();
    const perSec = await rate(0.3, 8, async () => {
      await sleep(1);
      performed += 1;
      return 1;
    });
    const elapsed = (performance.now() - started) / 1000;
    // The rate is what was performed over the time it took: with 8 workers each one's count must add up.
    // elapsed is measured around the call, so at least rate's own window: the ratio is 1 or a little more on a
    // busy machine; lost counts (the bug this guards against) made it 1/8.
    expect((perSec * elapsed) / performed).toBeGreaterThan(0.5);
    expect((perSec * elapsed) / performed).toBeLessThan(2);
    expect(performed).toBeGreaterThan(8);
  });

  it("adds what each operation returns", async () => {
    let units = 0;
    const started = performance.now();
    const perSec = await rate(0.2, 8, async (w) => {
      await sleep(2);
      units += (w % 3) + 1;
      return (w % 3) + 1;
    });
    const counted = perSec * ((performance.now() - started) / 1000);
    expect(counted / units).toBeGreaterThan(0.5);
    expect(counted / units).toBeLessThan(2);
  });
});
