import { describe, expect, it } from "vitest";
import type { Applet, CallEvent } from "../src/index.js";
import { group, hangup, worldWith } from "./support/fixtures.js";
import { ev } from "./support/match.js";
import { BUSINESS, CALLER, callSpec, sec, type World } from "./support/world.js";

/**
 * Issue 16: behaviours a caller or an agent lives through that surviving mutants changed while the rest of
 * the suite stayed green. Each test is named after the behaviour and fails on that mutant.
 */

const branches = { noAnswer: "na", busy: "busy", allAgentsBusy: "full", failed: "failed", fallback: "bye" };
const outcomeApplets = (target: Extract<Applet, { kind: "connect" }>["target"], extra = {}) => ({
  connect: { kind: "connect" as const, target, branches, ...extra },
  na: hangup,
  busy: hangup,
  full: hangup,
  failed: hangup,
  bye: hangup,
});

const completed = (w: World, callId: string) =>
  w
    .events(callId)
    .filter((e): e is Extract<CallEvent, { type: "ConnectCompleted" }> => e.type === "ConnectCompleted")
    .map((e) => ({ outcome: e.data.outcome, next: e.data.next }));

describe("what callers and agents notice", () => {
  it("Simultaneous Ring: one agent's phone answering busy while the others still ring does not end the attempt", () => {
    const w = worldWith({
      applets: outcomeApplets({ kind: "group", groupId: "g" }),
      groups: [group("g", "simultaneous", ["ann", "bob", "cid"])],
      signIn: ["ann", "bob", "cid"],
    });
    w.start("c1", CALLER, BUSINESS, sec(1));
    expect(w.legsRung("c1").sort()).toEqual(["ann", "bob", "cid"]);
    const busy = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.legOf("c1", "ann"), reason: "busy", now: sec(3) }).events;
    // Only Ann's leg is gone: nobody else is cancelled and the call does not take the busy branch.
    expect(busy.map((e) => e.type)).toEqual(["LegEnded"]);
    w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "ann"), reason: "busy", now: sec(3) });
    expect(w.status("ann")).toBe("available");
    expect([w.status("bob"), w.status("cid")]).toEqual(["reserved", "reserved"]);
    w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "bob"), now: sec(5) });
    expect(completed(w, "c1")).toEqual([{ outcome: "answered", next: undefined }]);
    expect(w.status("bob")).toBe("onCall");
    expect(w.status("cid")).toBe("available");
    const cancelled = w.events("c1").filter((e) => e.type === "LegCancelRequested");
    expect(cancelled.map((e) => e.data)).toEqual([
      { legId: w.legOf("c1", "cid"), reason: "anotherLegAnswered" },
    ]);
  });

  it("Simultaneous Ring: when every phone answered busy the call takes the busy branch", () => {
    const w = worldWith({
      applets: outcomeApplets({ kind: "group", groupId: "g" }),
      groups: [group("g", "simultaneous", ["ann", "bob"])],
      signIn: ["ann", "bob"],
    });
    w.start("c1", CALLER, BUSINESS, sec(1));
    w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "ann"), reason: "busy", now: sec(2) });
    expect(completed(w, "c1")).toEqual([]);
    w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "bob"), reason: "busy", now: sec(3) });
    expect(completed(w, "c1")).toEqual([{ outcome: "busy", next: "busy" }]);
    const done = w.events("c1").find((e) => e.type === "ConnectCompleted");
    expect(done?.data).toMatchObject({ reason: "every leg ended: busy, busy" });
  });

  for (const queue of [false, true]) {
    it(`Sequential: a group whose agents all let it ring takes noAnswer, not allAgentsBusy (queue ${queue ? "on: not queued" : "off"})`, () => {
      const w = worldWith({
        applets: outcomeApplets({ kind: "group", groupId: "g" }),
        groups: [group("g", "sequential", ["ann", "bob"], { queue: { enabled: queue } })],
        signIn: ["ann", "bob"],
      });
      w.start("c1", CALLER, BUSINESS, sec(1));
      expect(w.legsRung("c1")).toEqual(["ann"]);
      w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(31) });
      expect(w.legsRung("c1")).toEqual(["ann", "bob"]);
      expect(completed(w, "c1")).toEqual([]);
      w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "bob"), reason: "noAnswer", now: sec(50) });
      expect(completed(w, "c1")).toEqual([{ outcome: "noAnswer", next: "na" }]);
      // After the ring attempts are used up the caller is not put in the queue.
      expect(w.events("c1").some((e) => e.type === "CallerEnqueued")).toBe(false);
      expect(w.queues.g?.state.entries ?? []).toEqual([]);
    });
  }

  it("Queue: a caller re-queued after a missed offer keeps their place ahead of later callers", () => {
    const w = worldWith({
      applets: outcomeApplets({ kind: "group", groupId: "sales" }),
      groups: [group("sales", "longestIdle", ["ann", "bob"], { queue: { enabled: true } })],
      signIn: ["ann", "bob"],
    });
    w.agent("ann", { type: "Reserve", callId: "x1", legId: "l", now: sec(0) });
    w.agent("bob", { type: "Reserve", callId: "x2", legId: "l", now: sec(0) });
    for (const [i, id] of ["c1", "c2", "c3"].entries()) w.start(id, CALLER, BUSINESS, sec(1 + i));
    expect(w.queues.sales?.state.entries.map((e) => e.callId)).toEqual(["c1", "c2", "c3"]);
    // Nobody was free for c2 and c3: they queued because no agent was available, not to stay behind c1.
    for (const id of ["c2", "c3"]) {
      const d = w.events(id).find((e) => e.type === "RoutingDecided");
      expect(d?.data).toMatchObject({ chosen: [], reason: "no agent available" });
    }
    w.agent("bob", { type: "Release", callId: "x2", now: sec(10), reason: "done" });
    w.run("c1", { type: "OfferAgent", agentId: "bob", now: sec(10) });
    expect(w.queues.sales?.state.entries.map((e) => e.callId)).toEqual(["c2", "c3"]);
    // Bob lets it ring: c1 returns to the head of the queue, with the time it first queued.
    const back = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.legOf("c1", "bob"), reason: "noAnswer", now: sec(25) });
    back.thenIncludes([ev("CallerEnqueued", { groupId: "sales", enqueuedAt: sec(1), position: 1 })]);
    w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "bob"), reason: "noAnswer", now: sec(25) });
    expect(w.queues.sales?.state.entries).toEqual([
      { callId: "c1", enqueuedAt: sec(1) },
      { callId: "c2", enqueuedAt: sec(2) },
      { callId: "c3", enqueuedAt: sec(3) },
    ]);
  });

  it("Connect to one named agent who is on a call takes the busy branch; signed out takes noAnswer", () => {
    const w = worldWith({ applets: outcomeApplets({ kind: "agent", agentId: "bob" }), signIn: ["bob"] });
    w.agent("bob", { type: "Reserve", callId: "x", legId: "l", now: sec(0) });
    w.agent("bob", { type: "Answer", callId: "x", now: sec(1), periodKey: "2026-11-24" });
    w.start("c1", CALLER, BUSINESS, sec(5));
    expect(completed(w, "c1")).toEqual([{ outcome: "busy", next: "busy" }]);
    expect(w.legsRung("c1")).toEqual([]);
    const away = worldWith({ applets: outcomeApplets({ kind: "agent", agentId: "bob" }), signIn: [] });
    away.start("c1", CALLER, BUSINESS, sec(5));
    expect(completed(away, "c1")).toEqual([{ outcome: "noAnswer", next: "na" }]);
  });
});
