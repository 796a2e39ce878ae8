// FreeSWITCH on private loopback ports: the shipped configuration (/opt/freeswitch/etc/freeswitch) is copied
// into the run's directory and its ports rewritten (SIP profile drachtio_mrf, event socket, RTP range); every
// writable directory (log, run, db, temp, recordings, storage, cache) points into the run's directory too, so
// several instances run side by side. `-nf` keeps FreeSWITCH in the foreground: the spawned pid is the server.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { PARK_EXTENSION } from "@switchyard/media-gateway";
import { freePort, freeRange, type PortRange } from "./ports.js";
import { ManagedProcess, waitFor } from "./processes.js";
import { FREESWITCH_BIN, FREESWITCH_CONF, FS_CLI_BIN } from "./tools.js";

const run = promisify(execFile);

export class FreeSwitchConfigError extends Error {
  override name = "FreeSwitchConfigError";
}

export interface FreeSwitch {
  readonly address: string;
  /** Event socket (drachtio-fsmrf `mrf.connect({address, port, secret})`). */
  readonly port: number;
  readonly secret: string;
  /** SIP port of profile drachtio_mrf. */
  readonly sipPort: number;
  readonly rtp: PortRange;
  readonly dir: string;
  readonly recordingsDir: string;
  readonly logFile: string;
  readonly process: ManagedProcess;
  /** Runs an API command through fs_cli (e.g. `show channels`). */
  api(command: string): Promise<string>;
  /**
   * Ends FreeSWITCH. `graceful`: SIGTERM, which takes ~4 s (it closes its sessions and unloads its modules one
   * by one) and leaves complete logs for a post-mortem; otherwise SIGKILL, for a run whose checks are done.
   */
  stop(options?: { graceful?: boolean }): Promise<void>;
}

function rewrite(file: string, replacements: ReadonlyArray<readonly [RegExp, string]>): void {
  let text = readFileSync(file, "utf8");
  for (const [pattern, value] of replacements) {
    if (!pattern.test(text)) throw new FreeSwitchConfigError(`${file}: ${pattern} not found`);
    text = text.replace(pattern, value);
  }
  writeFileSync(file, text);
}

export async function startFreeSwitch(options: {
  dir: string;
  secret?: string;
  rtpPorts?: number;
  /** `<extension>` elements placed first in context `public` (before the drachtio-fsmrf socket extension). */
  dialplan?: string;
  /** The media gateway's `switchyard_endpoint` extension (default true; false: a stock drachtio-fsmrf dialplan). */
  parkExtension?: boolean;
  /** Core log level (default info; "warning" spares CPU under load). */
  logLevel?: "debug" | "info" | "notice" | "warning" | "err";
}): Promise<FreeSwitch> {
  const address = "127.0.0.1";
  const secret = options.secret ?? "ClueCon";
  const port = await freePort();
  const sipPort = await freePort();
  const rtp = await freeRange(options.rtpPorts ?? 200);
  const dir = options.dir;
  const conf = join(dir, "conf");
  const dirs = Object.fromEntries(
    ["log", "run", "db", "temp", "recordings", "storage", "cache"].map((d) => [d, join(dir, d)]),
  ) as Record<"log" | "run" | "db" | "temp" | "recordings" | "storage" | "cache", string>;
  // FreeSWITCH writes every channel's create, state changes and hangup into its core SQLite database (and
  // sofia's) from a single SQL thread: on a disk those writes cost system time at every call set up, so the
  // database lives on tmpfs (/dev/shm) when there is one, as FreeSWITCH's performance advice says. It is a
  // scoreboard rebuilt at start, nothing a post-mortem needs: stop() removes it with the process.
  const shm = "/dev/shm";
  if (existsSync(shm)) dirs.db = mkdtempSync(join(shm, "switchyard-freeswitch-db-"));
  const removeDb = () => rmSync(dirs.db, { recursive: true, force: true });
  process.once("exit", removeDb);
  cpSync(FREESWITCH_CONF, conf, { recursive: true });
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  rewrite(join(conf, "vars.xml"), [
    [/mrf_sip_port=\d+/, `mrf_sip_port=${sipPort}`],
    [/esl_port=\d+/, `esl_port=${port}`],
    [/esl_password=[^"]*/, `esl_password=${secret}`],
    // Plain RTP only: the phones here (sipp, baresip without srtp) do not do SDES, and an offer with an
    // RTP/SAVP m-line first leaves FreeSWITCH on the m-line the phone rejected (silence both ways).
    [
      /<\/include>/,
      `  <X-PRE-PROCESS cmd="set" data="rtp_secure_media=false"/>\n  <X-PRE-PROCESS cmd="set" data="rtp_secure_media_outbound=false"/>\n</include>`,
    ],
  ]);
  rewrite(join(conf, "autoload_configs/switch.conf.xml"), [
    [/name="rtp-start-port" value="\d+"/, `name="rtp-start-port" value="${rtp.start}"`],
    [/name="rtp-end-port" value="\d+"/, `name="rtp-end-port" value="${rtp.end}"`],
    [/name="loglevel" value="\w+"/, `name="loglevel" value="${options.logLevel ?? "info"}"`],
  ]);
  // Accept DTMF both ways a phone may send it (RFC 2833 and SIP INFO) on every channel.
  rewrite(join(conf, "sip_profiles/drachtio_mrf.xml"), [
    [
      /<param name="dtmf-type" value="rfc2833"\/>/,
      `<param name="dtmf-type" value="rfc2833"/>\n    <param name="liberal-dtmf" value="true"/>`,
    ],
  ]);
  // First in context public: the tests' own extensions, then the gateway's parked endpoints (the
  // `switchyard_endpoint` extension its README tells a deployment to add).
  rewrite(join(conf, "dialplan/public.xml"), [
    [
      /<context name="public">/,
      `<context name="public">\n${options.dialplan ?? ""}\n${options.parkExtension === false ? "" : PARK_EXTENSION}`,
    ],
  ]);
  const logFile = join(dirs.log, "freeswitch.log");
  const proc = new ManagedProcess({
    name: "freeswitch",
    command: FREESWITCH_BIN,
    args: [
      "-nonat",
      "-np",
      "-nf",
      "-nc",
      "-conf",
      conf,
      "-log",
      dirs.log,
      "-run",
      dirs.run,
      "-db",
      dirs.db,
      "-temp",
      dirs.temp,
      "-recordings",
      dirs.recordings,
      "-storage",
      dirs.storage,
      "-cache",
      dirs.cache,
    ],
    logFile: join(dir, "freeswitch.out"),
    cwd: dir,
  });
  const api = async (command: string): Promise<string> => {
    const { stdout } = await run(
      FS_CLI_BIN,
      ["-H", address, "-P", String(port), "-p", secret, "-t", "5000", "-x", command],
      { timeout: 15_000 },
    );
    return stdout;
  };
  try {
    await waitFor(
      `FreeSWITCH ready on event socket ${port} (log ${logFile})`,
      async () => {
        if (!proc.running) throw new Error(`FreeSWITCH exited (${proc.exitCode}); see ${logFile}`);
        const status = await api("status").catch(() => "");
        if (!status.includes("is ready")) return undefined;
        const sofia = await api("sofia status").catch(() => "");
        return /drachtio_mrf\s+profile\s+\S+\s+RUNNING/.test(sofia) ? true : undefined;
      },
      { tries: 120, everyMs: 250 },
    );
  } catch (err) {
    await proc.stop("SIGKILL", 2_000);
    process.off("exit", removeDb);
    removeDb();
    throw err;
  }
  return {
    address,
    port,
    secret,
    sipPort,
    rtp,
    dir,
    recordingsDir: dirs.recordings,
    logFile,
    process: proc,
    api,
    async stop({ graceful = true } = {}) {
      // SIGKILL after 8 s when SIGTERM does not end it.
      await (graceful ? proc.stop("SIGTERM", 8_000) : proc.stop("SIGKILL", 2_000));
      process.off("exit", removeDb);
      removeDb();
    },
  };
}
