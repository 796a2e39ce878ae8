// A router in its own OS process over an e2e platform's schema, prefix and scaled clock: for tests that
// kill (SIGKILL) or stop (SIGTERM) a router while calls are in flight. Started the way deployments start
// one: `switchyard run --target router`, configured by environment.
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { DATABASE_URL, type E2EPlatform, GATEWAY, NATS_URL } from "./harness.js";

const REPO_ROOT = resolve(import.meta.dirname, "../..");
const BIN = resolve(REPO_ROOT, "packages/cli/bin/switchyard.mjs");

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
    NATS_URL,
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
  const proc = spawn(process.execPath, [BIN, "run", "--target", "router"], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...platformEnv(p, speed), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const started = new Promise<void>((ok, fail) => {
    createInterface({ input: proc.stdout! }).on("line", (line) => {
      lines.push(line);
      if (line.includes('"router started"')) ok();
    });
    createInterface({ input: proc.stderr! }).on("line", (line) => lines.push(line));
    proc.on("exit", (code) => fail(new Error(`router exited (${code}): ${lines.join("\n")}`)));
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  return { proc, started, exited, lines };
}
