// Transfers step by step: what each party lives through in every decision of a transfer (who is put on hold,
// whose phone stops ringing and why, who is bridged to whom, why a transfer failed), written out as the
// call's history reads, so that a changed reason or a missing or extra step shows.
import { describe, expect, it } from "vitest";
import {
  type CallCommand,
  type CallEvent,
  CallNotFoundError,
  type ConfigCommand,
  InvalidPhoneNumberError,
} from "../src/index.js";
import { connectToAnn, group, worldWith } from "./support/fixtures.js";
import { BUSINESS, CALLER, callSpec, sec, type World } from "./support/world.js";

/** The caller talks to ann (A); groups as given. */
function connected(groups: readonly ConfigCommand[] = [], account?: ConfigCommand): World {
  const w = worldWith({ applets: connectToAnn(), groups, ...(account ? { account } : {}) });
  w.start("c1", CALLER, BUSINESS, sec(0));
  w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(3) });
  return w;
}

const transferTo = (
  mode: "warm" | "blind",
  target: Extract<CallCommand, { type: "RequestTransfer" }>["target"],
  now = sec(60),
  transferId = "t1",
): CallCommand => ({ type: "RequestTransfer", transferId, mode, target, now });

/** Names a leg by who is on it: the caller, the agent it rings, or the number it dials. */
function namer(w: World): (legId: string | undefined) => string {
  const names = new Map<string, string>([[w.callState("c1").callerLegId, "caller"]]);
  for (const e of w.events("c1")) {
    if (e.type !== "LegOriginateRequested") continue;
    const to = e.data.to;
    const base = e.data.agentId ?? (to.kind === "phone" ? to.number : "sip");
    const taken = [...names.values()].filter((n) => n === base || n.startsWith(`${base}#`)).length;
    names.set(e.data.legId, taken === 0 ? base : `${base}#${taken + 1}`);
  }
  return (legId) => (legId === undefined ? "nobody" : (names.get(legId) ?? legId));
}

/** One decision's call events as its history reads: the step, who it concerns and why. */
function story(w: World, events: readonly CallEvent[]): string[] {
  const who = namer(w);
  return events.map((e) => {
    switch (e.type) {
      case "LegCancelRequested":
      case "LegHangupRequested":
        return `${e.type} ${who(e.data.legId)}: ${e.data.reason}`;
      case "LegsBridged":
      case "LegsUnbridged":
        return `${e.type} ${e.data.legIds.map(who).join(" + ")}`;
      case "HoldMusicStarted":
      case "HoldMusicStopped":
        return `${e.type} ${who(e.data.legId)}`;
      case "LegOriginateRequested":
        return `${e.type} ${e.data.role} ${e.data.agentId ?? JSON.stringify(e.data.to)}${"agentId" in e.data && e.data.agentId === undefined ? " (agentId: undefined)" : ""}`;
      case "RoutingDecided":
        return `${e.type} [${e.data.chosen.join(", ")}] ${e.data.reason}${e.data.tieBreak ? " (tie-break)" : ""}; recording ${e.data.recording.enabled ? "on" : "off"}`;
      case "TransferRequested":
        return `${e.type} ${e.data.mode}`;
      case "TransferFailed":
        return `${e.type} ${e.data.reason}; back to ${who(e.data.returnedTo)}`;
      case "TransferCompleted":
        return `${e.type} ${who(e.data.agentLegId)}`;
      case "DialRefused":
        return `${e.type} ${"agentId" in e.data ? e.data.agentId : JSON.stringify(e.data.to)}`;
      case "TimerScheduled":
        return `${e.type} ${e.data.kind}`;
      case "CallEnded":
        return `${e.type} ${e.data.reason}`;
      default:
        return e.type;
    }
  });
}

/** Runs the command on the call and tells its decision's story. */
function step(w: World, command: CallCommand): string[] {
  const d = w.run("c1", command);
  return story(w, d.call.events);
}

const leg = (w: World, name: string) => w.legOf("c1", name);
const ringOut = (w: World, now: number): CallCommand => ({
  type: "TimerFired",
  timerId: w.timer("c1", "transferRingTimeout"),
  now,
});

const BOB_NUMBER = "+14155550102";

describe("transfers, step by step", () => {
  it("warm to a Simultaneous group: one member's busy phone leaves the other ringing; when the last one is busy too the caller is back with A", () => {
    const w = connected([group("both", "simultaneous", ["bob", "cid"])]);
    expect(step(w, transferTo("warm", { kind: "group", groupId: "both" }))).toEqual([
      "TransferRequested warm",
      "LegsUnbridged caller + ann",
      "HoldMusicStarted caller",
      "RoutingDecided [bob, cid] ring all 2 available agents at once; recording off",
      "LegOriginateRequested consult bob",
      "LegOriginateRequested consult cid",
      "TimerScheduled transferRingTimeout",
    ]);
    expect(step(w, { type: "LegEnded", legId: leg(w, "bob"), reason: "busy", now: sec(62) })).toEqual([
      "LegEnded",
    ]);
    expect(step(w, { type: "LegEnded", legId: leg(w, "cid"), reason: "busy", now: sec(63) })).toEqual([
      "LegEnded",
      "TimerCancelled",
      "TransferFailed transfer target busy; back to ann",
      "HoldMusicStopped caller",
      "LegsBridged caller + ann",
    ]);
  });

  it("warm to a Simultaneous group: the first member to answer consults with A, the other stops ringing; A completing puts the caller through and the recording follows", () => {
    const w = connected([group("both", "simultaneous", ["bob", "cid"])], {
      type: "ConfigureAccount",
      recordCalls: true,
    });
    w.run("c1", transferTo("warm", { kind: "group", groupId: "both" }));
    expect(
      w
        .events("c1")
        .filter((e) => e.type === "RoutingDecided")
        .at(-1),
    ).toMatchObject({
      data: { purpose: "transfer", recording: { enabled: true } },
    });
    expect(step(w, { type: "LegAnswered", legId: leg(w, "cid"), now: sec(64) })).toEqual([
      "LegAnswered",
      "TimerCancelled",
      "LegsBridged ann + cid",
      "LegCancelRequested bob: anotherLegAnswered",
    ]);
    const recording = w.callState("c1").recordingId;
    const completed = w.run("c1", { type: "CompleteTransfer", transferId: "t1", now: sec(90) });
    expect(story(w, completed.call.events)).toEqual([
      "LegsUnbridged ann + cid",
      "LegHangupRequested ann: transferCompleted",
      "HoldMusicStopped caller",
      "LegsBridged caller + cid",
      "RecordingStopped",
      "RecordingStarted",
      "TransferCompleted cid",
    ]);
    const started = completed.call.events.find((e) => e.type === "RecordingStarted");
    expect(started?.type === "RecordingStarted" && started.data).toMatchObject({
      continues: recording,
      legIds: [w.callState("c1").callerLegId, leg(w, "cid")],
    });
    expect(started?.type === "RecordingStarted" && started.data.recordingId).toMatch(/^c1:rec-/);
    expect(started?.type === "RecordingStarted" && started.data.recordingId).not.toBe(recording);
  });

  it("blind to a number that does not answer: A is dropped at once; at the ring timeout the caller, with nobody to return to, is hung up", () => {
    const w = connected();
    expect(step(w, transferTo("blind", { kind: "number", number: "+14155550199" }))).toEqual([
      "TransferRequested blind",
      "LegsUnbridged caller + ann",
      "HoldMusicStarted caller",
      "LegHangupRequested ann: blindTransfer",
      "RoutingDecided [] transfer to a number; recording off",
      `LegOriginateRequested consult {"kind":"phone","number":"+14155550199"}`,
      "TimerScheduled transferRingTimeout",
    ]);
    // Ids are derived from the call's version and the decision's count, like every leg's.
    expect(w.legOf("c1")).toMatch(/^c1:leg-\d+\.\d+$/);
    w.run("c1", { type: "LegEnded", legId: leg(w, "ann"), reason: "hungUp", now: sec(61) });
    const ended = step(w, ringOut(w, sec(90)));
    expect(ended).toEqual([
      "TimerElapsed",
      "LegCancelRequested +14155550199: transferFailed",
      "TransferFailed transfer target did not answer; back to nobody",
      "LegHangupRequested caller: transferFailed",
      "CallEnded transferFailed",
    ]);
  });

  it("warm to an agent who declines: the caller is back with A, with the reason", () => {
    const w = connected();
    w.run("c1", transferTo("warm", { kind: "agent", agentId: "bob" }));
    expect(step(w, { type: "LegEnded", legId: leg(w, "bob"), reason: "busy", now: sec(62) })).toEqual([
      "LegEnded",
      "TimerCancelled",
      "TransferFailed transfer target busy; back to ann",
      "HoldMusicStopped caller",
      "LegsBridged caller + ann",
    ]);
  });

  it("warm to an agent who does not answer: at the ring timeout B's phone stops ringing and the caller is back with A", () => {
    const w = connected();
    w.run("c1", transferTo("warm", { kind: "agent", agentId: "bob" }));
    expect(step(w, ringOut(w, sec(90)))).toEqual([
      "TimerElapsed",
      "LegCancelRequested bob: transferFailed",
      "TransferFailed transfer target did not answer; back to ann",
      "HoldMusicStopped caller",
      "LegsBridged caller + ann",
    ]);
    expect(w.status("bob")).toBe("available");
  });

  it("warm: B hanging up during the consult returns the caller to A, saying B hung up", () => {
    const w = connected();
    w.run("c1", transferTo("warm", { kind: "agent", agentId: "bob" }));
    w.run("c1", { type: "LegAnswered", legId: leg(w, "bob"), now: sec(64) });
    expect(step(w, { type: "LegEnded", legId: leg(w, "bob"), reason: "hungUp", now: sec(80) })).toEqual([
      "LegEnded",
      "TransferFailed transfer target hung up (hungUp); back to ann",
      "HoldMusicStopped caller",
      "LegsBridged caller + ann",
    ]);
  });

  it("warm: A cancelling while B rings stops B's phone and returns the caller to A, saying A cancelled", () => {
    const w = connected();
    w.run("c1", transferTo("warm", { kind: "agent", agentId: "bob" }));
    expect(step(w, { type: "CancelTransfer", transferId: "t1", now: sec(62) })).toEqual([
      "LegCancelRequested bob: transferFailed",
      "TimerCancelled",
      "TransferFailed cancelled by the transferring agent; back to ann",
      "HoldMusicStopped caller",
      "LegsBridged caller + ann",
    ]);
  });

  it("warm: A hanging up while B rings changes nothing yet: B, answering, is put through to the caller", () => {
    const w = connected();
    w.run("c1", transferTo("warm", { kind: "agent", agentId: "bob" }));
    expect(step(w, { type: "LegEnded", legId: leg(w, "ann"), reason: "hungUp", now: sec(62) })).toEqual([
      "LegEnded",
    ]);
    expect(step(w, { type: "LegAnswered", legId: leg(w, "bob"), now: sec(64) })).toEqual([
      "LegAnswered",
      "TimerCancelled",
      "HoldMusicStopped caller",
      "LegsBridged caller + bob",
      "TransferCompleted bob",
    ]);
  });

  it("warm to a Sequential group: after a ring timeout the next member rings, and the reason names who was tried; when nobody is left the transfer fails saying so", () => {
    const w = connected([group("tier2", "sequential", ["bob", "cid"], { ringTimeoutSec: 15 })]);
    w.run("c1", transferTo("warm", { kind: "group", groupId: "tier2" }));
    expect(step(w, ringOut(w, sec(75)))).toEqual([
      "TimerElapsed",
      "LegCancelRequested bob: ringTimeout",
      "RoutingDecided [cid] transfer target did not answer (bob); next: pass 1 of 1: cid is next in the defined order; recording off",
      "LegOriginateRequested consult cid",
      "TimerScheduled transferRingTimeout",
    ]);
    expect(step(w, ringOut(w, sec(90)))).toEqual([
      "TimerElapsed",
      "LegCancelRequested cid: transferFailed",
      "TransferFailed transfer target did not answer; no other member of group tier2 can take it (no agent available); back to ann",
      "HoldMusicStopped caller",
      "LegsBridged caller + ann",
    ]);
  });

  it("warm to a Sequential group whose next member the dial policy refuses: the transfer fails saying so, and the refused member is not rung", () => {
    const w = connected([group("tier2", "sequential", ["cid", "bob"], { ringTimeoutSec: 15 })], {
      type: "ConfigureAccount",
      dialPolicy: { deniedPrefixes: [BOB_NUMBER] },
    });
    w.run("c1", transferTo("warm", { kind: "group", groupId: "tier2" }));
    expect(step(w, ringOut(w, sec(75)))).toEqual([
      "TimerElapsed",
      "DialRefused bob",
      "LegCancelRequested cid: transferFailed",
      `TransferFailed transfer target did not answer; the account's dial policy refuses the next member: ${BOB_NUMBER} starts with the denied prefix ${BOB_NUMBER}; back to ann`,
      "HoldMusicStopped caller",
      "LegsBridged caller + ann",
    ]);
    expect(w.legsRung("c1")).toEqual(["ann", "cid"]);
  });

  it("a transfer to a Least Calls group records the seeded tie-break among the members who tie, and the next attempt's among those not yet rung", () => {
    const w = connected([group("tier2", "leastCalls", ["bob", "cid", "dee"], { ringTimeoutSec: 15 })]);
    const tieOf = (events: readonly CallEvent[]) => {
      const decided = events.find((e) => e.type === "RoutingDecided");
      return decided?.type === "RoutingDecided"
        ? decided.data.tieBreak?.ranked.map((r) => r.agentId)
        : undefined;
    };
    const first = w.run("c1", transferTo("warm", { kind: "group", groupId: "tier2" }));
    expect([...(tieOf(first.call.events) ?? [])].sort()).toEqual(["bob", "cid", "dee"]);
    const [rung] = w.legsRung("c1").slice(1);

    const next = w.run("c1", ringOut(w, sec(75)));

    expect([...(tieOf(next.call.events) ?? [])].sort()).toEqual(
      ["bob", "cid", "dee"].filter((id) => id !== rung),
    );
  });

  it("a Sequential transfer's third attempt names both members already tried", () => {
    const w = connected([group("tier2", "sequential", ["bob", "cid", "dee"], { ringTimeoutSec: 15 })]);
    w.run("c1", transferTo("warm", { kind: "group", groupId: "tier2" }));
    w.run("c1", ringOut(w, sec(75)));

    expect(step(w, ringOut(w, sec(90)))).toContain(
      "RoutingDecided [dee] transfer target did not answer (bob, cid); next: pass 1 of 1: dee is next in the defined order; recording off",
    );
  });

  it("a transfer to a Round-robin group with nobody available moves no rotation (the group's history is untouched)", () => {
    const w = connected([group("rr", "roundRobin", ["bob", "cid"])]);
    // A first transfer rings bob (the rotation now points at him) and is cancelled; then both go on break.
    w.run("c1", transferTo("warm", { kind: "group", groupId: "rr" }));
    w.run("c1", { type: "CancelTransfer", transferId: "t1", now: sec(61) });
    w.agent("bob", { type: "StartBreak", now: sec(62) });
    w.agent("cid", { type: "StartBreak", now: sec(62) });
    const d = w.run("c1", transferTo("warm", { kind: "group", groupId: "rr" }, sec(63), "t2"));
    expect(story(w, d.call.events)).toEqual([
      "TransferRequested warm",
      "RoutingDecided [] no agent available; recording off",
      "TransferFailed nobody to transfer to: no agent available; back to ann",
    ]);
    expect(d.groups).toEqual([]);
  });

  it("a transfer to an agent on break fails at once and says the agent's status, not a dial-policy refusal", () => {
    const w = connected();
    w.agent("bob", { type: "StartBreak", now: sec(10) });
    expect(step(w, transferTo("warm", { kind: "agent", agentId: "bob" }))).toEqual([
      "TransferRequested warm",
      "RoutingDecided [] agent bob is onBreak; recording off",
      "TransferFailed nobody to transfer to: agent bob is onBreak; back to ann",
    ]);
  });

  it("a transfer to a number the dial policy refuses fails at once and says so", () => {
    const w = connected([], { type: "ConfigureAccount", dialPolicy: { deniedPrefixes: ["+1900"] } });
    expect(step(w, transferTo("warm", { kind: "number", number: "+19005550100" }))).toEqual([
      "TransferRequested warm",
      `DialRefused {"kind":"phone","number":"+19005550100"}`,
      "RoutingDecided [] the account's dial policy refuses it: +19005550100 starts with the denied prefix +1900; recording off",
      "TransferFailed nobody to transfer to: the account's dial policy refuses it: +19005550100 starts with the denied prefix +1900; back to ann",
    ]);
  });

  it("a transfer on a call that was never started is refused as a call not found", () => {
    const w = connected();
    callSpec
      .given([], w.ctx())
      .when(transferTo("warm", { kind: "agent", agentId: "bob" }))
      .then(CallNotFoundError);
  });

  it("a transfer refused for a bad number names the field at fault: the target or the caller ID", () => {
    const w = connected();
    const refusal = (command: CallCommand) => {
      try {
        callSpec.given(w.events("c1"), w.ctx()).when(command).result;
      } catch (e) {
        return e instanceof InvalidPhoneNumberError ? e.field : String(e);
      }
      return "accepted";
    };
    expect(refusal(transferTo("warm", { kind: "number", number: "0800" }))).toBe("transfer target");
    expect(
      refusal({
        ...transferTo("warm", { kind: "agent", agentId: "bob" }),
        callerId: { kind: "custom", number: "12" },
      } as CallCommand),
    ).toBe("transfer caller ID");
  });
});
