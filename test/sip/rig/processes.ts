// Child processes of the rig (drachtio-server, FreeSWITCH, sipp, baresip): each runs in its own process
// group so that stopping it also stops anything it forked, and every one still alive when this Node process
// exits (a failing test, an aborted run) is killed from the exit hook, so no run leaves orphans behind.
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, closeSync, openSync } from "node:fs";

export class RigProcessError extends Error {
  override name = "RigProcessError";
}

const alive = new Set<ManagedProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // Synchronous on purpose: nothing asynchronous runs in an exit handler.
  process.on("exit", () => {
    for (const p of alive) p.killGroup("SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      for (const p of alive) p.killGroup("SIGKILL");
      process.exit(128 + (signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : 1));
    });
  }
}

export interface SpawnOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  /** stdout and stderr are appended here. */
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
}

export class ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  #exitCode: number | string | undefined;

  constructor(options: SpawnOptions) {
    hookExit();
    this.name = options.name;
    this.logFile = options.logFile;
    // The child writes its output to the file itself (O_APPEND, as `>>` would): piped through this process,
    // drachtio-server's SIP log alone took thousands of writes a second from the test's event loop and thread
    // pool under the SIP load test, CPU the platform under test needed.
    const log = openSync(options.logFile, "a");
    try {
      this.child = spawn(options.command, [...options.args], {
        cwd: options.cwd,
        env: options.env ?? process.env,
        detached: true, // own process group: killGroup reaches its children too
        // fd 3: a pipe nothing is written to. Whatever the child forks inherits it (a sipp `exec` action's
        // shell appending to the events file), so "close" comes once those are done too, as it did when the
        // output itself was piped.
        stdio: ["ignore", log, log, "pipe"],
      });
    } finally {
      closeSync(log); // the child holds its own copy
    }
    alive.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once("error", (err) => {
        appendFileSync(options.logFile, `\n[rig] spawn error: ${err.message}\n`);
        alive.delete(this);
        this.#exitCode = `error: ${err.message}`;
        resolve(this.#exitCode);
      });
      // The child wrote its log itself: it is in the file once the process and what it forked are done.
      this.child.once("close", (code, signal) => {
        alive.delete(this);
        const exitCode = code ?? signal ?? "unknown";
        this.#exitCode = exitCode;
        resolve(exitCode);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.#exitCode === undefined;
  }

  get exitCode(): number | string | undefined {
    return this.#exitCode;
  }

  killGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined || !this.running) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }

  /** Sends `signal`, waits up to `graceMs` for the exit, then SIGKILLs the group. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 8_000): Promise<number | string> {
    if (!this.running) return this.#exitCode ?? "unknown";
    this.killGroup(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((r) => {
      timer = setTimeout(() => r("late"), graceMs);
    });
    const first = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (first === "late") {
      this.killGroup("SIGKILL");
      return this.exited;
    }
    return first;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it yields a value; the bound only stops a hang (nothing asserts on time). */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  { tries = 300, everyMs = 100 }: { tries?: number; everyMs?: number } = {},
): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await sleep(everyMs);
  }
  throw new RigProcessError(`gave up waiting for ${what}`, { cause: lastError });
}
