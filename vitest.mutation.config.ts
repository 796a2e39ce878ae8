import { defineConfig } from "vitest/config";

// Only for `pnpm mutate` (StrykerJS): the unit tests of the packages it mutates, no projects. Stryker runs
// this suite once to learn which test covers which mutant, then only those tests per mutant; integration and
// end-to-end tests are left out because they need PostgreSQL/NATS and would make every mutant slow.
// A fixed fast-check seed unless FC_SEED says otherwise: a mutant survives or dies the same way on every run,
// so the incremental file stays meaningful.
process.env.FC_SEED ||= "20261130";

export default defineConfig({
  test: {
    globalSetup: ["test/setup/fast-check-seed.global.ts"],
    setupFiles: ["test/setup/fast-check-seed.setup.ts"],
    include: [
      "packages/routing-domain/test/**/*.unit.test.ts",
      "packages/simulation/test/**/*.unit.test.ts",
      "packages/event-store/test/append-plan.unit.test.ts",
    ],
    exclude: ["**/node_modules/**"],
    // Instrumented code on a shared machine is several times slower: the 1,000-call replay property took over
    // the default 5 s in the initial run (load 7 on 2 cores), which stops the whole run. A mutant that loops
    // is still caught by Stryker's own per-mutant timeout, computed from the initial run.
    testTimeout: 60_000,
  },
});
