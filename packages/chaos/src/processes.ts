// Child processes the harness owns: started, signalled, restarted and stopped by pid, never by name.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { ProcessStartError } from "./errors.js";

/** A free TCP port on the loopback interface (the OS picks one, the listener closes at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** True while a process with this pid exists (signal 0 only checks). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface ProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** The output line that says the process is up. */
  readonly ready: RegExp;
  readonly startTimeoutMs?: number;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One incarnation of a process: a restart is a new incarnation from the same spec. */
export class Incarnation {
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  readonly #child: ChildProcess;
  #exit: Exit | undefined;

  constructor(
    readonly spec: ProcessSpec,
    onLine?: (line: string) => void,
  ) {
    this.#child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [this.#child.stdout, this.#child.stderr])
      if (stream)
        createInterface({ input: stream }).on("line", (line) => {
          // Bounded: a long run must not hold every log line.
          if (this.lines.length >= 400) this.lines.splice(0, 100);
          this.lines.push(line);
          onLine?.(line);
        });
    this.exited = new Promise((resolve) =>
      this.#child.once("exit", (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      }),
    );
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** Resolves when the ready line appears; rejects with the output if the process exits or times out first. */
  ready(): Promise<void> {
    const { spec } = this;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ProcessStartError(`${spec.name} (no ready line in time)`, this.lines)),
        spec.startTimeoutMs ?? 60_000,
      );
      const check = (line: string) => {
        if (spec.ready.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      };
      for (const l of this.lines) check(l);
      for (const stream of [this.#child.stdout, this.#child.stderr])
        if (stream) createInterface({ input: stream }).on("line", check);
      void this.exited.then((e) => {
        clearTimeout(timer);
        reject(new ProcessStartError(`${spec.name} (exit ${e.code ?? e.signal})`, this.lines));
      });
    });
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.#child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<Exit> {
    if (!this.running) return this.exited;
    this.signal("SIGTERM");
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

/** Runs a command to completion; rejects with its output on a non-zero exit. */
export function runToEnd(name: string, command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr?.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.once("error", (e) => reject(new ProcessStartError(name, [out], { cause: e })));
    child.once("exit", (code) =>
      code === 0 ? resolve(out) : reject(new ProcessStartError(`${name} (exit ${code})`, out.split("\n"))),
    );
  });
}
