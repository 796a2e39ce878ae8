// Where the telephony binaries are, and what is missing. SIP tests skip (with one line saying what is missing)
// rather than fail when this machine has no drachtio-server / FreeSWITCH / sipp / baresip / sox.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export const DRACHTIO_HOME = process.env.SWITCHYARD_DRACHTIO_HOME ?? "/opt/drachtio";
export const FREESWITCH_HOME = process.env.SWITCHYARD_FREESWITCH_HOME ?? "/opt/freeswitch";
export const DRACHTIO_BIN = join(DRACHTIO_HOME, "bin/drachtio");
export const FREESWITCH_BIN = join(FREESWITCH_HOME, "bin/freeswitch");
export const FS_CLI_BIN = join(FREESWITCH_HOME, "bin/fs_cli");
export const FREESWITCH_CONF = join(FREESWITCH_HOME, "etc/freeswitch");
export const DRACHTIO_CONF = join(DRACHTIO_HOME, "etc/drachtio.conf.xml");
/** sipp's RFC 2833 DTMF captures (Debian's sip-tester ships them here). */
export const SIPP_PCAP_DIR = process.env.SWITCHYARD_SIPP_PCAP_DIR ?? "/usr/share/sip-tester";

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, command);
    if (dir !== "" && executable(candidate)) return candidate;
  }
  return undefined;
}

export type Tool = "drachtio" | "freeswitch" | "sipp" | "baresip" | "sox";

const hints: Record<Tool, string> = {
  drachtio: `${DRACHTIO_BIN} (../shared/telephony/install.sh, or the drachtio/drachtio-server image)`,
  freeswitch: `${FREESWITCH_BIN} (../shared/telephony/install.sh, or a FreeSWITCH package/image)`,
  sipp: "sipp (apt sip-tester)",
  baresip: "baresip (apt baresip-core)",
  sox: "sox (apt sox)",
};

export function toolMissing(tool: Tool): boolean {
  switch (tool) {
    case "drachtio":
      return !executable(DRACHTIO_BIN);
    case "freeswitch":
      return !executable(FREESWITCH_BIN) || !executable(FS_CLI_BIN);
    case "sipp":
    case "baresip":
    case "sox":
      return onPath(tool) === undefined;
    default: {
      const never: never = tool;
      throw new Error(`unknown tool ${String(never)}`);
    }
  }
}

/**
 * Undefined when every tool is here; otherwise one line naming what is missing, for `describe.skipIf` and the
 * test log (`SIP tests skipped: missing ...`).
 */
export function missingTools(tools: readonly Tool[]): string | undefined {
  const missing = tools.filter(toolMissing);
  if (missing.length === 0) return undefined;
  return `SIP tests skipped: missing ${missing.map((t) => hints[t]).join(", ")}`;
}

/** Logs the skip line once per test file and returns whether to skip. */
export function skipSip(tools: readonly Tool[]): boolean {
  const reason = missingTools(tools);
  if (reason !== undefined) console.warn(reason);
  return reason !== undefined;
}
