// A router in its own OS process over an e2e platform's schema, prefix and scaled clock: for tests that
// kill (SIGKILL) or stop (SIGTERM) a router while calls are in flight.
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { DATABASE_URL, type E2EPlatform, GATEWAY, NATS_URL } from "./harness.js";

const REPO_ROOT = resolve(import.meta.dirname, "../..");
const MAIN = resolve(REPO_ROOT, "services/router/src/main.ts");

export interface RouterProcess {
  readonly proc: ChildProcess;
  /** Resolves on its "router started" line; rejects with its output if it exits first. */
  readonly started: Promise<void>;
  readonly exited: Promise<number | null>;
  /** Its stdout and stderr lines. */
  readonly lines: string[];
}

export function spawnRouterProcess(
  p: E2EPlatform,
  speed: number,
  env: Readonly<Record<string, string>> = {},
): RouterProcess {
  const proc = spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DATABASE_URL,
      NATS_URL,
      DATABASE_SCHEMA: p.schema,
      SWITCHYARD_PREFIX: p.prefix,
      GATEWAY_ID: GATEWAY,
      CLOCK_SPEED: String(speed),
      CLOCK_START_AT: String(p.startAt),
      CLOCK_REAL_START: String(p.realStart),
      ...env,
    },
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
