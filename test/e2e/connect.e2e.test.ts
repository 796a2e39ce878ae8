// The Connect applet end to end: the direct pattern, each strategy, each fallback trigger, each caller ID
// option, and whisper ordering — simulated phones, real NATS and PostgreSQL, every call's stream checked.
import type { Applet, ConnectBranches, Strategy } from "@switchyard/routing-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defineAgents,
  defineConfig,
  type E2EPlatform,
  endedCall,
  eventually,
  flowOnNumber,
  hangup,
  passTime,
  placeCall,
  presenceOf,
  say,
  signIn,
  startE2E,
} from "./harness.js";

let p: E2EPlatform;
const CALLER = "+14155559001";

beforeAll(async () => {
  p = await startE2E();
  await defineConfig(p, [{ type: "ConfigureAccount", callerIdPassThrough: true }]);
});

afterAll(async () => {
  await p?.close();
});

const toGroup = (groupId: string, branches: ConnectBranches = { fallback: "bye" }, extra = {}): Applet => ({
  kind: "connect",
  target: { kind: "group", groupId },
  branches,
  ...extra,
});

/** A group of fresh agents with one flow (Connect to the group, else hang up) on a new number. */
async function groupSetup(
  name: string,
  strategy: Strategy,
  ids: readonly string[],
  options: { signIn?: readonly string[]; branches?: ConnectBranches; applets?: Record<string, Applet> } = {},
) {
  const { commands, agents } = defineAgents(ids.map((i) => `${name}_${i}`));
  const flow = flowOnNumber(`${name}_flow`, "c", {
    c: toGroup(name, options.branches),
    bye: hangup,
    ...options.applets,
  });
  await defineConfig(p, [
    ...commands,
    {
      type: "DefineGroup",
      groupId: name,
      name,
      strategy,
      members: Object.keys(agents),
      ringTimeoutSec: 10,
    },
    ...flow.commands,
  ]);
  const signed = options.signIn?.map((i) => `${name}_${i}`) ?? Object.keys(agents);
  await signIn(p, signed);
  const phone = (i: string) => agents[`${name}_${i}`]!.number;
  return { agents, number: flow.number, phone };
}

async function allAvailable(ids: readonly string[]) {
  for (const a of ids) {
    await eventually(
      async () => ((await presenceOf(p, a))?.state.status === "available" ? true : undefined),
      `${a} available again`,
    );
  }
}

const answered = { kind: "answer", afterSec: 1, talkSec: 4 } as const;

describe("direct routing", () => {
  it("connects the caller to the one agent of a direct Connect and ends when the agent hangs up", async () => {
    const { commands, agents } = defineAgents(["direct_ann"]);
    const flow = flowOnNumber("direct", "c", {
      c: { kind: "connect", target: { kind: "agent", agentId: "direct_ann" }, branches: { fallback: "bye" } },
      bye: hangup,
    });
    await defineConfig(p, [...commands, ...flow.commands]);
    await signIn(p, ["direct_ann"]);
    p.driver.setPhone(agents.direct_ann!.number, answered);
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: flow.number }));
    expect(call.of("ConnectCompleted")[0]?.outcome).toBe("answered");
    expect(call.types).toContain("LegsBridged");
    expect(call.of("CallEnded")[0]?.reason).toBe("agentHungUp");
  });
});

describe("strategies", () => {
  it("round robin rings one agent per call, rotating through the members", async () => {
    const g = await groupSetup("rr", "roundRobin", ["a", "b", "c"]);
    for (const i of ["a", "b", "c"]) p.driver.setPhone(g.phone(i), answered);
    const chosen: string[] = [];
    for (let n = 0; n < 3; n++) {
      await allAvailable(Object.keys(g.agents));
      const call = await endedCall(p, await placeCall(p, { from: CALLER, to: g.number }));
      const decided = call.of("RoutingDecided")[0]!;
      expect(decided.legs).toHaveLength(1);
      chosen.push(decided.chosen[0]!);
    }
    expect(new Set(chosen).size).toBe(3);
  });

  it("simultaneous rings every available member and cancels the others when one answers", async () => {
    const g = await groupSetup("sim", "simultaneous", ["a", "b", "c"]);
    p.driver.setPhone(g.phone("a"), { kind: "noAnswer" });
    p.driver.setPhone(g.phone("b"), { kind: "answer", afterSec: 2, talkSec: 3 });
    p.driver.setPhone(g.phone("c"), { kind: "noAnswer" });
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: g.number }));
    expect(
      call
        .of("RoutingDecided")[0]
        ?.legs.map((l) => l.agentId)
        .sort(),
    ).toEqual(["sim_a", "sim_b", "sim_c"]);
    const winner = call.of("LegOriginateRequested").find((l) => l.agentId === "sim_b")!.legId;
    expect(call.of("LegsBridged")[0]?.legIds).toContain(winner);
    expect(call.of("LegCancelRequested")).toHaveLength(2);
  });

  it("sequential rings the members in order, moving on after each ring timeout", async () => {
    const g = await groupSetup("seq", "sequential", ["a", "b", "c"]);
    p.driver.setPhone(g.phone("a"), { kind: "noAnswer" });
    p.driver.setPhone(g.phone("b"), answered);
    p.driver.setPhone(g.phone("c"), answered);
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: g.number }));
    expect(call.of("RoutingDecided").map((d) => d.chosen)).toEqual([["seq_a"], ["seq_b"]]);
    expect(call.of("TimerElapsed").map((t) => t.kind)).toContain("ringTimeout");
    expect(call.of("ConnectCompleted")[0]?.outcome).toBe("answered");
  });

  it("longest idle offers the call to the agent idle the longest", async () => {
    const g = await groupSetup("li", "longestIdle", ["a", "b", "c"], { signIn: [] });
    await signIn(p, ["li_b"]);
    await passTime(p, 3_000);
    await signIn(p, ["li_c"]);
    await passTime(p, 3_000);
    await signIn(p, ["li_a"]);
    for (const i of ["a", "b", "c"]) p.driver.setPhone(g.phone(i), answered);
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: g.number }));
    expect(call.of("RoutingDecided")[0]?.chosen).toEqual(["li_b"]);
  });

  it("least calls offers the call to the agent with the fewest calls in the period", async () => {
    const g = await groupSetup("lc", "leastCalls", ["a", "b"]);
    for (const i of ["a", "b"]) p.driver.setPhone(g.phone(i), answered);
    const first = await endedCall(p, await placeCall(p, { from: CALLER, to: g.number }));
    const firstAgent = first.of("RoutingDecided")[0]!.chosen[0]!;
    await allAvailable(Object.keys(g.agents));
    const second = await endedCall(p, await placeCall(p, { from: CALLER, to: g.number }));
    const decided = second.of("RoutingDecided")[0]!;
    expect(decided.chosen).toHaveLength(1);
    expect(decided.chosen[0]).not.toBe(firstAgent);
    expect(decided.candidates.find((c) => c.agentId === firstAgent)?.callsInPeriod).toBe(1);
  });
});

describe("fallback triggers", () => {
  const branches: ConnectBranches = {
    noAnswer: "na",
    busy: "bz",
    failed: "fl",
    allAgentsBusy: "ab",
    fallback: "bye",
  };
  const applets = {
    na: say("nobody answered"),
    bz: say("line busy"),
    fl: say("call failed"),
    ab: say("all agents busy"),
  };

  it.each([
    ["noAnswer", "na", { kind: "noAnswer" }],
    ["busy", "bz", { kind: "busy" }],
    ["failed", "fl", { kind: "fail" }],
  ] as const)("%s takes its own branch (%s)", async (outcome, branch, phone) => {
    const g = await groupSetup(`fb_${outcome.toLowerCase()}`, "simultaneous", ["a"], { branches, applets });
    p.driver.setPhone(g.phone("a"), phone);
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: g.number }));
    expect(call.of("ConnectCompleted")[0]?.outcome).toBe(outcome);
    expect(call.of("AppletEntered").map((a) => a.appletId)).toEqual(["c", branch]);
  });

  it("all agents busy takes its branch when no member can take the call and the queue is off", async () => {
    const g = await groupSetup("fb_allbusy", "simultaneous", ["a", "b"], { branches, applets, signIn: [] });
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: g.number }));
    expect(call.of("ConnectCompleted")[0]?.outcome).toBe("allAgentsBusy");
    expect(call.of("AppletEntered").map((a) => a.appletId)).toEqual(["c", "ab"]);
    expect(call.of("LegOriginateRequested")).toHaveLength(0);
  });
});

describe("caller ID", () => {
  it.each([
    ["business", { kind: "business" } as const, (business: string) => business],
    ["caller", { kind: "caller" } as const, () => CALLER],
    ["custom", { kind: "custom", number: "+14155550123" } as const, () => "+14155550123"],
  ])("shows the %s number to the agent", async (name, callerId, expected) => {
    const agentId = `cid_${name}`;
    const { commands, agents } = defineAgents([agentId]);
    const flow = flowOnNumber(`cid_${name}`, "c", {
      c: { kind: "connect", target: { kind: "agent", agentId }, branches: { fallback: "bye" }, callerId },
      bye: hangup,
    });
    await defineConfig(p, [...commands, ...flow.commands]);
    await signIn(p, [agentId]);
    const seen: string[] = [];
    p.driver.setPhone(agents[agentId]!.number, (attempt) => {
      seen.push(attempt.callerId);
      return answered;
    });
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: flow.number }));
    expect(seen).toEqual([expected(flow.number)]);
    expect(call.of("RoutingDecided")[0]?.callerId.source).toBe(name);
  });
});

describe("whisper", () => {
  it("plays the whisper to the agent before the bridge while the caller hears hold music, never the whisper", async () => {
    const whisper = { kind: "tts", text: "Sales call from the website" } as const;
    const g = await groupSetup("wh", "simultaneous", ["a"], {
      applets: { c: toGroup("wh", { fallback: "bye" }, { whisper }) },
    });
    p.driver.setPhone(g.phone("a"), answered);
    const callId = await placeCall(p, { from: CALLER, to: g.number });
    const call = await endedCall(p, callId);
    const agentLeg = call.of("LegOriginateRequested")[0]!.legId;
    const agentLog = p.gateway.mediaLog(agentLeg);
    const whisperAt = agentLog.findIndex((e) => e.kind === "playbackStarted" && e.audio?.kind === "tts");
    const bridgedAt = agentLog.findIndex((e) => e.kind === "bridged");
    expect(whisperAt).toBeGreaterThanOrEqual(0);
    expect(bridgedAt).toBeGreaterThan(whisperAt);
    expect(agentLog.findIndex((e) => e.kind === "playbackFinished")).toBeLessThan(bridgedAt);
    const callerLog = p.gateway.mediaLog(call.state.callerLegId);
    expect(callerLog.some((e) => e.kind === "holdMusicStarted")).toBe(true);
    expect(callerLog.some((e) => e.kind === "playbackStarted" && e.audio?.kind === "tts")).toBe(false);
    // Hold music was on for the caller while the agent heard the whisper, and stopped only for the bridge.
    const holdOn = callerLog.find((e) => e.kind === "holdMusicStarted")!.seq;
    const holdOff = callerLog.find((e) => e.kind === "holdMusicStopped" || e.kind === "bridged")!.seq;
    expect(holdOn).toBeLessThan(agentLog[whisperAt]!.seq);
    expect(holdOff).toBeGreaterThan(agentLog[whisperAt]!.seq);
  });
});
