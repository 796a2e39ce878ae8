// A transfer to a group rings its members as a Connect would: one at a time (every strategy but
// Simultaneous) over the whole member list, each with the group's ring timeout, before the transfer fails.
import { describe, expect, it } from "vitest";
import { InvalidPhoneNumberError } from "../src/index.js";
import { connectToAnn, group, worldWith } from "./support/fixtures.js";
import { ev } from "./support/match.js";
import { BUSINESS, CALLER, callSpec, sec, type World } from "./support/world.js";

type Strategy = "roundRobin" | "simultaneous" | "sequential" | "longestIdle" | "leastCalls";

/** The caller talks to ann; ann transfers (warm) to group tier2 = bob, cid, dee. */
function transferring(strategy: Strategy): World {
  const w = worldWith({
    applets: connectToAnn(),
    groups: [group("tier2", strategy, ["bob", "cid", "dee"], { ringTimeoutSec: 15 })],
  });
  w.start("c1", CALLER, BUSINESS, sec(0));
  w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(3) });
  w.run("c1", {
    type: "RequestTransfer",
    transferId: "t1",
    mode: "warm",
    target: { kind: "group", groupId: "tier2" },
    now: sec(60),
  });
  return w;
}

describe("transfer to a group follows the group's strategy over its whole member list", () => {
  it("Sequential: the next member in order after a ring timeout, then after a busy, until one answers", () => {
    const w = transferring("sequential");
    expect(w.legsRung("c1")).toEqual(["ann", "bob"]);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "transferRingTimeout"), now: sec(75) })
      .thenIncludes([
        ev("LegCancelRequested", { legId: w.legOf("c1", "bob"), reason: "ringTimeout" }),
        ev("RoutingDecided", { purpose: "transfer", chosen: ["cid"] }),
        ev("LegOriginateRequested", { role: "consult", agentId: "cid", timeoutSec: 15 }),
        ev("TimerScheduled", { kind: "transferRingTimeout" }),
      ]);
    w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "transferRingTimeout"), now: sec(75) });
    // cid's phone is busy: dee next, and the ring timer of cid's attempt is replaced.
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.legOf("c1", "cid"), reason: "busy", now: sec(77) })
      .thenIncludes([ev("TimerCancelled"), ev("RoutingDecided", { purpose: "transfer", chosen: ["dee"] })]);
    w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "cid"), reason: "busy", now: sec(77) });
    w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "dee"), now: sec(80) });
    expect(w.callState("c1").transfer).toMatchObject({
      phase: "consulting",
      consultLegId: w.legOf("c1", "dee"),
    });
    expect(w.status("bob")).toBe("available");
    expect(w.status("dee")).toBe("onCall");
  });

  it("Sequential: when every member has been rung the transfer fails and the caller is back with A", () => {
    const w = transferring("sequential");
    for (const [agentId, at] of [
      ["bob", 75],
      ["cid", 90],
    ] as const) {
      expect(w.legOf("c1", agentId)).toBeDefined();
      w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "transferRingTimeout"), now: sec(at) });
    }
    const a = w.legOf("c1", "ann");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "transferRingTimeout"), now: sec(105) })
      .thenIncludes([
        ev("TransferFailed", { transferId: "t1", returnedTo: a }),
        ev("LegsBridged", { legIds: [w.callState("c1").callerLegId, a] }),
      ]);
    expect(w.legsRung("c1")).toEqual(["ann", "bob", "cid", "dee"]);
  });

  it("Longest idle and Least calls also go on to the next member; nobody is rung twice", () => {
    for (const strategy of ["longestIdle", "leastCalls", "roundRobin"] as const) {
      const w = transferring(strategy);
      for (let at = 75; w.callState("c1").transfer !== undefined; at += 15) {
        w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "transferRingTimeout"), now: sec(at) });
      }
      const rung = w.legsRung("c1").slice(1);
      expect([...rung].sort(), strategy).toEqual(["bob", "cid", "dee"]);
    }
  });

  it("Simultaneous: every member rings at once; when none answers the transfer fails", () => {
    const w = transferring("simultaneous");
    expect(w.legsRung("c1")).toEqual(["ann", "bob", "cid", "dee"]);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "transferRingTimeout"), now: sec(75) })
      .thenIncludes([ev("TransferFailed", { transferId: "t1" })]);
  });

  it("a member cooling down after a missed offer is passed over, as a Connect would", () => {
    const w = transferring("sequential");
    // cid missed an offer a moment ago and rests for 60 s.
    w.agent("cid", { type: "Reserve", callId: "x", legId: "l", now: sec(60) });
    w.agent("cid", {
      type: "Release",
      callId: "x",
      now: sec(61),
      reason: "noAnswer",
      missed: { maxMissedOffers: 5, cooldownSec: 60 },
    });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "transferRingTimeout"), now: sec(75) })
      .thenIncludes([ev("RoutingDecided", { purpose: "transfer", chosen: ["dee"] })]);
  });
});

describe("a transfer's caller ID option, as a Connect's", () => {
  const transferWith = (
    passThrough: boolean,
    callerId?: { kind: "business" } | { kind: "caller" } | { kind: "custom"; number: string },
  ) => {
    const w = worldWith({
      applets: connectToAnn(),
      account: { type: "ConfigureAccount", callerIdPassThrough: passThrough },
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(3) });
    return callSpec.given(w.events("c1"), w.ctx()).when({
      type: "RequestTransfer",
      transferId: "t1",
      mode: "warm",
      target: { kind: "agent", agentId: "bob" },
      ...(callerId ? { callerId } : {}),
      now: sec(60),
    });
  };

  it("the business number by default, the caller's with pass-through, a custom number when asked", () => {
    transferWith(true).thenIncludes([
      ev("RoutingDecided", { callerId: { number: BUSINESS, source: "business" } }),
      ev("LegOriginateRequested", { role: "consult", callerId: BUSINESS }),
    ]);
    transferWith(true, { kind: "caller" }).thenIncludes([
      ev("RoutingDecided", { callerId: { number: CALLER, source: "caller" } }),
      ev("LegOriginateRequested", { role: "consult", callerId: CALLER }),
    ]);
    transferWith(false, { kind: "custom", number: "+14155550199" }).thenIncludes([
      ev("LegOriginateRequested", { role: "consult", callerId: "+14155550199" }),
    ]);
  });

  it("the caller's number without pass-through shows the business number and says why", () => {
    transferWith(false, { kind: "caller" }).thenIncludes([
      ev("RoutingDecided", {
        callerId: {
          number: BUSINESS,
          source: "business",
          reason: "caller's number requested but caller ID pass-through is disabled on the account",
        },
      }),
    ]);
  });

  it("a custom caller ID that is not E.164 is refused", () => {
    transferWith(true, { kind: "custom", number: "12345" }).then(InvalidPhoneNumberError);
  });
});
