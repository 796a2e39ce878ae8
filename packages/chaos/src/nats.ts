// A private nats-server with JetStream on file storage in a temporary directory, restartable on the same
// port and store. The Debian nats-server here is 2.9.10, which has no `sync_interval` (2.10+): its file
// store flushes on its own schedule, so an acknowledged publish is not necessarily on disk when the server
// is stopped. A restart here is a clean SIGTERM, which flushes; a server crash (SIGKILL) is not simulated.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, Incarnation } from "./processes.js";

export interface PrivateNats {
  readonly port: number;
  readonly url: string;
  pid(): number | undefined;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivateNats(): Promise<PrivateNats> {
  const dir = await mkdtemp(join(tmpdir(), "sy-chaos-nats-"));
  const port = await freePort();
  const conf = join(dir, "nats.conf");
  await writeFile(
    conf,
    [`listen: 127.0.0.1:${port}`, `jetstream {`, `  store_dir: "${join(dir, "js")}"`, `}`, ""].join("\n"),
  );
  let current: Incarnation | undefined;
  const start = async () => {
    current = new Incarnation({
      name: "nats-server",
      command: process.env.SWITCHYARD_NATS_SERVER ?? "nats-server",
      args: ["-c", conf],
      ready: /Server is ready/,
    });
    await current.ready();
  };
  const stop = async () => {
    await current?.stop(10_000);
  };
  await start();
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    pid: () => (current?.running ? current.pid : undefined),
    start,
    stop,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
