import { describe, expect, it } from "vitest";
import { type CallEvent, FlowValidationError } from "../src/index.js";
import { group, hangup, worldWith } from "./support/fixtures.js";
import { ev } from "./support/match.js";
import { BUSINESS, CALLER, callSpec, sec } from "./support/world.js";

const connectTo = (target: Extract<CallEvent, { type: "RoutingDecided" }>["data"]["target"], extra = {}) => ({
  connect: { kind: "connect" as const, target, branches: { fallback: "bye" }, ...extra },
  bye: hangup,
});

describe("Routing targets", () => {
  it("Routing targets › Single Number: routes the call to one specific phone number", () => {
    const w = worldWith({ applets: connectTo({ kind: "number", number: "+14155559999" }) });
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([
        ev("CallStarted", { callId: "c1", from: CALLER, to: BUSINESS }),
        ev("AppletEntered", { appletId: "connect", kind: "connect" }),
        ev("RoutingDecided", { target: { kind: "number", number: "+14155559999" } }),
        ev("LegOriginateRequested", { role: "target", to: { kind: "phone", number: "+14155559999" } }),
      ]);
  });

  it("Routing targets › Agent: routes to a specific user (reserving that agent)", () => {
    const w = worldWith({ applets: connectTo({ kind: "agent", agentId: "bob" }) });
    const d = callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([
        ev("RoutingDecided", { chosen: ["bob"] }),
        ev("LegOriginateRequested", { agentId: "bob", to: { kind: "phone", number: "+14155550102" } }),
      ]);
    expect(d.agents).toMatchObject([
      { agentId: "bob", expectedVersion: 1, events: [{ type: "AgentReserved" }] },
    ]);
  });

  it("Routing targets › Agent Group: routes to a group of agents using its distribution strategy", () => {
    const w = worldWith({
      applets: connectTo({ kind: "group", groupId: "sales" }),
      groups: [group("sales", "longestIdle", ["ann", "bob"])],
    });
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(10) })
      .thenIncludes([
        ev("RoutingDecided", { groupId: "sales", strategy: "longestIdle", configVersion: w.config.version }),
        ev("LegOriginateRequested", { role: "target" }),
      ]);
  });

  it("Routing targets › External Number: routes to any number given in full with its country code", () => {
    const w = worldWith({ applets: connectTo({ kind: "external", number: "+5511987654321" }) });
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([ev("LegOriginateRequested", { to: { kind: "phone", number: "+5511987654321" } })]);
    // Without the country code the flow is refused at configuration time.
    expect(() => worldWith({ applets: connectTo({ kind: "external", number: "011987654321" }) })).toThrow(
      FlowValidationError,
    );
  });

  it("Routing targets › SIP Endpoint: routes to a SIP URI", () => {
    const w = worldWith({ applets: connectTo({ kind: "sip", uri: "sip:frontdesk@pbx.example.com" }) });
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([
        ev("LegOriginateRequested", { to: { kind: "sip", uri: "sip:frontdesk@pbx.example.com" } }),
      ]);
    expect(() => worldWith({ applets: connectTo({ kind: "sip", uri: "frontdesk@pbx" }) })).toThrow(
      FlowValidationError,
    );
  });

  it("How the applet works: target answers → both parties connected (hold music stops, legs bridged)", () => {
    const w = worldWith({ applets: connectTo({ kind: "number", number: "+14155559999" }) });
    w.start("c1", CALLER, BUSINESS, sec(0));
    const leg = w.legOf("c1");
    const caller = w.callState("c1").callerLegId;
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: leg, now: sec(5) })
      .thenIncludes([
        ev("LegAnswered", { legId: leg }),
        ev("HoldMusicStopped", { legId: caller }),
        ev("LegsBridged", { legIds: [caller, leg] }),
        ev("ConnectCompleted", { outcome: "answered" }),
      ]);
  });
});

describe("Distribution strategies", () => {
  /** The agent takes a call at `at` (seconds) and hangs up a second later, without wrap-up. */
  const handled = (w: ReturnType<typeof strategyWorld>, agent: string, callId: string, at: number) => {
    w.agent(agent, { type: "Reserve", callId, legId: "x", now: sec(at) });
    w.agent(agent, { type: "Answer", callId, now: sec(at), periodKey: "2026-11-24" });
    w.agent(agent, { type: "EndCall", callId, now: sec(at + 1), wrapUpSec: 0 });
  };
  const strategyWorld = (strategy: Parameters<typeof group>[1], extra = {}) =>
    worldWith({
      applets: connectTo({ kind: "group", groupId: "g" }),
      groups: [group("g", strategy, ["ann", "bob", "cid"], extra)],
      signIn: [],
    });

  it("Distribution strategies › Round-Robin: each call goes to the next agent in rotation", () => {
    const w = strategyWorld("roundRobin");
    w.signIn(["ann", "bob", "cid"], sec(0));
    const rung: string[] = [];
    for (let i = 0; i < 4; i++) {
      const id = `c${i}`;
      w.start(id, CALLER, BUSINESS, sec(10 + i * 100));
      const [agent] = w.legsRung(id);
      rung.push(agent!);
      w.run(id, { type: "LegAnswered", legId: w.legOf(id), now: sec(12 + i * 100) });
      w.run(id, { type: "LegEnded", legId: w.legOf(id), reason: "hungUp", now: sec(50 + i * 100) });
    }
    expect(rung).toEqual(["ann", "bob", "cid", "ann"]);
    // The cursor is group state kept in events: given it points at bob, the next call goes to cid.
    callSpec
      .given([], { ...w.ctx(), groups: { g: { state: { cursor: "bob" }, version: 7 } } })
      .when({ type: "StartCall", callId: "n", from: CALLER, to: BUSINESS, now: sec(999) })
      .thenIncludes([ev("RoutingDecided", { strategy: "roundRobin", chosen: ["cid"] })]);
  });

  it("Distribution strategies › Simultaneous Ring: all agents ring at once; the first to answer gets the call", () => {
    const w = strategyWorld("simultaneous");
    w.signIn(["ann", "bob", "cid"], sec(0));
    w.start("c1", CALLER, BUSINESS, sec(10));
    expect(w.legsRung("c1")).toEqual(["ann", "bob", "cid"]);
    const [ann, bob, cid] = [w.legOf("c1", "ann"), w.legOf("c1", "bob"), w.legOf("c1", "cid")];
    const d = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: bob, now: sec(14) })
      // Connect the winner, then cancel the losers.
      .thenIncludes([
        ev("LegAnswered", { legId: bob }),
        ev("LegsBridged"),
        ev("LegCancelRequested", { legId: ann }),
        ev("LegCancelRequested", { legId: cid }),
      ]);
    expect(d.agents.map((a) => [a.agentId, a.events.map((e) => e.type)])).toEqual([
      ["bob", ["AgentAnswered"]],
      ["ann", ["AgentReleased"]],
      ["cid", ["AgentReleased"]],
    ]);
  });

  it("Distribution strategies › Sequential: agents ring one at a time in a defined order", () => {
    const w = strategyWorld("sequential");
    w.signIn(["ann", "bob", "cid"], sec(0));
    w.start("c1", CALLER, BUSINESS, sec(10));
    expect(w.legsRung("c1")).toEqual(["ann"]);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(40) })
      .thenIncludes([
        ev("LegCancelRequested", { legId: w.legOf("c1", "ann") }),
        ev("RoutingDecided", { strategy: "sequential", chosen: ["bob"], sequential: { pass: 1, index: 2 } }),
        ev("LegOriginateRequested", { agentId: "bob" }),
      ]);
  });

  it("Distribution strategies › Longest Idle: the call goes to the agent who has been idle the longest", () => {
    const w = strategyWorld("longestIdle");
    w.signIn(["bob"], sec(0));
    w.signIn(["cid"], sec(5));
    w.signIn(["ann"], sec(9));
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(60) })
      .thenIncludes([
        ev("RoutingDecided", {
          chosen: ["bob"],
          candidates: [
            { agentId: "ann", idleSec: 51, chosen: false },
            { agentId: "bob", idleSec: 60, chosen: true },
            { agentId: "cid", idleSec: 55, chosen: false },
          ],
        }),
      ]);
  });

  it("Distribution strategies › Least Calls: call goes to the agent who has handled the fewest calls in the period", () => {
    const w = strategyWorld("leastCalls");
    w.signIn(["ann", "bob", "cid"], sec(0));
    handled(w, "ann", "p1", 1);
    handled(w, "ann", "p2", 3);
    handled(w, "cid", "p3", 5);
    handled(w, "bob", "p4", 7);
    handled(w, "bob", "p5", 9);
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(60) })
      .thenIncludes([
        ev("RoutingDecided", {
          chosen: ["cid"],
          candidates: [
            { agentId: "ann", callsInPeriod: 2 },
            { agentId: "bob", callsInPeriod: 2 },
            { agentId: "cid", callsInPeriod: 1, chosen: true },
          ],
        }),
      ]);
  });

  it("Distribution strategies › Least Calls: of the agents with as few calls, the one idle the longest; the decision says so", () => {
    const w = strategyWorld("leastCalls");
    w.signIn(["ann", "bob", "cid"], sec(0));
    // One call each; bob's ended first, so bob has been idle the longest of the three.
    handled(w, "ann", "p1", 20);
    handled(w, "bob", "p2", 5);
    handled(w, "cid", "p3", 30);
    handled(w, "cid", "p4", 40);
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(60) })
      .thenIncludes([
        ev("RoutingDecided", {
          chosen: ["bob"],
          reason: "bob has the fewest calls in the period and, of those with as few, the longest idle time",
          candidates: [
            {
              agentId: "ann",
              callsInPeriod: 1,
              reason: "1 calls in period, idle 39s: as few calls as bob, idle less (idle 54s)",
            },
            {
              agentId: "bob",
              callsInPeriod: 1,
              chosen: true,
              reason: "1 calls in period, idle 54s: fewest calls, idle longest",
            },
            {
              agentId: "cid",
              callsInPeriod: 2,
              reason: "2 calls in period: more calls than bob (1 calls in period)",
            },
          ],
        }),
      ]);
  });
});

describe("Configuration options", () => {
  const single = (extra = {}) => worldWith({ applets: connectTo({ kind: "agent", agentId: "ann" }, extra) });

  it("Configuration options › Ring Timeout: default 30 seconds, then the fallback path", () => {
    const w = single();
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([
        ev("RoutingDecided", { ringTimeoutSec: 30 }),
        ev("LegOriginateRequested", { timeoutSec: 30 }),
        ev("TimerScheduled", { kind: "ringTimeout", dueAt: sec(30) }),
      ]);
    w.start("c1", CALLER, BUSINESS, sec(0));
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(30) })
      .thenIncludes([
        ev("ConnectCompleted", { outcome: "noAnswer", next: "bye" }),
        ev("AppletEntered", { appletId: "bye" }),
      ]);
  });

  it("Configuration options › Caller ID: default is the business (virtual) number", () => {
    const w = single();
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([ev("LegOriginateRequested", { callerId: BUSINESS })]);
  });

  it("Configuration options › Hold Music: default tone played to the caller while the agent's phone rings", () => {
    const w = single();
    const d = callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) });
    const started = d.events[0] as Extract<CallEvent, { type: "CallStarted" }>;
    d.thenIncludes([
      ev("HoldMusicStarted", { legId: started.data.callerLegId, audio: { kind: "defaultTone" } }),
      ev("LegOriginateRequested"),
    ]);
    // Ringback instead of music, when configured.
    const r = single({ holdMusic: { kind: "ringback" } });
    callSpec
      .given([], r.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([ev("HoldMusicStarted", { audio: { kind: "ringback" } })]);
  });

  it("Configuration options › Max Ring Attempts: default 1 pass over the Sequential list, more when configured", () => {
    const run = (maxRingAttempts?: number) => {
      const w = worldWith({
        applets: connectTo({ kind: "group", groupId: "g" }),
        groups: [group("g", "sequential", ["ann", "bob"], maxRingAttempts ? { maxRingAttempts } : {})],
      });
      w.start("c1", CALLER, BUSINESS, sec(0));
      for (let t = 30; w.callState("c1").status === "active"; t += 30) {
        w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(t) });
      }
      return w.legsRung("c1");
    };
    expect(run()).toEqual(["ann", "bob"]);
    expect(run(2)).toEqual(["ann", "bob", "ann", "bob"]);
  });

  it("Configuration options › Whisper Message: none by default (answer bridges at once); when set, played to the agent first", () => {
    const w = single();
    w.start("c1", CALLER, BUSINESS, sec(0));
    const plain = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(3) }).events;
    expect(plain.map((e) => e.type)).not.toContain("WhisperRequested");
    expect(plain.map((e) => e.type)).toContain("LegsBridged");
    const ww = single({ whisper: { kind: "tts", text: "Incoming sales call" } });
    ww.start("c1", CALLER, BUSINESS, sec(0));
    const leg = ww.legOf("c1", "ann");
    const whispered = callSpec
      .given(ww.events("c1"), ww.ctx())
      .when({ type: "LegAnswered", legId: leg, now: sec(3) })
      .thenIncludes([
        ev("WhisperRequested", { legId: leg, audio: { kind: "tts", text: "Incoming sales call" } }),
      ]);
    expect(whispered.call.events.map((e) => e.type)).not.toContain("LegsBridged");
  });

  it("Configuration options › Record Call: inherits the app-level setting unless overridden on the applet", () => {
    const recordedTypes = (account: boolean, record?: "inherit" | "on" | "off") => {
      const w = worldWith({
        applets: connectTo({ kind: "agent", agentId: "ann" }, record ? { record } : {}),
        account: { type: "ConfigureAccount", recordCalls: account },
      });
      w.start("c1", CALLER, BUSINESS, sec(0));
      const d = w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(2) });
      return d.call.events.filter((e) => e.type === "RecordingStarted").length;
    };
    expect(recordedTypes(true)).toBe(1);
    expect(recordedTypes(false)).toBe(0);
    expect(recordedTypes(true, "off")).toBe(0);
    expect(recordedTypes(false, "on")).toBe(1);
    const w = worldWith({
      applets: connectTo({ kind: "agent", agentId: "ann" }),
      account: { type: "ConfigureAccount", recordCalls: true },
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    const caller = w.callState("c1").callerLegId;
    const leg = w.legOf("c1", "ann");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: leg, now: sec(2) })
      .thenIncludes([
        ev("LegsBridged", { legIds: [caller, leg] }),
        ev("RecordingStarted", {
          legIds: [caller, leg],
          reason: "inherited from the account's app-level setting (on)",
        }),
      ]);
  });
});

describe("Record Call per flow", () => {
  it("Configuration options › Record Call: inherit reads the flow's (app's) setting before the account's", () => {
    const recording = (flow: boolean | undefined, account: boolean, record?: "inherit" | "on" | "off") => {
      const w = worldWith({
        applets: connectTo({ kind: "agent", agentId: "ann" }, record ? { record } : {}),
        account: { type: "ConfigureAccount", recordCalls: account },
        ...(flow === undefined ? {} : { recordCalls: flow }),
      });
      const d = w.start("c1", CALLER, BUSINESS, sec(0));
      const decided = d.call.events.find((e) => e.type === "RoutingDecided");
      return decided?.type === "RoutingDecided" ? decided.data.recording : undefined;
    };
    expect(recording(true, false)).toEqual({
      enabled: true,
      reason: "inherited from the flow's app-level setting (on)",
    });
    expect(recording(false, true)).toEqual({
      enabled: false,
      reason: "inherited from the flow's app-level setting (off)",
    });
    expect(recording(undefined, true)).toEqual({
      enabled: true,
      reason: "inherited from the account's app-level setting (on)",
    });
    expect(recording(false, true, "on")).toEqual({ enabled: true, reason: "set to on on the applet" });
    expect(recording(true, true, "off")).toEqual({ enabled: false, reason: "set to off on the applet" });
  });
});

describe("Caller ID configuration", () => {
  const withCallerId = (callerId: object, passThrough = false) =>
    worldWith({
      applets: connectTo({ kind: "agent", agentId: "ann" }, { callerId }),
      account: { type: "ConfigureAccount", callerIdPassThrough: passThrough },
    });

  it("Caller ID › Business number: the agent sees your virtual number", () => {
    callSpec
      .given([], withCallerId({ kind: "business" }).ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([
        ev("RoutingDecided", { callerId: { number: BUSINESS, source: "business" } }),
        ev("LegOriginateRequested", { callerId: BUSINESS }),
      ]);
  });

  it("Caller ID › Caller's number: the agent sees the caller's number when pass-through is enabled, else the business number and why", () => {
    callSpec
      .given([], withCallerId({ kind: "caller" }, true).ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([ev("LegOriginateRequested", { callerId: CALLER })]);
    callSpec
      .given([], withCallerId({ kind: "caller" }, false).ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([
        ev("RoutingDecided", {
          callerId: {
            number: BUSINESS,
            source: "business",
            reason: "caller's number requested but caller ID pass-through is disabled on the account",
          },
        }),
        ev("LegOriginateRequested", { callerId: BUSINESS }),
      ]);
  });

  it("Caller ID › Custom number: the agent sees a specific number you configure", () => {
    callSpec
      .given([], withCallerId({ kind: "custom", number: "+14155557777" }).ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([ev("LegOriginateRequested", { callerId: "+14155557777" })]);
    expect(() => withCallerId({ kind: "custom", number: "7777" })).toThrow(FlowValidationError);
  });
});
