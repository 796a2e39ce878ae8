// The media gateway process (drachtio driver) is killed (SIGKILL) during 20 live calls while drachtio-server
// and FreeSWITCH keep running, then a new gateway process starts with the same gateway id. What happens to
// each call is reported; every call must be terminal in PostgreSQL (exactly one CallEnded), none left open.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  agentIdsOf,
  allCalls,
  type SipPlatform,
  sippGroup,
  startSipPlatform,
  stateOf,
  terminalCall,
} from "./platform.js";
import {
  type SippAgent,
  type SippCallerRun,
  skipSip,
  startSippAgent,
  startSippCallers,
  waitFor,
} from "./rig/index.js";

const skip = skipSip(["drachtio", "freeswitch", "sipp"]);
const CALLS = 20;

describe.skipIf(skip)("media gateway restart during live SIP calls", () => {
  let p: SipPlatform;
  let failed = false;
  let agent: SippAgent | undefined;
  let callers: SippCallerRun | undefined;

  beforeAll(async () => {
    p = await startSipPlatform({ name: "restart", gatewayProcess: true });
  });

  beforeEach((ctx) => {
    ctx.onTestFailed(() => {
      failed = true;
    });
  });

  afterAll(async () => {
    await callers?.stop().catch(() => undefined);
    await agent?.stop().catch(() => undefined);
    await p?.close({ keep: failed });
  });

  it(`kills the gateway during ${CALLS} bridged calls: every call ends in PostgreSQL, and says what each phone saw`, async () => {
    // One sipp agent answers every agent leg (20 platform agents, one user part each) and waits for a BYE.
    agent = await startSippAgent({
      dir: p.tel.dir,
      name: "agents",
      behaviour: { kind: "answer", afterMs: 200 },
    });
    const number = await sippGroup(p, agent, { groupId: "rs", agentIds: agentIdsOf("rs", CALLS) });
    // Callers stay on the line for 40 s unless the platform hangs up first (it should, right after the restart).
    callers = await startSippCallers({
      dir: p.tel.dir,
      name: "callers",
      target: p.sip,
      service: number,
      plan: { holdMs: 40_000, fromUser: "+1888000[call_number]" },
      calls: CALLS,
      rate: 10,
      limit: CALLS,
      timeoutSec: 180,
    });
    // All 20 bridged (agent answered, media joined).
    await waitFor(
      `${CALLS} bridged calls`,
      async () => {
        const calls = [...(await allCalls(p)).values()];
        const bridged = calls.filter((ev) => ev.some((e) => e.type === "LegsBridged"));
        return bridged.length === CALLS ? true : undefined;
      },
      { tries: 600, everyMs: 100 },
    );
    const before = await p.tel.freeswitch.api("show channels count");

    await p.killGateway();
    const afterKill = await p.tel.freeswitch.api("show channels count");
    await p.startGateway();

    const calls = await allCalls(p);
    expect(calls.size).toBe(CALLS);
    const ended = await Promise.all([...calls.keys()].map((id) => terminalCall(p, id)));
    for (const c of ended) expect(c.of("CallEnded")).toHaveLength(1);
    const reasons = ended.map((c) => c.of("CallEnded")[0]!.reason);
    const legEnds = ended.map((c) =>
      c.of("LegEnded").map((l) => `${l.legId === c.state.callerLegId ? "caller" : "agent"}:${l.reason}`),
    );

    // The phones: a caller either got a BYE from the platform or hung up itself at the end of its 40 s.
    const callerRun = await callers.done;
    // The restarted driver BYEs callers and agents one after the other: wait for the agents' BYEs to arrive
    // before stopping their sipp (stopped at once, the last BYEs in flight were missed under load). A BYE that
    // never comes still shows as "no BYE" below.
    const sippAgent = agent;
    await waitFor(
      "a BYE at every agent phone",
      async () => {
        const calls = [...sippAgent.calls().values()];
        return calls.length >= CALLS && calls.every((ev) => ev.some((e) => e.event === "bye-received"))
          ? true
          : undefined;
      },
      { tries: 100, everyMs: 200 },
    ).catch(() => undefined);
    const agentRun = await agent.stop();
    agent = undefined;
    const callerOutcome = [...callerRun.calls.values()].map((ev) =>
      ev.some((e) => e.event === "bye-received")
        ? "BYE from platform"
        : ev.some((e) => e.event === "bye-sent")
          ? "hung up itself"
          : "other",
    );
    const agentOutcome = [...agentRun.calls.values()].map((ev) =>
      ev.some((e) => e.event === "bye-received") ? "BYE from platform" : "no BYE",
    );
    const count = (xs: string[]) =>
      [...new Set(xs)].map((k) => `${xs.filter((x) => x === k).length}× ${k}`).join(", ");
    // The new driver BYEs what the killed one left (its dialog records in the shared media dir) and kills
    // the old FreeSWITCH channels.
    const atEnd = await waitFor("FreeSWITCH without channels", async () => {
      const count = await p.tel.freeswitch.api("show channels count");
      return /^\s*0 total/m.test(count) ? count : undefined;
    }).catch(() => p.tel.freeswitch.api("show channels count"));
    console.log(
      [
        `FreeSWITCH channels: ${before.trim()} before the kill; ${afterKill.trim()} right after; ${atEnd.trim()} at the end`,
        `CallEnded reasons: ${count(reasons)}`,
        `leg ends: ${count(legEnds.flat())}`,
        `callers (sipp): ${count(callerOutcome)}`,
        `agents (sipp): ${count(agentOutcome)}`,
      ].join("\n"),
    );
    // No call stays open in PostgreSQL: every stream folds to ended with every leg down.
    for (const events of (await allCalls(p)).values()) {
      const state = stateOf(events);
      expect(state.status).toBe("ended");
      expect(Object.values(state.legs).every((l) => l.status === "ended")).toBe(true);
    }
    // Every phone was hung up by the platform (the restarted gateway's driver), none left in a dead call.
    expect(callerOutcome).toEqual(Array(CALLS).fill("BYE from platform"));
    expect(agentOutcome).toEqual(Array(CALLS).fill("BYE from platform"));
    expect(atEnd).toMatch(/^\s*0 total/m);
  });
});
