import { defineConfig } from "vitest/config";

// Unit tests are pure and fast; integration tests talk to the real PostgreSQL and NATS (infra/ensure-services.sh
// makes sure they exist); end-to-end tests run whole services. Each kind has an `-isolated` companion project
// for its files that leave process-wide state behind.
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

/** Integration and end-to-end files that install OpenTelemetry's global providers (see UNIT_WITH_GLOBALS). */
const INT_WITH_GLOBALS = ["packages/bus/test/bus.int.test.ts"];
const E2E_WITH_GLOBALS = ["test/e2e/telemetry.e2e.test.ts", "test/cli/otel-instrumentation.e2e.test.ts"];

/**
 * Integration and end-to-end suites run after each other, never at once: a log follower only reads below the
 * cluster-wide snapshot xmin, so one suite's open transactions would stall another's. On two cores they
 * share the machine's PostgreSQL and NATS, so files run one at a time too (the timing-sensitive relay and
 * kill tests are not starved). One worker runs every file of a project, importing the platform's packages
 * once instead of once per file (about 1.5 s a file); files that leave process-wide state behind (the
 * OpenTelemetry globals) run after the others, each in a fresh worker: the group after `order`.
 */
function serial(
  name: string,
  order: number,
  withGlobals: readonly string[],
  options: { include: string[]; testTimeout: number; hookTimeout: number },
) {
  const common = { ...fastCheckSeed, fileParallelism: false, ...options };
  return [
    {
      test: {
        ...common,
        name,
        sequence: { groupOrder: order },
        exclude: ["**/node_modules/**", ...withGlobals],
        isolate: false,
      },
    },
    {
      test: {
        ...common,
        name: `${name}-isolated`,
        sequence: { groupOrder: order + 1 },
        include: [...withGlobals],
        exclude: ["**/node_modules/**"],
      },
    },
  ];
}

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
      ...serial("int", 1, INT_WITH_GLOBALS, {
        include: ["{packages,services,test}/**/*.int.test.ts"],
        testTimeout: 120_000,
        hookTimeout: 60_000,
      }),
      ...serial("e2e", 3, E2E_WITH_GLOBALS, {
        include: ["{packages,services,test}/**/*.e2e.test.ts"],
        testTimeout: 300_000,
        hookTimeout: 120_000,
      }),
    ],
  },
});
