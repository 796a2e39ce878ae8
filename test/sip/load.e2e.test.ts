// Load over real SIP: sipp places 30 calls per second for 30 s into the platform (drachtio-server,
// FreeSWITCH, the drachtio driver, router, presence, relay), answering sipp agents take them; every call must
// complete and be terminal in PostgreSQL. Reports calls per second and setup-time percentiles.
// Heavy (900 calls, ~2 min on 2 cores): outside the default suite; run it with
//   SWITCHYARD_SIP_LOAD=1 pnpm exec vitest run test/sip/load.e2e.test.ts
// (SWITCHYARD_SIP_LOAD_CPS / _SEC / _AGENTS change the load; _ENDPOINTS the FreeSWITCH endpoints the gateway
// creates at once; SWITCHYARD_SIP_GATEWAY_CPU_PROF=<dir> writes a CPU profile of the gateway process there,
// SWITCHYARD_SIP_PLATFORM_CPU_PROF=<dir> one of the test's process: router, agent-presence, relay).
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { cpus } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type CpuSnapshot,
  cpuSecondsByPart,
  isPostgres,
  machineBusyShare,
  snapshot,
} from "../bench/scaling.js";
import { defineConfig } from "../e2e/harness.js";
import {
  agentIdsOf,
  allCalls,
  CALLER_ID_PASSED,
  type SipPlatform,
  sippGroup,
  startSipPlatform,
  stateOf,
  storeFootprint,
} from "./platform.js";
import {
  type SippAgent,
  type SippMessage,
  skipSip,
  startSippAgent,
  startSippCallers,
  waitFor,
} from "./rig/index.js";

const enabled = process.env.SWITCHYARD_SIP_LOAD === "1";
if (!enabled) console.warn("SIP load test skipped: set SWITCHYARD_SIP_LOAD=1 to run it (900 calls, ~2 min)");
const skip = !enabled || skipSip(["drachtio", "freeswitch", "sipp"]);
const CPS = Number(process.env.SWITCHYARD_SIP_LOAD_CPS ?? 30);
const SECONDS = Number(process.env.SWITCHYARD_SIP_LOAD_SEC ?? 30);
const AGENTS = Number(process.env.SWITCHYARD_SIP_LOAD_AGENTS ?? 300);
const CALLS = CPS * SECONDS;
// The gateway's media release after the bridge (`sip.mediaRelease: afterBridge`): each bridged call's phones
// talk directly and its two FreeSWITCH endpoints end, as a deployment carrying this load per media server would
// run it (an endpoint costs FreeSWITCH a frame every 20 ms: `pnpm bench --only media`).
// SWITCHYARD_SIP_LOAD_MEDIA_RELEASE=0 keeps every call's media on FreeSWITCH.
const MEDIA_RELEASE = process.env.SWITCHYARD_SIP_LOAD_MEDIA_RELEASE !== "0";

async function startProfile(dir: string | undefined): Promise<{ stop(): Promise<void> } | undefined> {
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    async stop() {
      const { profile } = await session.post("Profiler.stop");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `platform-${process.pid}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/**
 * Cores each part used between two snapshots: what the calls cost the machine, and which part ran out of it
 * (FreeSWITCH's own limits on this machine: `pnpm bench --only media`).
 */
function coresByPart(a: CpuSnapshot, b: CpuSnapshot, gatewayPid: number | undefined): string {
  const seconds = (b.at - a.at) / 1000;
  const used = cpuSecondsByPart(a, b, (pid, comm) =>
    pid === gatewayPid
      ? "media gateway"
      : isPostgres(comm)
        ? "postgres"
        : ["freeswitch", "drachtio", "nats-server", "sipp"].includes(comm)
          ? comm
          : undefined,
  );
  const cores = Object.entries(used).map(([part, s]) => [part, s / seconds] as const);
  cores.push(["router, presence, relay (this process)", (b.bench - a.bench) / seconds]);
  const busy = machineBusyShare(a, b);
  return `CPU over ${seconds.toFixed(0)} s, cores: ${cores
    .sort((x, y) => y[1] - x[1])
    .map(([part, c]) => `${part} ${c.toFixed(2)}`)
    .join(", ")}; machine busy ${(busy * 100).toFixed(0)}% of ${cpus().length} cores`;
}

function percentiles(values: number[]): string {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number) => v[Math.min(v.length - 1, Math.floor(q * v.length))] ?? Number.NaN;
  return `p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, max ${v.at(-1)} ms (n=${v.length})`;
}

describe.skipIf(skip)(`SIP load: ${CPS} calls/s for ${SECONDS} s`, () => {
  let p: SipPlatform;
  let failed = false;
  let agent: SippAgent | undefined;

  beforeAll(async () => {
    // The gateway in its own process, as deployed (`switchyard run --target media-gateway`): its event loop
    // answers FreeSWITCH's event-socket handshakes without waiting behind the router's batches.
    // SWITCHYARD_SIP_LOAD_INPROCESS=1 keeps it in this process.
    p = await startSipPlatform({
      name: "load",
      // Logs at warning level: at info each SIP message is logged by both servers (a few thousand lines a second).
      freeswitch: { rtpPorts: 2_000, logLevel: "warning" },
      drachtio: { logLevel: "warning" },
      gatewayProcess: process.env.SWITCHYARD_SIP_LOAD_INPROCESS !== "1",
      ...(MEDIA_RELEASE ? { mediaRelease: "afterBridge", driver: { mediaRelease: "afterBridge" } } : {}),
      ...(process.env.SWITCHYARD_SIP_LOAD_ENDPOINTS
        ? { endpointsInFlight: Number(process.env.SWITCHYARD_SIP_LOAD_ENDPOINTS) }
        : {}),
    });
    await defineConfig(p.e2e, [{ type: "ConfigureAccount", callerIdPassThrough: true }]);
  });

  beforeEach((ctx) => {
    ctx.onTestFailed(() => {
      failed = true;
    });
  });

  afterAll(async () => {
    await agent?.stop().catch(() => undefined);
    await p?.close({ keep: failed });
  });

  it(`${CALLS} calls complete, every one terminal in PostgreSQL`, { timeout: 900_000 }, async () => {
    // SWITCHYARD_SIP_PLATFORM_CPU_PROF=<dir>: a V8 CPU profile of this process (router, agent-presence, relay)
    // for the calls' time, as the gateway's option does for the gateway.
    const profile = await startProfile(process.env.SWITCHYARD_SIP_PLATFORM_CPU_PROF);
    agent = await startSippAgent({
      dir: p.tel.dir,
      name: "agents",
      behaviour: { kind: "answer", afterMs: 100 },
      // No per-call events file: each event would fork a shell and `date` from sipp (a few per call, on the
      // cores the platform under test needs); the setup times below come from the message log.
      events: false,
    });
    const number = await sippGroup(p, agent, {
      groupId: "ld",
      agentIds: agentIdsOf("ld", AGENTS),
      ringTimeoutSec: 20,
      connect: CALLER_ID_PASSED,
    });

    // Each caller stays 6 s after the platform answers (agent rings 0.1 s, bridge, talk), then hangs up.
    const cpuBefore = await snapshot();
    const run = await startSippCallers({
      dir: p.tel.dir,
      name: "callers",
      target: p.sip,
      service: number,
      plan: { holdMs: 6_000, fromUser: "+1666000[call_number]" },
      calls: CALLS,
      rate: CPS,
      limit: CALLS,
      timeoutSec: SECONDS + 240,
      events: false,
    });
    const result = await run.done;
    const cpuUse = coresByPart(cpuBefore, await snapshot(), p.gatewayProcess?.pid);
    await profile?.stop();
    // Callers the platform answered (200 OK) and refused (503: admission control) — the ones answered must
    // all be started and terminal in PostgreSQL; every one of the CALLS should have been answered.
    const finalStatus = new Map<string, number>();
    for (const m of result.messages?.() ?? [])
      if (
        m.direction === "received" &&
        m.cseqMethod === "INVITE" &&
        m.status >= 200 &&
        !finalStatus.has(m.callId)
      )
        finalStatus.set(m.callId, m.status);
    const answeredByPlatform = [...finalStatus.values()].filter((s) => s === 200).length;
    const refused = [...finalStatus.values()].filter((s) => s === 503).length;
    // Every call must become terminal; the numbers are printed whatever happens, then asserted.
    const terminal = (ev: readonly { type: string }[]) => {
      const st = stateOf(ev as never);
      return st.status === "ended" && Object.values(st.legs).every((l) => l.status === "ended");
    };
    const calls = await waitFor(
      `${CALLS} calls terminal in PostgreSQL`,
      async () => {
        const all = await allCalls(p);
        return all.size >= answeredByPlatform && [...all.values()].every(terminal) ? all : undefined;
      },
      // Each try reads the whole event log (slow under load): 120 tries of one read + 1 s.
      { tries: 120, everyMs: 1_000 },
    ).catch(() => allCalls(p));
    const open = [...calls.values()].filter((ev) => !terminal(ev)).length;
    const agentRun = await agent.stop();
    agent = undefined;

    // Setup times, from the sipp message logs of callers and agents (one machine clock) and the call streams.
    type Times = { invite?: number; answered?: number };
    const byCallId = (
      messages: SippMessage[],
      isStart: (m: SippMessage) => boolean,
      isAnswer: (m: SippMessage) => boolean,
    ) => {
      const calls = new Map<string, Times & { from: string }>();
      for (const m of messages) {
        const t = calls.get(m.callId) ?? { from: "" };
        if (isStart(m) && t.invite === undefined) {
          t.invite = m.at;
          t.from = m.fromUser;
        }
        if (isAnswer(m) && t.answered === undefined) t.answered = m.at;
        calls.set(m.callId, t);
      }
      return calls;
    };
    const callerTimes = byCallId(
      result.messages?.() ?? [],
      (m) => m.direction === "sent" && m.method === "INVITE",
      (m) => m.direction === "received" && m.status === 200 && m.cseqMethod === "INVITE",
    );
    const agentTimes = byCallId(
      agentRun.messages?.() ?? [],
      (m) => m.direction === "received" && m.method === "INVITE",
      (m) => m.direction === "sent" && m.status === 200 && m.cseqMethod === "INVITE",
    );
    const agentByCaller = new Map([...agentTimes.values()].map((t) => [t.from, t]));
    const toAgentInvite: number[] = [];
    const toAgentAnswer: number[] = [];
    const toCallerAnswer: number[] = [];
    const invites: number[] = [];
    let answeredCalls = 0;
    for (const t of callerTimes.values()) {
      if (t.invite === undefined) continue;
      invites.push(t.invite);
      if (t.answered !== undefined) {
        answeredCalls++;
        toCallerAnswer.push(t.answered - t.invite);
      }
      const a = agentByCaller.get(t.from);
      if (a?.invite !== undefined) toAgentInvite.push(a.invite - t.invite);
      if (a?.answered !== undefined) toAgentAnswer.push(a.answered - t.invite);
    }
    // Where the time goes: the router (CallStarted → LegOriginateRequested, PostgreSQL commit times) and the
    // gateway + driver (LegOriginateRequested committed → the agent's sipp receives the INVITE).
    const routerLatency: number[] = [];
    const gatewayLatency: number[] = [];
    for (const ev of calls.values()) {
      const started = ev.find((e) => e.type === "CallStarted");
      const originate = ev.find((e) => e.type === "LegOriginateRequested");
      if (!started || !originate) continue;
      routerLatency.push(originate.recordedAt.getTime() - started.recordedAt.getTime());
      const from = (started.data as { from?: string }).from ?? "";
      const agentInvite = agentByCaller.get(from)?.invite;
      if (agentInvite !== undefined) gatewayLatency.push(agentInvite - originate.recordedAt.getTime());
    }
    const bridge: number[] = [];
    for (const ev of calls.values()) {
      const started = ev.find((e) => e.type === "CallStarted")?.data as { at: number } | undefined;
      const bridged = ev.find((e) => e.type === "LegsBridged")?.data as { at: number } | undefined;
      if (started && bridged) bridge.push(bridged.at - started.at);
    }
    const times = [...invites].sort((a, b) => a - b);
    const span = ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 1000;
    const ends = [...calls.values()].map(
      (ev) =>
        (ev.find((e) => e.type === "CallEnded")?.data as { reason?: string } | undefined)?.reason ?? "none",
    );
    const reasons: Record<string, number> = {};
    for (const r of ends) reasons[r] = (reasons[r] ?? 0) + 1;
    const footprint = await storeFootprint(p);
    const perCall = (n: number) => (n / Math.max(1, calls.size)).toFixed(1);
    console.log(
      [
        `sipp: ${result.stats?.created} calls created, ${result.stats?.successful} successful, ${result.stats?.failed} failed, exit ${result.exitCode}`,
        `media release after the bridge: ${MEDIA_RELEASE ? "on" : "off"}`,
        `offered rate: ${(invites.length / Math.max(span, 1e-9)).toFixed(1)} calls/s over ${span.toFixed(1)} s (target ${CPS}/s)`,
        `platform: ${answeredByPlatform} callers answered (200 OK), ${refused} refused with 503 (admission control), ${CALLS - answeredByPlatform - refused} without a final response`,
        `PostgreSQL: ${calls.size} calls started, ${calls.size - open} terminal, ${open} open; CallEnded reasons ${JSON.stringify(reasons)}`,
        `PostgreSQL: ${footprint.events} events in ${footprint.transactions} transactions, ${perCall(footprint.events)} events and ${perCall(footprint.transactions)} transactions per call; events by stream ${JSON.stringify(footprint.byCategory)}`,
        `caller INVITE → caller 200 OK (platform answers into FreeSWITCH): ${percentiles(toCallerAnswer)}`,
        `caller INVITE → agent INVITE: ${percentiles(toAgentInvite)}`,
        `caller INVITE → agent 200 OK (agent rings 100 ms): ${percentiles(toAgentAnswer)}`,
        `CallStarted → LegsBridged (platform clock): ${percentiles(bridge)}`,
        `  of which router, CallStarted → LegOriginateRequested (commit times): ${percentiles(routerLatency)}`,
        `  of which gateway, LegOriginateRequested committed → agent INVITE received: ${percentiles(gatewayLatency)}`,
        cpuUse,
      ].join("\n"),
    );
    expect(result.stats?.created).toBe(CALLS);
    expect(open).toBe(0);
    expect(calls.size).toBe(CALLS);
    expect(answeredCalls).toBe(CALLS);
    expect(bridge).toHaveLength(CALLS);
  });
});
