import { describe, expect, it } from "vitest";
import {
  agentsHeldBy,
  buildConfig,
  CallAlreadyStartedError,
  type CallEvent,
  configDecider,
  decisionWrites,
  groupsOf,
  InvalidPhoneNumberError,
  InvalidSettingError,
  legCommandsFrom,
  UnknownNumberError,
} from "../src/index.js";
import { connectToAnn, group, hangup, worldWith } from "./support/fixtures.js";
import { ev } from "./support/match.js";
import { AGENTS, BUSINESS, CALLER, callSpec, sec } from "./support/world.js";

const groupFlow = (extra = {}) => ({
  connect: {
    kind: "connect" as const,
    target: { kind: "group" as const, groupId: "g" },
    branches: { fallback: "bye" },
    ...extra,
  },
  bye: hangup,
});

describe("Troubleshooting", () => {
  it("Troubleshooting › Call goes directly to fallback: the configured ring timeout (e.g. 45 s) is what the leg and timer use", () => {
    const w = worldWith({
      applets: groupFlow({ ringTimeoutSec: 45 }),
      groups: [group("g", "roundRobin", ["ann"])],
    });
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([
        ev("LegOriginateRequested", { timeoutSec: 45 }),
        ev("TimerScheduled", { kind: "ringTimeout", dueAt: sec(45) }),
      ]);
    // The group's own ring timeout applies when the applet sets none.
    const g = worldWith({
      applets: groupFlow(),
      groups: [group("g", "roundRobin", ["ann"], { ringTimeoutSec: 40 })],
    });
    callSpec
      .given([], g.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([ev("TimerScheduled", { kind: "ringTimeout", dueAt: sec(40) })]);
    expect(() =>
      configDecider.decide(
        {
          type: "DefineGroup",
          groupId: "g2",
          name: "g2",
          strategy: "roundRobin",
          members: [],
          ringTimeoutSec: 0,
        },
        buildConfig(AGENTS),
      ),
    ).toThrow(InvalidSettingError);
  });

  it("Troubleshooting › Agent's phone does not ring: the agent's number is verified when it is configured", () => {
    expect(() =>
      buildConfig([
        { type: "DefineAgent", agentId: "a", name: "A", contact: { kind: "phone", number: "555 0101" } },
      ]),
    ).toThrow(InvalidPhoneNumberError);
  });

  it("Troubleshooting › Caller hears nothing while waiting: without configured hold music the default tone plays", () => {
    const w = worldWith({ applets: groupFlow(), groups: [group("g", "simultaneous", ["ann", "bob"])] });
    const d = callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([
        ev("HoldMusicStarted", { legId: "c1:leg-0.1", audio: { kind: "defaultTone" } }),
        ev("LegOriginateRequested"),
      ]);
    expect(legCommandsFrom(d.call.events)[0]).toEqual({
      kind: "playHoldMusic",
      legId: "c1:leg-0.1",
      audio: { kind: "defaultTone" },
    });
  });

  it("Troubleshooting › Calls not distributed evenly: Round-Robin spreads calls evenly over the group's agents", () => {
    const w = worldWith({
      applets: groupFlow(),
      // Every offer rings out: autopause after missed offers would take agents out of the rotation.
      groups: [group("g", "roundRobin", ["ann", "bob", "cid", "dee"], { maxMissedOffers: 0 })],
    });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 20; i++) {
      const id = `c${i}`;
      w.start(id, CALLER, BUSINESS, sec(i * 10));
      const [agent] = w.legsRung(id);
      counts[agent!] = (counts[agent!] ?? 0) + 1;
      w.run(id, { type: "LegEnded", legId: w.legOf(id), reason: "noAnswer", now: sec(i * 10 + 5) });
    }
    expect(counts).toEqual({ ann: 5, bob: 5, cid: 5, dee: 5 });
  });
});

describe("call decider edges", () => {
  const simultaneous = () => {
    const w = worldWith({ applets: groupFlow(), groups: [group("g", "simultaneous", ["ann", "bob"])] });
    w.start("c1", CALLER, BUSINESS, sec(0));
    return w;
  };

  it("a stale timer (already cancelled or handled) is ignored", () => {
    const w = simultaneous();
    const timer = w.timer("c1", "ringTimeout");
    w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(3) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: timer, now: sec(30) })
      .thenNothing();
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: "nope", now: sec(30) })
      .thenNothing();
  });

  it("a losing leg that answers after it was cancelled is hung up at once", () => {
    const w = simultaneous();
    const bob = w.legOf("c1", "bob");
    w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(3) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: bob, now: sec(3) })
      .then([
        { type: "LegAnswered", data: { legId: bob, at: sec(3) } },
        { type: "LegHangupRequested", data: { legId: bob, reason: "lostRace" } },
      ]);
  });

  it("the caller hanging up while agents ring cancels every leg and releases every agent", () => {
    const w = simultaneous();
    const d = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: "c1:leg-0.1", reason: "hungUp", now: sec(4) })
      .thenIncludes([
        ev("TimerCancelled"),
        ev("LegCancelRequested", { legId: w.legOf("c1", "ann"), reason: "callerHungUp" }),
        ev("LegCancelRequested", { legId: w.legOf("c1", "bob") }),
        ev("CallEnded", { reason: "callerHungUp" }),
      ]);
    expect(d.agents.flatMap((a) => a.events.map((e) => e.type))).toEqual(["AgentReleased", "AgentReleased"]);
  });

  it("the agent hanging up ends the call and the agent enters configured wrap-up", () => {
    const w = worldWith({
      applets: groupFlow(),
      groups: [group("g", "roundRobin", ["ann"])],
    });
    w.config = buildConfig(
      [
        {
          type: "DefineAgent",
          agentId: "ann",
          name: "Ann",
          contact: { kind: "phone", number: "+14155550101" },
          wrapUpSec: 15,
        },
      ],
      w.config,
    );
    w.start("c1", CALLER, BUSINESS, sec(0));
    const leg = w.legOf("c1", "ann");
    w.run("c1", { type: "LegRinging", legId: leg, now: sec(1) });
    expect(w.status("ann")).toBe("ringing");
    w.run("c1", { type: "LegAnswered", legId: leg, now: sec(2) });
    const d = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: leg, reason: "hungUp", now: sec(100) })
      .thenIncludes([
        ev("LegHangupRequested", { legId: "c1:leg-0.1" }),
        ev("CallEnded", { reason: "agentHungUp" }),
      ]);
    expect(d.agents).toMatchObject([
      { agentId: "ann", events: [{ type: "AgentCallEnded", data: { wrapUpEndsAt: sec(115) } }] },
    ]);
  });

  it("every routing decision records the configuration version it used", () => {
    const w = worldWith({ applets: groupFlow(), groups: [group("g", "roundRobin", ["ann"])] });
    const d = callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) });
    const decided = d.events.filter(
      (e): e is Extract<CallEvent, { type: "RoutingDecided" }> => e.type === "RoutingDecided",
    );
    expect(decided).toHaveLength(1);
    expect(decided[0]!.data.configVersion).toBe(w.config.version);
    expect(d.events[0]).toMatchObject({ type: "CallStarted", data: { configVersion: w.config.version } });
  });

  it("a call to an unknown number, or a second StartCall, is refused", () => {
    const w = worldWith({ applets: groupFlow(), groups: [group("g", "roundRobin", ["ann"])] });
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: "+19999999999", now: sec(0) })
      .then(UnknownNumberError);
    w.start("c1", CALLER, BUSINESS, sec(0));
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .then(CallAlreadyStartedError);
  });

  it("the decision carries expected versions of every stream it touches", () => {
    const w = worldWith({ applets: groupFlow(), groups: [group("g", "roundRobin", ["ann", "bob"])] });
    const d = w.start("c1", CALLER, BUSINESS, sec(0));
    expect(d.call).toMatchObject({ streamId: "call-c1", expectedVersion: 0 });
    expect(d.agents).toMatchObject([{ streamId: "agent-ann", expectedVersion: 1 }]);
    expect(d.groups).toMatchObject([
      {
        streamId: "group-g",
        expectedVersion: 0,
        events: [{ type: "RoundRobinCursorAdvanced", data: { agentId: "ann" } }],
      },
    ]);
    const next = w.run("c1", { type: "LegRinging", legId: w.legOf("c1", "ann"), now: sec(1) });
    expect(next.call.expectedVersion).toBe(d.call.events.length);
    expect(next.agents).toMatchObject([{ streamId: "agent-ann", expectedVersion: 2 }]);
  });
});

describe("more call behaviour", () => {
  it("How the Connect applet works › 1-5: identify target, originate, caller hears hold music, answer connects, else fallback", () => {
    const w = worldWith({ applets: groupFlow(), groups: [group("g", "roundRobin", ["ann"])] });
    const d = callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([
        ev("RoutingDecided", { target: { kind: "group", groupId: "g" }, chosen: ["ann"] }), // 1. identify the target
        ev("HoldMusicStarted"), // 3. the caller hears hold music
        ev("LegOriginateRequested", { agentId: "ann" }), // 2. outbound leg to the target
        ev("TimerScheduled", { kind: "ringTimeout" }),
      ]);
    expect(legCommandsFrom(d.call.events).map((c) => c.kind)).toEqual(["playHoldMusic", "originate"]);
    w.start("c1", CALLER, BUSINESS, sec(0));
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(5) })
      .thenIncludes([ev("LegsBridged")]); // 4. answered: both parties connected
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(30) })
      .thenIncludes([ev("ConnectCompleted", { outcome: "noAnswer", next: "bye" })]); // 5. not answered: fallback
  });

  it("an admin hang-up tears the call down: legs, agents, timers, recording", () => {
    const w = worldWith({
      applets: groupFlow(),
      groups: [group("g", "roundRobin", ["ann"])],
      account: { type: "ConfigureAccount", recordCalls: true },
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    const leg = w.legOf("c1", "ann");
    w.run("c1", { type: "LegAnswered", legId: leg, now: sec(2) });
    const d = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "HangUp", reason: "admin", now: sec(9) })
      .thenIncludes([
        ev("RecordingStopped"),
        ev("LegHangupRequested", { legId: "c1:leg-0.1", reason: "admin" }),
        ev("LegHangupRequested", { legId: leg, reason: "admin" }),
        ev("CallEnded", { reason: "admin" }),
      ]);
    expect(d.agents).toMatchObject([{ agentId: "ann", events: [{ type: "AgentCallEnded" }] }]);
    w.run("c1", { type: "HangUp", reason: "admin", now: sec(9) });
    // After the end, late facts change nothing but stray answers are hung up.
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "HangUp", reason: "again", now: sec(10) })
      .thenNothing();
  });

  it("Agent A can cancel a warm transfer before B answers; the caller returns to A", () => {
    const w = worldWith({
      applets: connectToAnn(),
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    const a = w.legOf("c1", "ann");
    w.run("c1", { type: "LegAnswered", legId: a, now: sec(2) });
    w.run("c1", {
      type: "RequestTransfer",
      transferId: "t1",
      mode: "warm",
      target: { kind: "agent", agentId: "bob" },
      now: sec(20),
    });
    const b = w.legOf("c1", "bob");
    const d = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "CancelTransfer", transferId: "t1", now: sec(25) })
      .thenIncludes([
        ev("LegCancelRequested", { legId: b }),
        ev("TransferFailed", { transferId: "t1", returnedTo: a }),
        ev("LegsBridged", { legIds: ["c1:leg-0.1", a] }),
      ]);
    expect(d.agents).toMatchObject([{ agentId: "bob", events: [{ type: "AgentReleased" }] }]);
  });

  it("groups an agent serves are derived from the groups' ordered member lists", () => {
    const w = worldWith({
      applets: groupFlow(),
      groups: [group("g", "roundRobin", ["ann", "bob"]), group("h", "sequential", ["bob"])],
    });
    expect(groupsOf(w.config, "bob")).toEqual(["g", "h"]);
    expect(groupsOf(w.config, "dee")).toEqual([]);
  });
});

describe("runaway flows", () => {
  it("a fallback loop through a Connect that cannot wait (nobody available, no queue) ends the call instead of spinning", () => {
    const w = worldWith({
      applets: {
        connect: {
          kind: "connect",
          target: { kind: "group", groupId: "g" },
          branches: { fallback: "connect" },
        },
      },
      groups: [group("g", "roundRobin", ["ann"])],
      signIn: [],
    });
    const d = callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) });
    d.thenIncludes([ev("AppletEntered", { appletId: "connect" }), ev("CallEnded", { reason: "flowLoop" })]);
    expect(d.events.filter((e) => e.type === "AppletEntered").length).toBe(64);
  });
});

describe("router helpers", () => {
  it("decisionWrites lists the non-empty stream writes (call first) and agentsHeldBy the agents on live legs", () => {
    const w = worldWith({ applets: groupFlow(), groups: [group("g", "simultaneous", ["ann", "bob"])] });
    const d = w.start("c1", CALLER, BUSINESS, sec(0));
    expect(decisionWrites(d).map((x) => [x.streamId, x.expectedVersion, x.events.length])).toEqual([
      ["call-c1", 0, d.call.events.length],
      ["agent-ann", 1, 1],
      ["agent-bob", 1, 1],
    ]);
    expect(agentsHeldBy(w.callState("c1"))).toEqual(["ann", "bob"]);
    w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "bob"), now: sec(2) });
    expect(agentsHeldBy(w.callState("c1"))).toEqual(["bob"]);
  });
});
