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
 * A kind of test as two projects: its files in workers that import the packages once and run file after
 * file (`isolate: false`), and `<name>-isolated` for the files that leave process-wide state behind (the
 * OpenTelemetry globals), each in a fresh worker, in the group `isolatedOrder`.
 */
function withIsolated(
  name: string,
  withGlobals: readonly string[],
  isolatedOrder: number,
  options: {
    include: string[];
    sequence: { groupOrder: number };
    testTimeout: number;
    hookTimeout?: number;
    fileParallelism?: boolean;
  },
) {
  const common = { ...fastCheckSeed, ...options };
  return [
    { test: { ...common, name, exclude: ["**/node_modules/**", ...withGlobals], isolate: false } },
    {
      test: {
        ...common,
        name: `${name}-isolated`,
        sequence: { groupOrder: isolatedOrder },
        include: [...withGlobals],
        exclude: ["**/node_modules/**"],
      },
    },
  ];
}

export default defineConfig({
  test: {
    projects: [
      // Unit tests are pure (no IO, no globals left changed): sharing workers saved most of this project's
      // time (90 s for 15 s of tests); their isolated companion runs beside them.
      ...withIsolated("unit", UNIT_WITH_GLOBALS, 0, {
        include: ["{packages,services,test}/**/*.unit.test.ts"],
        sequence: { groupOrder: 0 },
        // Property tests run a thousand cases: well under a second on a quiet machine, several seconds
        // when the two cores are shared. No test asserts on time, so the timeout only catches hangs.
        testTimeout: 60_000,
      }),
      // Integration and end-to-end suites run after each other, never at once: a log follower only reads below
      // the cluster-wide snapshot xmin, so one suite's open transactions would stall another's. On two cores
      // they share the machine's PostgreSQL and NATS, so files run one at a time too (the timing-sensitive
      // relay and kill tests are not starved), in one worker; the isolated files after the others.
      ...withIsolated("int", INT_WITH_GLOBALS, 2, {
        include: ["{packages,services,test}/**/*.int.test.ts"],
        sequence: { groupOrder: 1 },
        testTimeout: 120_000,
        hookTimeout: 60_000,
        fileParallelism: false,
      }),
      ...withIsolated("e2e", E2E_WITH_GLOBALS, 4, {
        include: ["{packages,services,test}/**/*.e2e.test.ts"],
        sequence: { groupOrder: 3 },
        testTimeout: 300_000,
        hookTimeout: 120_000,
        fileParallelism: false,
      }),
    ],
  },
});
