import { describe, expect, it } from "vitest";
import {
  AgentBusyError,
  type AgentEvent,
  AgentUnavailableError,
  callsInPeriod,
  evolveAgent,
  INITIAL_AGENT,
  InvalidAgentTransitionError,
  idleSeconds,
  periodKey,
  StaleAgentCommandError,
} from "../src/index.js";
import { agentSpec, sec } from "./support/world.js";

const signedIn: AgentEvent[] = [{ type: "AgentSignedIn", data: { at: sec(0) } }];
const reserved: AgentEvent[] = [
  ...signedIn,
  { type: "AgentReserved", data: { callId: "c1", legId: "l1", at: sec(5) } },
];
const onCall: AgentEvent[] = [
  ...reserved,
  { type: "AgentAnswered", data: { callId: "c1", at: sec(8), periodKey: "2026-11-24" } },
];

describe("agent decider", () => {
  it("signing in makes the agent available and idle since then", () => {
    const e = agentSpec.given([]).when({ type: "SignIn", now: sec(0) }).events;
    const state = e.reduce(evolveAgent, INITIAL_AGENT);
    expect(state).toMatchObject({ status: "available", idleSince: sec(0) });
    expect(idleSeconds(state, sec(42))).toBe(42);
  });

  it("an available agent is reserved with the call id", () => {
    agentSpec
      .given(signedIn)
      .when({ type: "Reserve", callId: "c1", legId: "l1", now: sec(5) })
      .then([{ type: "AgentReserved", data: { callId: "c1", legId: "l1", at: sec(5) } }]);
  });

  it("an agent who is reserved, ringing, on a call or in wrap-up is never offered another call", () => {
    const ringing: AgentEvent[] = [...reserved, { type: "AgentRinging", data: { callId: "c1", at: sec(6) } }];
    const wrapUp: AgentEvent[] = [
      ...onCall,
      { type: "AgentCallEnded", data: { callId: "c1", at: sec(60), wrapUpEndsAt: sec(90) } },
    ];
    for (const past of [reserved, ringing, onCall, wrapUp]) {
      agentSpec
        .given(past)
        .when({ type: "Reserve", callId: "c2", legId: "l2", now: sec(70) })
        .then(AgentBusyError);
    }
  });

  it("signed out, on break and offline agents cannot be reserved", () => {
    const onBreak: AgentEvent[] = [...signedIn, { type: "AgentBreakStarted", data: { at: sec(1) } }];
    const offline: AgentEvent[] = [...signedIn, { type: "AgentWentOffline", data: { at: sec(1) } }];
    for (const past of [[], onBreak, offline]) {
      agentSpec
        .given(past)
        .when({ type: "Reserve", callId: "c2", legId: "l2", now: sec(2) })
        .then(AgentUnavailableError);
    }
  });

  it("releasing a reservation returns the agent to available, keeping the idle time from before the offer", () => {
    const events = agentSpec
      .given(reserved)
      .when({ type: "Release", callId: "c1", now: sec(40), reason: "noAnswer" }).events;
    const state = [...reserved, ...events].reduce(evolveAgent, INITIAL_AGENT);
    expect(state).toMatchObject({ status: "available", idleSince: sec(0) });
    expect(state.callId).toBeUndefined();
  });

  it("a release for another call, or a repeated release, changes nothing", () => {
    agentSpec
      .given(reserved)
      .when({ type: "Release", callId: "c9", now: sec(9), reason: "x" })
      .thenNothing();
    agentSpec
      .given(signedIn)
      .when({ type: "Release", callId: "c1", now: sec(9), reason: "x" })
      .thenNothing();
  });

  it("hang-up with wrap-up 0 (the default) makes the agent available at once, idle since the hang-up", () => {
    const events = agentSpec
      .given(onCall)
      .when({ type: "EndCall", callId: "c1", now: sec(100), wrapUpSec: 0 }).events;
    expect(events).toEqual([{ type: "AgentCallEnded", data: { callId: "c1", at: sec(100) } }]);
    expect([...onCall, ...events].reduce(evolveAgent, INITIAL_AGENT)).toMatchObject({
      status: "available",
      idleSince: sec(100),
    });
  });

  it("configured wrap-up: the agent wraps up until the timer, then is available; a stale wrap-up timer is ignored", () => {
    const ended = agentSpec
      .given(onCall)
      .when({ type: "EndCall", callId: "c1", now: sec(100), wrapUpSec: 20 }).events;
    expect(ended).toEqual([
      { type: "AgentCallEnded", data: { callId: "c1", at: sec(100), wrapUpEndsAt: sec(120) } },
    ]);
    const past = [...onCall, ...ended];
    agentSpec
      .given(past)
      .when({ type: "EndWrapUp", callId: "c0", now: sec(120) })
      .thenNothing();
    agentSpec
      .given(past)
      .when({ type: "EndWrapUp", callId: "c1", now: sec(120) })
      .then([{ type: "AgentWrapUpEnded", data: { callId: "c1", at: sec(120) } }]);
  });

  it("calls handled are counted per period and start again in a new period", () => {
    let state = onCall.reduce(evolveAgent, INITIAL_AGENT);
    expect(callsInPeriod(state, "2026-11-24")).toBe(1);
    expect(callsInPeriod(state, "2026-11-25")).toBe(0);
    state = evolveAgent(state, { type: "AgentCallEnded", data: { callId: "c1", at: sec(50) } });
    state = evolveAgent(state, { type: "AgentReserved", data: { callId: "c2", legId: "l", at: sec(60) } });
    state = evolveAgent(state, {
      type: "AgentAnswered",
      data: { callId: "c2", at: sec(61), periodKey: "2026-11-25" },
    });
    expect(state.calls).toEqual({ periodKey: "2026-11-25", count: 1 });
  });

  it("the period is the current day in the account's time zone", () => {
    const instant = Date.UTC(2026, 10, 24, 20, 30); // 20:30 UTC
    expect(periodKey(instant, "UTC")).toBe("2026-11-24");
    expect(periodKey(instant, "Asia/Tokyo")).toBe("2026-11-25"); // 05:30 next day in Tokyo
    expect(periodKey(instant, "America/Los_Angeles")).toBe("2026-11-24");
    expect(periodKey(instant, "UTC", "hour")).toBe("2026-11-24T20");
    expect(periodKey(instant, "UTC", "week")).toBe("2026-W48");
    expect(periodKey(Date.UTC(2027, 0, 1), "UTC", "week")).toBe("2026-W53");
    expect(periodKey(instant, "UTC", "month")).toBe("2026-11");
  });

  it("signing out or going on break is refused while the agent holds a call", () => {
    agentSpec
      .given(onCall)
      .when({ type: "SignOut", now: sec(9) })
      .then(InvalidAgentTransitionError);
    agentSpec
      .given(reserved)
      .when({ type: "StartBreak", now: sec(9) })
      .then(InvalidAgentTransitionError);
  });

  // The behaviours of issue 16: each test fails on the mutant that a caller or agent would live through.

  it("a late release of a reservation for a call the agent already answered leaves the agent on the call", () => {
    agentSpec
      .given(onCall)
      .when({
        type: "Release",
        callId: "c1",
        now: sec(30),
        reason: "ringTimeout",
        missed: { maxMissedOffers: 1, cooldownSec: 5 },
      })
      .thenNothing();
    agentSpec
      .given(onCall)
      .when({ type: "Release", callId: "c1", now: sec(30), reason: "anotherLegAnswered" })
      .thenNothing();
    const state = onCall.reduce(evolveAgent, INITIAL_AGENT);
    expect(state).toMatchObject({ status: "onCall", callId: "c1", legId: "l1" });
  });

  it("a repeated Answer counts the call once (Least Calls reads the count)", () => {
    agentSpec
      .given(onCall)
      .when({ type: "Answer", callId: "c1", now: sec(9), periodKey: "2026-11-24" })
      .thenNothing();
    const ringing: AgentEvent[] = [...reserved, { type: "AgentRinging", data: { callId: "c1", at: sec(6) } }];
    agentSpec
      .given(ringing)
      .when({ type: "Answer", callId: "c1", now: sec(8), periodKey: "2026-11-24" })
      .then([{ type: "AgentAnswered", data: { callId: "c1", at: sec(8), periodKey: "2026-11-24" } }]);
    expect(callsInPeriod(onCall.reduce(evolveAgent, INITIAL_AGENT), "2026-11-24")).toBe(1);
  });

  it("an Answer for a call the agent holds no part in is refused: busy with another call, or stale", () => {
    agentSpec
      .given(onCall)
      .when({ type: "Answer", callId: "c2", now: sec(9), periodKey: "2026-11-24" })
      .then(AgentBusyError);
    // Released a moment ago (ring timeout), then the phone's answer arrives: never bridged to an idle agent.
    agentSpec
      .given([
        ...reserved,
        { type: "AgentReleased", data: { callId: "c1", at: sec(30), reason: "ringTimeout" } },
      ])
      .when({ type: "Answer", callId: "c1", now: sec(31), periodKey: "2026-11-24" })
      .then(StaleAgentCommandError);
  });

  it("ending a break while on a call is refused and the call is kept", () => {
    agentSpec
      .given(onCall)
      .when({ type: "EndBreak", now: sec(20) })
      .then(InvalidAgentTransitionError);
    agentSpec
      .given(signedIn)
      .when({ type: "EndBreak", now: sec(20) })
      .then(InvalidAgentTransitionError);
    const onBreak: AgentEvent[] = [
      ...signedIn,
      { type: "AgentBreakStarted", data: { at: sec(3), reason: "lunch" } },
    ];
    const ended = agentSpec.given(onBreak).when({ type: "EndBreak", now: sec(20) }).events;
    expect(ended).toEqual([{ type: "AgentBreakEnded", data: { at: sec(20) } }]);
    expect([...onBreak, ...ended].reduce(evolveAgent, INITIAL_AGENT)).toEqual({
      status: "available",
      idleSince: sec(20),
      calls: { periodKey: "", count: 0 },
    });
  });

  it("an available agent signs out, and goes offline, with one event each; a repeat changes nothing", () => {
    const out = agentSpec.given(signedIn).when({ type: "SignOut", now: sec(7) }).events;
    expect(out).toEqual([{ type: "AgentSignedOut", data: { at: sec(7) } }]);
    const signedOut = [...signedIn, ...out];
    expect(signedOut.reduce(evolveAgent, INITIAL_AGENT).status).toBe("signedOut");
    agentSpec
      .given(signedOut)
      .when({ type: "SignOut", now: sec(8) })
      .thenNothing();
    const off = agentSpec.given(signedIn).when({ type: "MarkOffline", now: sec(7) }).events;
    expect(off).toEqual([{ type: "AgentWentOffline", data: { at: sec(7) } }]);
    const offline = [...signedIn, ...off];
    expect(offline.reduce(evolveAgent, INITIAL_AGENT).status).toBe("offline");
    agentSpec
      .given(offline)
      .when({ type: "MarkOffline", now: sec(8) })
      .thenNothing();
    agentSpec
      .given(offline)
      .when({ type: "SignIn", now: sec(9) })
      .then([{ type: "AgentSignedIn", data: { at: sec(9) } }]);
    agentSpec
      .given(signedIn)
      .when({ type: "SignIn", now: sec(9) })
      .thenNothing();
  });

  it("a missed-offer release recorded without its count (older events) still counts one more miss", () => {
    const once: AgentEvent[] = [
      ...reserved,
      { type: "AgentReleased", data: { callId: "c1", at: sec(9), reason: "noAnswer", missed: true } },
    ];
    expect(once.reduce(evolveAgent, INITIAL_AGENT).missedOffers).toBe(1);
    const twice: AgentEvent[] = [
      ...once,
      { type: "AgentReserved", data: { callId: "c2", legId: "l2", at: sec(10) } },
      { type: "AgentReleased", data: { callId: "c2", at: sec(19), reason: "busy", missed: true } },
    ];
    expect(twice.reduce(evolveAgent, INITIAL_AGENT).missedOffers).toBe(2);
  });
});
