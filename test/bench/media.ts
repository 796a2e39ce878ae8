// `pnpm bench --only media`: the media server's own limits on this machine, the raw figures beside which the
// SIP load test's calls per second are read. FreeSWITCH (the rig's build and configuration) and drachtio-server
// are started here; endpoints are created the two ways the drachtio driver can (`sip.freeswitch.control`):
// `parked` (default: an INVITE with a phone's offer, FreeSWITCH's dialplan answers and parks it, driven over one
// event-socket connection) and `outbound` (drachtio-fsmrf's own: a 3pcc INVITE, FreeSWITCH's outbound event
// socket back per channel). For each step of live endpoints it reports the creation latency, the FreeSWITCH
// CPU one creation costs, and the CPU the live endpoints cost while idle: a call holds two endpoints (caller
// and answered agent) for its whole length.

import { ParkedEndpoints } from "@switchyard/media-gateway";
import {
  connectMedia,
  type MediaConnection,
  missingTools,
  silentPhoneOffer,
  startTelephony,
} from "../sip/rig/index.js";
import { fmt, percentile, round, sleep, TICKS, ticksOf } from "./measure.js";

export interface MediaStep {
  /** Live endpoints before the step's creations. */
  readonly liveBefore: number;
  readonly created: number;
  readonly createP50Ms: number | null;
  readonly createP99Ms: number | null;
  /**
   * FreeSWITCH CPU (user + system) during the step's creations, per creation, less what the endpoints already
   * up cost meanwhile (the previous step's idle rate).
   */
  readonly freeswitchCpuMsPerCreation: number;
  /** FreeSWITCH CPU with `liveBefore + created` endpoints up and nothing happening, in % of one core. */
  readonly idleCpuPercentAfter: number;
}

export interface MediaResult {
  readonly control: "parked" | "outbound";
  readonly skipped?: string;
  /** The creation that failed, ending the measurement (the steps before it stand). */
  readonly failed?: string;
  readonly steps: MediaStep[];
  /** Idle CPU per live endpoint (µs of CPU per second), from the last step. */
  readonly idleCpuMicrosPerEndpointPerSec: number | null;
}

/** CPU time (ms) a process used so far, user + system. */
async function cpuMs(pid: number): Promise<number> {
  const t = await ticksOf(pid);
  if (!t) throw new Error(`process ${pid} is gone`);
  return (t.ticks / TICKS) * 1000;
}

export async function measureMedia(options: {
  readonly control: "parked" | "outbound";
  /** Endpoints created per step (the live count grows by this much each step). */
  readonly perStep: number;
  readonly steps: number;
  /** Creations per second at most: FreeSWITCH refuses above its `sessions-per-second` (100 in the rig). */
  readonly maxPerSec: number;
  readonly idleSeconds: number;
  readonly log: (line: string) => void;
}): Promise<MediaResult> {
  const { log } = options;
  const missing = missingTools(["drachtio", "freeswitch"]);
  if (missing) {
    log(`  skipped: ${missing}`);
    return { control: options.control, skipped: missing, steps: [], idleCpuMicrosPerEndpointPerSec: null };
  }
  const tel = await startTelephony({
    name: "bench-media",
    freeswitch: { rtpPorts: 2_000, logLevel: "warning" },
  });
  const live: Array<{ destroy(): Promise<void> }> = [];
  let media: MediaConnection | undefined;
  try {
    media = await connectMedia(tel);
    const { srf, ms } = media;
    const parked = options.control === "parked" ? new ParkedEndpoints(srf, ms) : undefined;
    let rtpPort = 40_000;
    const offer = () => {
      rtpPort += 2;
      return silentPhoneOffer(rtpPort);
    };
    const pid = tel.freeswitch.process.pid;
    if (pid === undefined) throw new Error("FreeSWITCH has no pid");
    const steps: MediaStep[] = [];
    let failed: string | undefined;
    for (let s = 0; s < options.steps && failed === undefined; s++) {
      const liveBefore = live.length;
      const latencies: number[] = [];
      const cpu0 = await cpuMs(pid);
      const wall0 = performance.now();
      // One at a time, paced: the latency of a creation is not a queue's.
      for (let i = 0; i < options.perStep; i++) {
        const t = performance.now();
        try {
          live.push(parked ? await parked.create({ remoteSdp: offer() }) : await ms.createEndpoint({}));
        } catch (err) {
          // The media server gave up (drachtio-fsmrf's 4 s wait for a channel's connection): the step's figure.
          failed = `creation ${live.length + 1} failed: ${err instanceof Error ? err.message : String(err)}`;
          log(`  ${fmt(liveBefore)} → ${fmt(liveBefore + options.perStep)} live endpoints: ${failed}`);
          break;
        }
        const took = performance.now() - t;
        latencies.push(took);
        await sleep(Math.max(0, 1000 / options.maxPerSec - took));
      }
      if (failed !== undefined) break;
      // What the endpoints already up cost meanwhile (the previous step's idle rate) is not the creations'.
      const background = ((steps.at(-1)?.idleCpuPercentAfter ?? 0) / 100) * (performance.now() - wall0);
      const perCreation = Math.max(0, (await cpuMs(pid)) - cpu0 - background) / options.perStep;
      const idle0 = await cpuMs(pid);
      await sleep(options.idleSeconds * 1000);
      const idle = (((await cpuMs(pid)) - idle0) / (options.idleSeconds * 1000)) * 100;
      latencies.sort((a, b) => a - b);
      const step: MediaStep = {
        liveBefore,
        created: options.perStep,
        createP50Ms: round(percentile(latencies, 0.5) ?? Number.NaN, 1),
        createP99Ms: round(percentile(latencies, 0.99) ?? Number.NaN, 1),
        freeswitchCpuMsPerCreation: round(perCreation, 1),
        idleCpuPercentAfter: round(idle),
      };
      steps.push(step);
      log(
        `  ${fmt(liveBefore)} → ${fmt(live.length)} live endpoints: creation p50 ${fmt(step.createP50Ms, 1)} ms, ` +
          `p99 ${fmt(step.createP99Ms, 1)} ms, FreeSWITCH CPU ${fmt(step.freeswitchCpuMsPerCreation, 1)} ms per creation; ` +
          `idle with ${fmt(live.length)} up: FreeSWITCH ${fmt(step.idleCpuPercentAfter)}% of a core`,
      );
    }
    const last = steps.at(-1);
    const perEndpoint =
      last && live.length > 0 ? round((last.idleCpuPercentAfter / 100 / live.length) * 1_000_000) : null;
    log(
      `  idle cost of a live endpoint: ${fmt(perEndpoint)} µs of FreeSWITCH CPU per second ` +
        `(a call holds two: caller and answered agent)`,
    );
    parked?.close();
    return {
      control: options.control,
      steps,
      idleCpuMicrosPerEndpointPerSec: perEndpoint,
      ...(failed === undefined ? {} : { failed }),
    };
  } finally {
    for (const ep of live.splice(0)) await ep.destroy().catch(() => undefined);
    media?.close();
    await tel.stop();
  }
}
