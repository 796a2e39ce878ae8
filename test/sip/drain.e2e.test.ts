// The media gateway's drain over real SIP (drachtio driver): three callers bridged to sipp agents when the
// drain starts; callers arriving after it get 503 (with Retry-After) before anything is recorded; the two
// callers who hang up by themselves during the drain are left to; the third is still up at the deadline and
// the platform hangs it up (BYE), so the router ends it. Every call taken ends in PostgreSQL once.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defineConfig } from "../e2e/harness.js";
import {
  allCalls,
  CALLER_ID_PASSED,
  type SipPlatform,
  sippGroup,
  startSipPlatform,
  stateOf,
} from "./platform.js";
import {
  type SippAgent,
  type SippMessage,
  skipSip,
  startSippAgent,
  startSippCallers,
  waitFor,
} from "./rig/index.js";

const skip = skipSip(["drachtio", "freeswitch", "sipp"]);

/** The INVITE's final status per sipp call, from a run's message log. */
function finals(messages: readonly SippMessage[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of messages)
    if (m.direction === "received" && m.cseqMethod === "INVITE" && m.status >= 200 && !out.has(m.callId))
      out.set(m.callId, m.status);
  return out;
}

describe.skipIf(skip)("media gateway drain over real SIP", () => {
  let p: SipPlatform;
  let failed = false;
  let agent: SippAgent | undefined;

  beforeAll(async () => {
    p = await startSipPlatform({ name: "drain" });
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

  it("refuses new INVITEs with 503, lets calls up finish, hangs up the rest at the deadline", {
    timeout: 120_000,
  }, async () => {
    agent = await startSippAgent({
      dir: p.tel.dir,
      name: "agents",
      behaviour: { kind: "answer", afterMs: 100 },
    });
    const number = await sippGroup(p, agent, {
      groupId: "dr",
      agentIds: ["dr_1", "dr_2", "dr_3"],
      connect: CALLER_ID_PASSED,
    });

    // Two callers who hang up 6 s after the answer, one who would stay two minutes.
    const short = await startSippCallers({
      dir: p.tel.dir,
      name: "short",
      target: p.sip,
      service: number,
      plan: { holdMs: 6_000, fromUser: "+1555300[call_number]" },
      calls: 2,
      rate: 2,
      timeoutSec: 90,
      events: false,
    });
    const long = await startSippCallers({
      dir: p.tel.dir,
      name: "long",
      target: p.sip,
      service: number,
      plan: { holdMs: 120_000, fromUser: "+15554000001" },
      calls: 1,
      timeoutSec: 90,
      events: false,
    });
    await waitFor(
      "three calls bridged",
      async () => {
        const all = await allCalls(p);
        const bridged = [...all.values()].filter((ev) => ev.some((e) => e.type === "LegsBridged"));
        return bridged.length === 3 ? true : undefined;
      },
      { tries: 300, everyMs: 100 },
    );

    const drained = p.gateway.drain({ deadlineMs: 15_000 });
    const late = await startSippCallers({
      dir: p.tel.dir,
      name: "late",
      target: p.sip,
      service: number,
      plan: { holdMs: 1_000, fromUser: "+1555500[call_number]" },
      calls: 2,
      rate: 2,
      timeoutSec: 60,
      events: false,
    });
    const lateStatuses = finals((await late.done).messages?.() ?? []);
    expect([...lateStatuses.values()]).toEqual([503, 503]);
    expect(p.driver.admissionStats().draining).toBe(2);

    const report = await drained;
    expect(report).toEqual({ callsAtStart: 3, finished: 2, endedAtDeadline: 1, stillUp: 0 });
    const [shortRun, longRun] = await Promise.all([short.done, long.done]);
    expect([...finals(shortRun.messages?.() ?? []).values()]).toEqual([200, 200]);
    // The long caller was answered, then hung up by the platform (a BYE it received) at the deadline.
    const longMessages = longRun.messages?.() ?? [];
    expect([...finals(longMessages).values()]).toEqual([200]);
    expect(longMessages.some((m) => m.direction === "received" && m.method === "BYE")).toBe(true);

    // Every call taken ended once in PostgreSQL; no refused caller has a call.
    const calls = await waitFor(
      "three calls terminal",
      async () => {
        const all = await allCalls(p);
        const done = [...all.values()].every((ev) => stateOf(ev).status === "ended");
        return all.size === 3 && done ? all : undefined;
      },
      { tries: 300, everyMs: 100 },
    );
    for (const [callId, ev] of calls)
      expect(
        ev.filter((e) => e.type === "CallEnded"),
        callId,
      ).toHaveLength(1);
  });
});
