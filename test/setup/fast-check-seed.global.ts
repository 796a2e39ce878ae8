import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    fcSeed: number;
  }
}

/**
 * One fast-check seed per test run, printed so a property that fails in CI can be replayed: `FC_SEED=<seed>`
 * runs every property with that seed (fast-check's own failure message adds the path to the shrunk case).
 * Random by default, so CI keeps exploring new cases.
 */
export default function setup(project: TestProject): void {
  const given = process.env.FC_SEED;
  const seed =
    given !== undefined && given !== "" ? Number(given) : (Date.now() ^ (Math.random() * 0x100000000)) | 0;
  if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${JSON.stringify(given)}`);
  console.log(`fast-check seed ${seed} (${given ? "from FC_SEED" : `replay with FC_SEED=${seed}`})`);
  project.provide("fcSeed", seed);
}
