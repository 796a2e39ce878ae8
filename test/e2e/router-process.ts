// A router in its own OS process over an e2e platform's schema, prefix and scaled clock: for tests that
// kill (SIGKILL) or stop (SIGTERM) a router while calls are in flight. Started the way deployments start
// one: `switchyard run --target router`, configured by environment.
import type { ChildProcess } from "node:child_process";
import { spawnSwitchyard } from "../support/switchyard-process.js";
import { DATABASE_URL, type E2EPlatform, GATEWAY } from "./harness.js";

export interface RouterProcess {
  readonly proc: ChildProcess;
  /** Resolves on its "router started" line; rejects with its output if it exits first. */
  readonly started: Promise<void>;
  readonly exited: Promise<number | null>;
  /** Its stdout and stderr lines. */
  readonly lines: string[];
}

/** The environment of a `switchyard run` process joining an e2e platform (its schema, prefix and clock). */
export function platformEnv(p: E2EPlatform, speed: number): Record<string, string> {
  return {
    DATABASE_URL,
    NATS_URL: p.buses.urlOf("router"),
    DATABASE_SCHEMA: p.schema,
    SWITCHYARD_PREFIX: p.prefix,
    SWITCHYARD_GATEWAY_ID: GATEWAY,
    SWITCHYARD_CLOCK_SPEED: String(speed),
    SWITCHYARD_CLOCK_START_AT: String(p.startAt),
    SWITCHYARD_CLOCK_REAL_START: String(p.realStart),
    SWITCHYARD_LOG_FORMAT: "json",
  };
}

export function spawnRouterProcess(
  p: E2EPlatform,
  speed: number,
  env: Readonly<Record<string, string>> = {},
): RouterProcess {
  const r = spawnSwitchyard(["run", "--target", "router"], { ...platformEnv(p, speed), ...env }, (line) =>
    line.includes('"router started"'),
  );
  return { proc: r.proc, started: r.ready, exited: r.exited, lines: r.lines };
}
