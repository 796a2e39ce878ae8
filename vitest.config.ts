import { defineConfig } from "vitest/config";

// Three projects: unit tests are pure and fast; integration tests talk to the real PostgreSQL and NATS
// (infra/ensure-services.sh makes sure they exist); end-to-end tests run whole services.
// Every project: fast-check properties run from one printed seed, `FC_SEED=<seed>` replays it.
const fastCheckSeed = {
  globalSetup: ["test/setup/fast-check-seed.global.ts"],
  setupFiles: ["test/setup/fast-check-seed.setup.ts"],
};

/**
 * Unit tests that install OpenTelemetry's global providers (or import code that does): in a worker shared
 * with other files, one file's instruments and counts leak into the next, so each runs in its own.
 */
const UNIT_WITH_GLOBALS = [
  "packages/telemetry/test/**/*.unit.test.ts",
  "services/relay/test/relay.unit.test.ts",
  "test/deploy/grafana.unit.test.ts",
  "test/architecture/architecture.unit.test.ts",
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...fastCheckSeed,
          name: "unit",
          sequence: { groupOrder: 0 },
          include: ["{packages,services,test}/**/*.unit.test.ts"],
          exclude: ["**/node_modules/**", ...UNIT_WITH_GLOBALS],
          // Property tests run a thousand cases: well under a second on a quiet machine, several seconds
          // when the two cores are shared. No test asserts on time, so the timeout only catches hangs.
          testTimeout: 60_000,
          // Unit tests are pure (no IO, no globals left changed): each worker imports the packages once
          // instead of once per file, which was most of this project's time (90 s for 15 s of tests).
          isolate: false,
        },
      },
      {
        test: {
          ...fastCheckSeed,
          name: "unit-isolated",
          sequence: { groupOrder: 0 },
          include: UNIT_WITH_GLOBALS,
          exclude: ["**/node_modules/**"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          ...fastCheckSeed,
          name: "int",
          // Integration and end-to-end suites run after each other, never at once: a log follower only
          // reads below the cluster-wide snapshot xmin, so one suite's open transactions would stall another's.
          sequence: { groupOrder: 1 },
          include: ["{packages,services,test}/**/*.int.test.ts"],
          exclude: ["**/node_modules/**"],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // Two cores: integration suites share the machine's PostgreSQL and NATS; run files one at a
          // time so the timing-sensitive relay/kill tests are not starved.
          fileParallelism: false,
        },
      },
      {
        test: {
          ...fastCheckSeed,
          name: "e2e",
          sequence: { groupOrder: 2 },
          include: ["{packages,services,test}/**/*.e2e.test.ts"],
          exclude: ["**/node_modules/**"],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
