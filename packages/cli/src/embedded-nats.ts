import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** nats-server could not be found or did not come up. */
export class EmbeddedNatsError extends Error {
  override readonly name = "EmbeddedNatsError";
}

export interface EmbeddedNats extends AsyncDisposable {
  readonly url: string;
}

/**
 * The embedded default when no NATS_URL is given: a private nats-server with JetStream on a free loopback
 * port, its store in a temporary directory, stopped (and the directory removed) on dispose.
 */
export async function startEmbeddedNats(options: { binary?: string } = {}): Promise<EmbeddedNats> {
  const binary = options.binary ?? process.env.NATS_SERVER_BIN ?? "nats-server";
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), "switchyard-nats-"));
  const child = spawn(binary, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) =>
        reject(
          new EmbeddedNatsError(
            error.code === "ENOENT"
              ? `${binary} not found: install it (apt-get install nats-server) or set NATS_URL`
              : `cannot start ${binary}: ${error.message}`,
            { cause: error },
          ),
        );
      const onExit = (code: number | null) =>
        reject(new EmbeddedNatsError(`${binary} exited with ${code}: ${lastLine(stderr)}`));
      child.once("error", onError);
      child.once("exit", onExit);
      const ready = () => {
        if (/Server is ready/.test(stderr)) {
          child.off("error", onError);
          child.off("exit", onExit);
          child.stderr?.off("data", ready);
          resolve();
        }
      };
      child.stderr?.on("data", ready);
    });
  } catch (error) {
    await rm(storeDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      await stop(child);
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
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
