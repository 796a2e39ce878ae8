// A `switchyard` command as its own OS process, the way deployments start one: its stdout and stderr
// lines kept (and handed to `onLine`), ready when a line says so, failing with its output if it exits first.
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const SWITCHYARD_BIN = resolve(REPO_ROOT, "packages/cli/bin/switchyard.mjs");

export interface SwitchyardProcess {
  readonly proc: ChildProcess;
  /** Resolves on the first line `readyWhen` accepts; rejects with the output if the process exits first. */
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
  /** Its stdout and stderr lines so far. */
  readonly lines: string[];
}

export function spawnSwitchyard(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  readyWhen: (line: string) => boolean,
  onLine: (line: string) => void = () => undefined,
): SwitchyardProcess {
  const proc = spawn(process.execPath, [SWITCHYARD_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const ready = new Promise<void>((ok, fail) => {
    for (const stream of [proc.stdout!, proc.stderr!])
      createInterface({ input: stream }).on("line", (line) => {
        lines.push(line);
        onLine(line);
        if (readyWhen(line)) ok();
      });
    proc.once("exit", (code) =>
      fail(new Error(`switchyard ${args.join(" ")} exited (${code}):\n${lines.join("\n")}`)),
    );
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  return { proc, ready, exited, lines };
}

export interface SwitchyardRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a `switchyard` command to its end and keeps what it printed. DATABASE_URL and NATS_URL are left out
 * (the embedded defaults: in-memory PGlite, a private nats-server) unless `env` sets them.
 */
export function runSwitchyard(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<SwitchyardRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SWITCHYARD_BIN, ...args], {
      env: { ...process.env, DATABASE_URL: undefined, NATS_URL: undefined, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
