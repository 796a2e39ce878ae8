// A platform service as its own OS process for the bench (router-process.ts, relay-process.ts), as deployed,
// talking to the bench over IPC: it sends { type: "ready" } once started, answers each request in order
// (e.g. { type: "stats" } → { type: "stats", stats }) and exits on { type: "stop" }.
import { type ChildProcess, fork } from "node:child_process";
import { sleep } from "./measure.js";

export type ChildReply = { type: string } & Record<string, unknown>;

export interface BenchChild {
  readonly proc: ChildProcess;
  /** The process's id (undefined only if it could not be started, which fork reports by throwing). */
  readonly pid: number | undefined;
  /** Sends a request and resolves with the child's reply to it (replies come in request order). */
  ask(type: string): Promise<ChildReply>;
  /** Asks it to stop; SIGKILL after 15 s. */
  stop(): Promise<void>;
}

/** Forks `file` under tsx with `env` added to this process's, and waits for its "ready". */
export async function forkBenchChild(
  file: string,
  options: { name: string; env: Readonly<Record<string, string>>; execArgv?: readonly string[] },
): Promise<BenchChild> {
  const proc = fork(file, [], {
    execArgv: ["--import", "tsx", ...(options.execArgv ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const replies: Array<(m: ChildReply) => void> = [];
  await new Promise<void>((ready, reject) => {
    proc.once("exit", (code) =>
      reject(new Error(`${options.name} process exited with ${code} before it was ready`)),
    );
    proc.on("message", (m: ChildReply) => {
      if (m.type === "ready") ready();
      else replies.shift()?.(m);
    });
  });
  return {
    proc,
    pid: proc.pid,
    ask: (type) =>
      new Promise<ChildReply>((reply) => {
        replies.push(reply);
        proc.send({ type });
      }),
    async stop() {
      const exited = new Promise<void>((r) => proc.once("exit", () => r()));
      proc.send({ type: "stop" });
      await Promise.race([exited, sleep(15_000).then(() => proc.kill("SIGKILL"))]);
      await exited;
    },
  };
}

/** In a child: an environment variable it cannot start without. */
export function requiredEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}
