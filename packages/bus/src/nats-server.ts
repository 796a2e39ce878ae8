// A nats-server of our own: the embedded default of `switchyard run`/`demo` when no NATS_URL is given, and
// the private servers of tests that need their own configuration (users and permissions, restarts). One
// free loopback port, one temporary store, stopped and removed on dispose.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** nats-server could not be found or did not come up. */
export class NatsServerStartError extends Error {
  override readonly name = "NatsServerStartError";
}

export interface NatsServer extends AsyncDisposable {
  readonly port: number;
  /** `nats://127.0.0.1:<port>`, with a user's credentials when given. */
  url(user?: string, password?: string): string;
  /** The server's log lines about permission violations so far. */
  violations(): string[];
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  /** The configuration file's text for `listen` (`127.0.0.1:<port>`) and the store directory; default: none. */
  readonly config?: (listen: string, storeDir: string) => string;
  /** Added to nats-server's environment (the passwords a configuration refers to). */
  readonly env?: Readonly<Record<string, string>>;
  /** Default: NATS_SERVER_BIN or `nats-server` on the PATH. */
  readonly binary?: string;
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = options.binary ?? process.env.NATS_SERVER_BIN ?? "nats-server";
  const port = await freeLoopbackPort();
  const dir = await mkdtemp(join(tmpdir(), "switchyard-nats-"));
  const storeDir = join(dir, "js");
  const listen = `127.0.0.1:${port}`;
  let args: string[];
  if (options.config) {
    const conf = join(dir, "nats.conf");
    await writeFile(conf, options.config(listen, storeDir));
    args = ["-c", conf];
  } else {
    args = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir];
  }
  const child = spawn(binary, args, {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Kept whole for violations(); a server under a permission-denial storm logs a lot, so only those lines.
  let tail = "";
  let recent = "";
  const denied: string[] = [];
  let ready = false;
  try {
    await new Promise<void>((resolve, reject) => {
      child.once("error", (error: NodeJS.ErrnoException) =>
        reject(
          new NatsServerStartError(
            error.code === "ENOENT"
              ? `${binary} not found: install it (apt-get install nats-server) or set NATS_URL`
              : `cannot start ${binary}: ${error.message}`,
            { cause: error },
          ),
        ),
      );
      // "close", not "exit": the exit can come before the last of stderr (the line saying why) is read.
      child.once("close", (code) => {
        if (!ready) reject(new NatsServerStartError(`${binary} exited with ${code}: ${lastLine(recent)}`));
      });
      // Some start-up errors (a bad configuration) go to stdout.
      child.stdout?.on("data", (chunk: Buffer) => {
        recent = (recent + chunk.toString()).slice(-4000);
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        if (!ready) recent = (recent + chunk.toString()).slice(-4000);
        const text = tail + chunk.toString();
        const lines = text.split("\n");
        tail = lines.pop() ?? "";
        for (const line of lines) {
          if (/violation/i.test(line)) denied.push(line);
          if (!ready && /Server is ready/.test(line)) {
            ready = true;
            resolve();
          }
        }
        tail = tail.slice(-4000);
      });
    });
  } catch (error) {
    child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const stop = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  return {
    port,
    url: (user, password) =>
      user === undefined
        ? `nats://${listen}`
        : `nats://${encodeURIComponent(user)}:${encodeURIComponent(password ?? "")}@${listen}`,
    violations: () => [...denied],
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** A loopback TCP port nobody listens on right now. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}
