// A private PostgreSQL 15 cluster on a free loopback port, in a temporary directory: restartable (fast
// shutdown) without touching the machine's own server, removed at the end.
import { chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alive, freePort, runToEnd } from "./processes.js";

export const PG_BIN = process.env.SWITCHYARD_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface PrivatePostgres {
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  /** The postmaster's pid while it runs (from postmaster.pid). */
  postmasterPid(): Promise<number | undefined>;
  /** `pg_ctl stop -m fast`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops (fast) and removes the cluster. */
  destroy(): Promise<void>;
}

/**
 * initdb refuses to run as root: as root every PostgreSQL binary runs as the `postgres` user (runuser),
 * which owns the temporary directory.
 */
function asOwner(command: string, args: readonly string[]): [string, string[]] {
  const bin = join(PG_BIN, command);
  return process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, [...args]];
}

async function owner(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const line = (await readFile("/etc/passwd", "utf8")).split("\n").find((l) => l.startsWith("postgres:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(join(tmpdir(), "sy-chaos-pg-"));
  const dataDir = join(dir, "data");
  const port = await freePort();
  const own = await owner();
  if (own) await chown(dir, own.uid, own.gid);
  const run = (name: string, command: string, args: readonly string[]) => {
    const [cmd, argv] = asOwner(command, args);
    return runToEnd(name, cmd, argv);
  };
  await run("initdb", "initdb", ["-D", dataDir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    // Six service processes with a pool each, the harness and the checker.
    "-c max_connections=200",
    "-c shared_buffers=64MB",
  ].join(" ");
  const start = () =>
    run("pg_ctl start", "pg_ctl", [
      "-D",
      dataDir,
      "-l",
      join(dir, "log"),
      "-o",
      options,
      "-w",
      "-t",
      "60",
      "start",
    ]);
  const stop = () => run("pg_ctl stop", "pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "-t", "60", "stop"]);
  await start();
  const postmasterPid = async () => {
    const pid = Number(
      (await readFile(join(dataDir, "postmaster.pid"), "utf8").catch(() => "")).split("\n")[0],
    );
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  };
  return {
    port,
    dataDir,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    postmasterPid,
    start: async () => {
      await start();
    },
    stop: async () => {
      await stop();
    },
    async destroy() {
      if (await postmasterPid()) await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
