// StrykerJS for `pnpm mutate` (infra/mutation/mutate.mjs sets MUTATE_FILES and MUTATE_OUT for a run over
// chosen files). 9.6.1: StrykerJS 10 refuses Node 20. Under pnpm the plugins are not hoisted where Stryker
// looks for them, so they are loaded by path.
const files = process.env.MUTATE_FILES ? JSON.parse(process.env.MUTATE_FILES) : undefined;
const out = process.env.MUTATE_OUT ?? "reports/mutation";

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: "pnpm",
  plugins: [
    "./node_modules/@stryker-mutator/vitest-runner/dist/src/index.js",
    "./node_modules/@stryker-mutator/typescript-checker/dist/src/index.js",
    "./infra/mutation/ignore-error-messages.mjs",
  ],
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.mutation.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: "perTest",
  mutate: files ?? [
    "packages/routing-domain/src/**/*.ts",
    // Test support shipped with the package (the given/when/then helper), not domain behaviour.
    "!packages/routing-domain/src/testing/**",
    "packages/simulation/src/**/*.ts",
    "packages/event-store/src/append-plan.ts",
  ],
  ignorers: ["error-messages"],
  incremental: true,
  incrementalFile: `${out}/stryker-incremental.json`,
  reporters: ["progress-append-only", "clear-text", "json", "html"],
  jsonReporter: { fileName: `${out}/mutation.json` },
  htmlReporter: { fileName: `${out}/mutation.html` },
  clearTextReporter: { allowColor: false, allowEmojis: false, reportScoreTable: true, skipFull: false },
  thresholds: { high: 85, low: 75, break: null },
  // Two cores shared with others: never more than two test processes.
  concurrency: 2,
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
  timeoutMS: 10000,
};
