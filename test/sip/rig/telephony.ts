// The rig in one call: a run directory, drachtio-server and FreeSWITCH on private loopback ports, and a stop()
// that ends everything the run started (also from afterAll of a failing test; the exit hook in processes.ts
// covers a crashed run). The run directory (logs, recordings, sipp files) is removed by stop() unless the test
// failed or SWITCHYARD_SIP_KEEP=1.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DrachtioServer, startDrachtio } from "./drachtio.js";
import { type FreeSwitch, startFreeSwitch } from "./freeswitch.js";

export interface Telephony {
  readonly dir: string;
  readonly drachtio: DrachtioServer;
  readonly freeswitch: FreeSwitch;
  /** Stops FreeSWITCH and drachtio-server; `keep` leaves the run directory for a post-mortem. */
  stop(options?: { keep?: boolean }): Promise<void>;
}

export function runDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `switchyard-sip-${name}-`));
}

export async function startTelephony(
  options: {
    name?: string;
    dir?: string;
    /** Extra FreeSWITCH `<extension>`s placed first in context public (given the run directory). */
    dialplan?: string | ((dir: string) => string);
    drachtio?: Omit<Parameters<typeof startDrachtio>[0], "dir">;
    freeswitch?: Omit<Parameters<typeof startFreeSwitch>[0], "dir" | "dialplan">;
  } = {},
): Promise<Telephony> {
  const dir = options.dir ?? runDir(options.name ?? "rig");
  const [drachtio, freeswitch] = await Promise.allSettled([
    startDrachtio({ dir, ...options.drachtio }),
    startFreeSwitch({
      dir,
      ...options.freeswitch,
      ...(options.dialplan === undefined
        ? {}
        : { dialplan: typeof options.dialplan === "string" ? options.dialplan : options.dialplan(dir) }),
    }),
  ]);
  if (drachtio.status === "rejected" || freeswitch.status === "rejected") {
    if (drachtio.status === "fulfilled") await drachtio.value.stop();
    if (freeswitch.status === "fulfilled") await freeswitch.value.stop();
    throw drachtio.status === "rejected" ? drachtio.reason : (freeswitch as PromiseRejectedResult).reason;
  }
  return {
    dir,
    drachtio: drachtio.value,
    freeswitch: freeswitch.value,
    async stop({ keep = false } = {}) {
      // A run whose files are kept (a failed test) gets FreeSWITCH's orderly shutdown and its full logs; the
      // others are ended at once: ~4 s less per SIP test file, and nothing of FreeSWITCH outlives its run dir.
      await Promise.all([drachtio.value.stop(), freeswitch.value.stop({ graceful: keep })]);
      if (!keep && process.env.SWITCHYARD_SIP_KEEP !== "1") rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Where a DrachtioDriver finds this rig: its drachtio-server (the app connects) and FreeSWITCH. */
export const driverEndpoints = (tel: Pick<Telephony, "drachtio" | "freeswitch">) => ({
  drachtio: {
    mode: "connect" as const,
    host: tel.drachtio.host,
    port: tel.drachtio.port,
    secret: tel.drachtio.secret,
  },
  freeswitch: { address: tel.freeswitch.address, port: tel.freeswitch.port, secret: tel.freeswitch.secret },
});
