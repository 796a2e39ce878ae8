// A private nats-server for tests that need their own configuration (users and permissions): a free
// loopback port, a temporary store, stopped and removed afterwards.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PrivateNats {
  readonly port: number;
  readonly url: (user?: string, password?: string) => string;
  /** The server's log lines about permission violations so far. */
  violations(): string[];
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts nats-server with the configuration `render(listen, storeDir)` returns and the given environment. */
export async function startPrivateNats(
  render: (listen: string, storeDir: string) => string,
  env: Readonly<Record<string, string>> = {},
): Promise<PrivateNats> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "sy-nats-perm-"));
  const conf = join(dir, "nats.conf");
  await writeFile(conf, render(`127.0.0.1:${port}`, join(dir, "js")));
  const child: ChildProcess = spawn("nats-server", ["-c", conf], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on("data", (c: Buffer) => {
      stderr += c.toString();
      if (/Server is ready/.test(stderr)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`nats-server exited ${code}: ${stderr.slice(-2000)}`)));
  });
  return {
    port,
    violations: () => stderr.split("\n").filter((l) => /violation/i.test(l)),
    url: (user, password) =>
      user === undefined
        ? `nats://127.0.0.1:${port}`
        : `nats://${encodeURIComponent(user)}:${encodeURIComponent(password ?? "")}@127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
