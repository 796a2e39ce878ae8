import { describe, expect, it } from "vitest";
import type { Applet, CallEvent, ConfigCommand } from "../src/index.js";
import { group, hangup, worldWith } from "./support/fixtures.js";
import { BUSINESS, CALLER, sec, type World } from "./support/world.js";

/**
 * The recorded decision of a Connect applet is what support reads to explain a call: the ring plan (timeout,
 * caller ID, recording) and why, per candidate and overall. Each field below is checked exactly, so a wrong
 * precedence or a reason that no longer says what happened fails.
 */

type ConnectApplet = Extract<Applet, { kind: "connect" }>;
type Connect = Partial<ConnectApplet>;
const flow = (target: ConnectApplet["target"], extra: Connect = {}): Record<string, Applet> => ({
  connect: { kind: "connect" as const, target, branches: { fallback: "bye" }, ...extra },
  bye: hangup,
});
const decided = (w: World, callId = "c1") =>
  w
    .events(callId)
    .filter((e): e is Extract<CallEvent, { type: "RoutingDecided" }> => e.type === "RoutingDecided")
    .map((e) => e.data);
const completed = (w: World, callId = "c1") =>
  w
    .events(callId)
    .filter((e): e is Extract<CallEvent, { type: "ConnectCompleted" }> => e.type === "ConnectCompleted")
    .map((e) => ({ outcome: e.data.outcome, reason: e.data.reason }));

describe("routing decision: the plan and why", () => {
  it("ring timeout: the applet's, else the group's, else 30 s; on the decision, the originate and the ring timer", () => {
    const cases: Array<[Connect, object, number]> = [
      [{ ringTimeoutSec: 12 }, { ringTimeoutSec: 20 }, 12],
      [{}, { ringTimeoutSec: 20 }, 20],
      [{}, {}, 30],
    ];
    for (const [applet, grp, expected] of cases) {
      const w = worldWith({
        applets: flow({ kind: "group", groupId: "g" }, applet),
        groups: [group("g", "longestIdle", ["ann"], grp)],
        signIn: ["ann"],
      });
      w.start("c1", CALLER, BUSINESS, sec(0));
      expect(decided(w)[0]?.ringTimeoutSec).toBe(expected);
      const originate = w.events("c1").find((e) => e.type === "LegOriginateRequested");
      expect(originate?.data).toMatchObject({ timeoutSec: expected });
      const timer = w.events("c1").find((e) => e.type === "TimerScheduled" && e.data.kind === "ringTimeout");
      expect(timer?.data).toMatchObject({ dueAt: sec(expected) });
    }
  });

  it("Sequential ring attempts: the applet's, else the group's, else one pass", () => {
    const passes = (applet: Connect, grp: object) => {
      const w = worldWith({
        applets: flow({ kind: "group", groupId: "g" }, applet),
        groups: [group("g", "sequential", ["ann"], grp)],
        signIn: ["ann"],
      });
      w.start("c1", CALLER, BUSINESS, sec(0));
      return decided(w)[0]?.reason;
    };
    expect(passes({ maxRingAttempts: 3 }, { maxRingAttempts: 2 })).toBe(
      "pass 1 of 3: ann is next in the defined order",
    );
    expect(passes({}, { maxRingAttempts: 2 })).toBe("pass 1 of 2: ann is next in the defined order");
    expect(passes({}, {})).toBe("pass 1 of 1: ann is next in the defined order");
  });

  it("caller ID and recording carry the reason they were chosen", () => {
    const plan = (
      applet: Connect,
      account: Omit<Extract<ConfigCommand, { type: "ConfigureAccount" }>, "type">,
    ) => {
      const w = worldWith({
        applets: flow({ kind: "agent", agentId: "ann" }, applet),
        account: { type: "ConfigureAccount", ...account },
      });
      w.start("c1", CALLER, BUSINESS, sec(0));
      const d = decided(w)[0]!;
      return { callerId: d.callerId, recording: d.recording };
    };
    expect(plan({}, {})).toStrictEqual({
      callerId: { number: BUSINESS, source: "business", reason: "business number (default)" },
      recording: { enabled: false, reason: "inherited from the account's app-level setting (off)" },
    });
    expect(plan({ callerId: { kind: "caller" }, record: "on" }, { callerIdPassThrough: true })).toStrictEqual(
      {
        callerId: {
          number: CALLER,
          source: "caller",
          reason: "caller's number: pass-through enabled on the account",
        },
        recording: { enabled: true, reason: "set to on on the applet" },
      },
    );
    expect(
      plan({ callerId: { kind: "custom", number: "+14155557777" }, record: "off" }, { recordCalls: true }),
    ).toStrictEqual({
      callerId: {
        number: "+14155557777",
        source: "custom",
        reason: "custom number configured on the applet",
      },
      recording: { enabled: false, reason: "set to off on the applet" },
    });
    expect(plan({ record: "inherit" }, { recordCalls: true }).recording).toStrictEqual({
      enabled: true,
      reason: "inherited from the account's app-level setting (on)",
    });
  });

  it("a named agent: chosen when available; otherwise the decision and the outcome say what the agent is doing", () => {
    const w = worldWith({ applets: flow({ kind: "agent", agentId: "ann" }), signIn: ["ann"] });
    w.start("c1", CALLER, BUSINESS, sec(0));
    expect(decided(w)[0]).toMatchObject({
      chosen: ["ann"],
      reason: "agent ann is available",
      candidates: [
        { agentId: "ann", status: "available", chosen: true, reason: "the applet's agent, available" },
      ],
    });
    const away = worldWith({ applets: flow({ kind: "agent", agentId: "ann" }), signIn: ["ann"] });
    away.agent("ann", { type: "StartBreak", now: sec(0) });
    away.start("c1", CALLER, BUSINESS, sec(1));
    expect(decided(away)[0]).toMatchObject({
      chosen: [],
      legs: [],
      reason: "agent ann is onBreak",
      candidates: [
        { agentId: "ann", status: "onBreak", chosen: false, reason: "the applet's agent is onBreak" },
      ],
    });
    expect(completed(away)).toStrictEqual([{ outcome: "noAnswer", reason: "agent ann is onBreak" }]);
  });

  it("a named agent cooling down after a missed offer is not rung, and the decision says until when", () => {
    const w = worldWith({
      applets: flow({ kind: "agent", agentId: "ann" }),
      account: { type: "ConfigureAccount", maxMissedOffers: 0, missedOfferCooldownSec: 60 },
      signIn: ["ann"],
    });
    w.agent("ann", { type: "Reserve", callId: "x", legId: "l", now: sec(0) });
    w.agent("ann", {
      type: "Release",
      callId: "x",
      now: sec(10),
      reason: "noAnswer",
      missed: { maxMissedOffers: 0, cooldownSec: 60 },
    });
    w.start("c1", CALLER, BUSINESS, sec(20));
    const why = `in cooldown after a missed offer until ${sec(70)}`;
    expect(decided(w)[0]).toMatchObject({
      chosen: [],
      reason: `agent ann is ${why}`,
      candidates: [
        { agentId: "ann", status: "available", chosen: false, reason: `the applet's agent is ${why}` },
      ],
    });
    expect(completed(w)).toStrictEqual([{ outcome: "noAnswer", reason: `agent ann is ${why}` }]);
    expect(w.status("ann")).toBe("available");
  });

  it("a target removed from the configuration fails the Connect and says so", () => {
    // Validation refuses a flow naming an unknown target; a view that lags the removal is what this guards.
    const agentGone = worldWith({ applets: flow({ kind: "agent", agentId: "ann" }) });
    const { ann: _ann, ...agents } = agentGone.config.agents;
    agentGone.config = { ...agentGone.config, agents };
    agentGone.start("c1", CALLER, BUSINESS, sec(0));
    expect(completed(agentGone)).toStrictEqual([
      { outcome: "failed", reason: "agent ann is no longer configured" },
    ]);
    const groupGone = worldWith({
      applets: flow({ kind: "group", groupId: "g" }),
      groups: [group("g", "longestIdle", ["ann"])],
    });
    groupGone.config = { ...groupGone.config, groups: {} };
    groupGone.start("c1", CALLER, BUSINESS, sec(0));
    expect(completed(groupGone)).toStrictEqual([
      { outcome: "failed", reason: "group g is no longer configured" },
    ]);
  });

  it("a new caller joins behind callers already queued even when an agent is free, and every candidate says why", () => {
    const w = worldWith({
      applets: flow({ kind: "group", groupId: "g" }),
      groups: [group("g", "longestIdle", ["ann", "bob"], { queue: { enabled: true } })],
      signIn: ["ann", "bob"],
    });
    w.agent("ann", { type: "Reserve", callId: "x1", legId: "l", now: sec(0) });
    w.agent("bob", { type: "Reserve", callId: "x2", legId: "l", now: sec(0) });
    w.start("c1", CALLER, BUSINESS, sec(1));
    w.agent("bob", { type: "Release", callId: "x2", now: sec(2), reason: "done" });
    w.start("c2", CALLER, BUSINESS, sec(3));
    const d = decided(w, "c2")[0]!;
    expect(d.chosen).toEqual([]);
    expect(d.legs).toEqual([]);
    expect(d.reason).toBe("1 caller(s) already waiting in the queue of group g: joining behind them");
    expect(d.candidates.map((c) => [c.agentId, c.chosen, c.reason])).toEqual([
      ["ann", false, "skipped: already reserved for another call"],
      ["bob", false, "idle 3s: longest idle; but 1 caller(s) already queued"],
    ]);
    expect(w.queues.g?.state.entries.map((e) => e.callId)).toEqual(["c1", "c2"]);
    expect(w.status("bob")).toBe("available");
  });

  it("a full queue ends the Connect with queueFull (the all-agents-busy branch) and says the queue is full", () => {
    const w = worldWith({
      applets: flow({ kind: "group", groupId: "g" }),
      groups: [group("g", "longestIdle", ["ann"], { queue: { enabled: true, maxSize: 1 } })],
      signIn: ["ann"],
    });
    w.agent("ann", { type: "Reserve", callId: "x1", legId: "l", now: sec(0) });
    w.start("c1", CALLER, BUSINESS, sec(1));
    w.start("c2", CALLER, BUSINESS, sec(2));
    expect(completed(w, "c1")).toEqual([]);
    expect(completed(w, "c2")).toStrictEqual([
      { outcome: "queueFull", reason: "queue of group g is full (1 callers)" },
    ]);
    const off = worldWith({
      applets: flow({ kind: "group", groupId: "g" }),
      groups: [group("g", "longestIdle", ["ann"])],
      signIn: [],
    });
    off.start("c1", CALLER, BUSINESS, sec(1));
    expect(completed(off)).toStrictEqual([
      { outcome: "allAgentsBusy", reason: "no agent of group g is available and its queue is off" },
    ]);
  });

  it("a number target: no candidates, no agent reserved, and the decision names the kind of target", () => {
    const w = worldWith({ applets: flow({ kind: "number", number: "+14155559999" }) });
    const d = w.start("c1", CALLER, BUSINESS, sec(0));
    expect(decided(w)[0]).toMatchObject({ candidates: [], chosen: [], reason: "number target" });
    expect(d.agents).toEqual([]);
  });

  it("a named agent's candidate entry carries idle seconds and calls in the period", () => {
    const w = worldWith({ applets: flow({ kind: "agent", agentId: "ann" }), signIn: ["ann"] });
    w.start("c1", CALLER, BUSINESS, sec(7));
    expect(decided(w)[0]?.candidates).toStrictEqual([
      {
        agentId: "ann",
        status: "available",
        idleSec: 7,
        callsInPeriod: 0,
        chosen: true,
        reason: "the applet's agent, available",
      },
    ]);
  });

  it("only Round-Robin writes the group's cursor", () => {
    const w = worldWith({
      applets: flow({ kind: "group", groupId: "g" }),
      groups: [group("g", "longestIdle", ["ann", "bob"])],
    });
    const d = w.start("c1", CALLER, BUSINESS, sec(1));
    expect(d.groups).toEqual([]);
  });

  it("a Connect whose outcome has no branch ends the call saying so, and hold music starts once across Sequential steps", () => {
    const w = worldWith({
      applets: flow({ kind: "group", groupId: "g" }),
      groups: [group("g", "sequential", ["ann", "bob"])],
      signIn: ["ann", "bob"],
    });
    // Validation refuses a Connect without branches; a flow changed under a running call can still lack one.
    const main = w.config.flows.main!;
    const connect = main.applets.connect as ConnectApplet;
    w.config = {
      ...w.config,
      flows: { main: { ...main, applets: { ...main.applets, connect: { ...connect, branches: {} } } } },
    };
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(30) });
    expect(w.events("c1").filter((e) => e.type === "HoldMusicStarted")).toHaveLength(1);
    w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "bob"), reason: "noAnswer", now: sec(40) });
    const done = w.events("c1").find((e) => e.type === "ConnectCompleted");
    expect(done?.data).toStrictEqual({
      appletId: "connect",
      outcome: "noAnswer",
      reason: "all 1 passes used",
    });
    expect(w.events("c1").filter((e) => e.type === "HoldMusicStopped")).toHaveLength(1);
    expect(w.events("c1").find((e) => e.type === "CallEnded")?.data).toMatchObject({
      reason: "no branch for outcome noAnswer",
    });
  });
});
