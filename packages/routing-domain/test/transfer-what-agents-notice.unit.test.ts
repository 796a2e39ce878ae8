import { describe, expect, it } from "vitest";
import {
  type CallCommand,
  type CallEvent,
  InvalidPhoneNumberError,
  TransferInProgressError,
  TransferNotFoundError,
  UnknownGroupError,
} from "../src/index.js";
import { connectToAnn, group, worldWith } from "./support/fixtures.js";
import { ev } from "./support/match.js";
import { BUSINESS, CALLER, callSpec, sec, type World } from "./support/world.js";

/**
 * Issue 16, transfers (transfer.ts): what agents A and B and the caller live through that the suite left
 * untested. Each test is named after the behaviour.
 */

const types = (events: readonly CallEvent[]) => events.map((e) => e.type);

/** The caller connected to ann (A); bob is free for a transfer. */
const connected = (): { w: World; a: string; caller: string } => {
  const w = worldWith({ applets: connectToAnn(), groups: [group("tier2", "sequential", ["cid", "dee"])] });
  w.start("c1", CALLER, BUSINESS, sec(0));
  const a = w.legOf("c1", "ann");
  w.run("c1", { type: "LegAnswered", legId: a, now: sec(3) });
  return { w, a, caller: w.callState("c1").callerLegId };
};

const transferTo = (
  mode: "warm" | "blind",
  target: Extract<CallCommand, { type: "RequestTransfer" }>["target"] = { kind: "agent", agentId: "bob" },
  transferId = "t1",
): CallCommand => ({ type: "RequestTransfer", transferId, mode, target, now: sec(60) });

describe("transfers: what agents and callers notice", () => {
  it("a second transfer while one is under way is refused (TransferInProgressError); the first goes on", () => {
    const { w } = connected();
    w.run("c1", transferTo("warm"));
    callSpec
      .given(w.events("c1"), w.ctx())
      .when(transferTo("warm", { kind: "agent", agentId: "cid" }, "t2"))
      .then(TransferInProgressError);
  });

  it("completing or cancelling a transfer that is not the one under way is refused (TransferNotFoundError)", () => {
    const { w } = connected();
    for (const type of ["CompleteTransfer", "CancelTransfer"] as const) {
      callSpec
        .given(w.events("c1"), w.ctx())
        .when({ type, transferId: "t1", now: sec(61) })
        .then(TransferNotFoundError);
    }
    w.run("c1", transferTo("warm"));
    for (const type of ["CompleteTransfer", "CancelTransfer"] as const) {
      callSpec
        .given(w.events("c1"), w.ctx())
        .when({ type, transferId: "other", now: sec(61) })
        .then(TransferNotFoundError);
    }
  });

  it("a blind transfer cannot be cancelled: A is gone, there is nobody to return the caller to", () => {
    const { w } = connected();
    w.run("c1", transferTo("blind"));
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "CancelTransfer", transferId: "t1", now: sec(61) })
      .then(TransferNotFoundError);
  });

  it("a transfer to an unknown group, or to a number that is not E.164, is refused before anyone is put on hold", () => {
    const { w } = connected();
    callSpec
      .given(w.events("c1"), w.ctx())
      .when(transferTo("warm", { kind: "group", groupId: "nope" }))
      .then(UnknownGroupError);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when(transferTo("warm", { kind: "number", number: "0800 123" }))
      .then(InvalidPhoneNumberError);
  });

  it("warm: A completes before B answers; A is dropped at once and B, on answering, is put straight through to the caller", () => {
    const { w, a, caller } = connected();
    w.run("c1", transferTo("warm"));
    const b = w.legOf("c1", "bob");
    const completed = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "CompleteTransfer", transferId: "t1", now: sec(62) })
      .thenIncludes([ev("LegHangupRequested", { legId: a, reason: "transferCompleted" })]);
    expect(types(completed.call.events)).not.toContain("TransferCompleted");
    w.run("c1", { type: "CompleteTransfer", transferId: "t1", now: sec(62) });
    w.run("c1", { type: "LegEnded", legId: a, reason: "hungUp", now: sec(63) });
    expect(w.status("ann")).not.toBe("onCall");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: b, now: sec(65) })
      .thenIncludes([
        ev("HoldMusicStopped", { legId: caller }),
        ev("LegsBridged", { legIds: [caller, b] }),
        ev("TransferCompleted", { transferId: "t1", agentLegId: b }),
      ]);
  });

  it("warm: A hanging up while B still rings turns it blind; B answering is put through to the caller", () => {
    const { w, a, caller } = connected();
    w.run("c1", transferTo("warm"));
    const b = w.legOf("c1", "bob");
    const left = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: a, reason: "hungUp", now: sec(62) });
    expect(types(left.events)).not.toContain("CallEnded");
    expect(types(left.events)).not.toContain("TransferFailed");
    w.run("c1", { type: "LegEnded", legId: a, reason: "hungUp", now: sec(62) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: b, now: sec(65) })
      .thenIncludes([ev("LegsBridged", { legIds: [caller, b] }), ev("TransferCompleted")]);
  });

  it("warm: B hanging up during the consult returns the caller to A, and B is free again", () => {
    const { w, a, caller } = connected();
    w.run("c1", transferTo("warm"));
    const b = w.legOf("c1", "bob");
    w.run("c1", { type: "LegAnswered", legId: b, now: sec(64) });
    expect(w.status("bob")).toBe("onCall");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: b, reason: "hungUp", now: sec(80) })
      .thenIncludes([
        ev("TransferFailed", { transferId: "t1", returnedTo: a }),
        ev("HoldMusicStopped", { legId: caller }),
        ev("LegsBridged", { legIds: [caller, a] }),
      ]);
    w.run("c1", { type: "LegEnded", legId: b, reason: "hungUp", now: sec(80) });
    expect(w.status("bob")).not.toBe("onCall");
    expect(w.callState("c1").bridge).toEqual([caller, a]);
  });

  it("blind: when B does not answer, the caller (with nobody to return to) is told goodbye and the call ends", () => {
    const { w, caller } = connected();
    w.run("c1", transferTo("blind"));
    const d = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "transferRingTimeout"), now: sec(90) })
      .thenIncludes([
        ev("LegCancelRequested", { legId: w.legOf("c1", "bob") }),
        ev("LegHangupRequested", { legId: caller }),
        ev("CallEnded", { reason: "transferFailed" }),
      ]);
    const failed = d.call.events.find((e) => e.type === "TransferFailed");
    expect(failed?.type === "TransferFailed" && failed.data.returnedTo).toBeUndefined();
  });

  it("the caller hanging up during a transfer stops B's phone ringing and frees B", () => {
    const { w, caller } = connected();
    w.run("c1", transferTo("warm"));
    const b = w.legOf("c1", "bob");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: caller, reason: "hungUp", now: sec(62) })
      .thenIncludes([ev("LegCancelRequested", { legId: b }), ev("CallEnded", { reason: "callerHungUp" })]);
    w.run("c1", { type: "LegEnded", legId: caller, reason: "hungUp", now: sec(62) });
    expect(w.status("bob")).toBe("available");
  });

  it("a stale transfer ring timer (B already answered) changes nothing but its own end", () => {
    const { w } = connected();
    w.run("c1", transferTo("warm"));
    const timer = w.timer("c1", "transferRingTimeout");
    w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "bob"), now: sec(64) });
    expect(Object.keys(w.callState("c1").timers)).not.toContain(timer);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: timer, now: sec(90) })
      .thenNothing();
  });

  it("a transfer to a group rings with the group's ring timeout; to an agent, 30 s", () => {
    const { w } = connected();
    callSpec
      .given(w.events("c1"), w.ctx())
      .when(transferTo("warm", { kind: "group", groupId: "tier2" }))
      .thenIncludes([
        ev("RoutingDecided", {
          purpose: "transfer",
          groupId: "tier2",
          strategy: "sequential",
          chosen: ["cid"],
        }),
        ev("LegOriginateRequested", { role: "consult", agentId: "cid" }),
      ]);
    const toAgent = callSpec.given(w.events("c1"), w.ctx()).when(transferTo("warm"));
    toAgent.thenIncludes([
      ev("LegOriginateRequested", { role: "consult", agentId: "bob", timeoutSec: 30 }),
      ev("TimerScheduled", { kind: "transferRingTimeout", dueAt: sec(90) }),
    ]);
  });

  it("the caller holds to the Connect's own hold music during a transfer; after ringback, to the default tone", () => {
    const held = (holdMusic?: { kind: "url"; url: string } | { kind: "ringback" }) => {
      const w = worldWith({ applets: connectToAnn(holdMusic ? { holdMusic } : {}) });
      w.start("c1", CALLER, BUSINESS, sec(0));
      w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(3) });
      const d = w.run("c1", transferTo("warm"));
      return d.call.events.find((e) => e.type === "HoldMusicStarted")?.data;
    };
    const music = { kind: "url" as const, url: "https://cdn.example.com/hold.wav" };
    expect(held(music)).toMatchObject({ audio: music });
    expect(held({ kind: "ringback" })).toMatchObject({ audio: { kind: "defaultTone" } });
    expect(held()).toMatchObject({ audio: { kind: "defaultTone" } });
  });

  it("why this agent, for a transfer to one agent: the agent's status, idle time and calls, and whether rung", () => {
    const { w } = connected();
    const d = w.run("c1", transferTo("warm"));
    const decided = d.call.events.find((e) => e.type === "RoutingDecided");
    expect(decided?.data).toMatchObject({
      appletId: "connect",
      purpose: "transfer",
      target: { kind: "agent", agentId: "bob" },
      chosen: ["bob"],
      reason: "agent bob is available",
      ringTimeoutSec: 30,
      candidates: [
        {
          agentId: "bob",
          status: "available",
          idleSec: 60,
          callsInPeriod: 0,
          chosen: true,
          reason: "the transfer's agent, available",
        },
      ],
      recording: { enabled: false, reason: "recording continues across the transfer" },
    });
    const { w: w2 } = connected();
    w2.agent("bob", { type: "StartBreak", now: sec(30) });
    const refused = w2.run("c1", transferTo("warm")).call.events.find((e) => e.type === "RoutingDecided");
    expect(refused?.data).toMatchObject({
      chosen: [],
      reason: "agent bob is onBreak",
      candidates: [
        { agentId: "bob", status: "onBreak", chosen: false, reason: "the transfer's agent is onBreak" },
      ],
    });
  });

  it("a transfer to a Round-robin group moves the group's rotation on, as a Connect does", () => {
    const w = worldWith({ applets: connectToAnn(), groups: [group("rr", "roundRobin", ["bob", "cid"])] });
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(3) });
    const d = w.run("c1", transferTo("warm", { kind: "group", groupId: "rr" }));
    expect(d.groups).toMatchObject([
      {
        groupId: "rr",
        events: [{ type: "RoundRobinCursorAdvanced", data: { agentId: "bob", callId: "c1" } }],
      },
    ]);
    // Cancelled and asked again: the rotation goes on after bob.
    w.run("c1", { type: "CancelTransfer", transferId: "t1", now: sec(62) });
    const again = w.run("c1", transferTo("warm", { kind: "group", groupId: "rr" }, "t2"));
    expect(again.call.events.find((e) => e.type === "RoutingDecided")?.data).toMatchObject({
      chosen: ["cid"],
    });
  });

  it("warm: A cancelling after talking to B hangs B up and returns the caller to A", () => {
    const { w, a, caller } = connected();
    w.run("c1", transferTo("warm"));
    const b = w.legOf("c1", "bob");
    w.run("c1", { type: "LegAnswered", legId: b, now: sec(64) });
    const d = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "CancelTransfer", transferId: "t1", now: sec(70) })
      .thenIncludes([
        ev("LegHangupRequested", { legId: b }),
        ev("TransferFailed", { transferId: "t1", returnedTo: a }),
        ev("LegsBridged", { legIds: [caller, a] }),
      ]);
    expect(types(d.call.events)).not.toContain("CallEnded");
  });
});
