// Inputs that arrive after the fact or from elsewhere: a repeated leg end, a command this version does not
// know, and the customer of a call back hanging up once they are talking to the agent.
import { describe, expect, it } from "vitest";
import type { CallCommand } from "../src/index.js";
import { connectToAnn, group, hangup, worldWith } from "./support/fixtures.js";
import { ev } from "./support/match.js";
import { BUSINESS, CALLER, callSpec, sec, type World } from "./support/world.js";

/** ann and bob are busy; c1 queues in "sales", accepts a callback on their own number and hangs up. */
function callbackRequested(): World {
  const w = worldWith({
    applets: {
      connect: {
        kind: "connect",
        target: { kind: "group", groupId: "sales" },
        branches: { fallback: "bye" },
      },
      bye: hangup,
    },
    groups: [
      group("sales", "longestIdle", ["ann", "bob"], {
        ringTimeoutSec: 20,
        queue: {
          enabled: true,
          maxWaitSec: 120,
          callback: { offerAfterSec: 30, key: "9", maxAttempts: 2, retryAfterSec: 300 },
        },
      }),
    ],
    signIn: ["ann", "bob"],
  });
  for (const a of ["ann", "bob"]) w.agent(a, { type: "Reserve", callId: `x-${a}`, legId: "l", now: sec(0) });
  w.start("c1", CALLER, BUSINESS, sec(1));
  w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "callbackOffer"), now: sec(31) });
  for (const digit of "91") w.run("c1", { type: "DtmfReceived", digit, now: sec(35) });
  w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(38) });
  w.run("c1", { type: "LegEnded", legId: w.callState("c1").callerLegId, reason: "hungUp", now: sec(38) });
  return w;
}

describe("the call decider after the fact", () => {
  it("given an agent's leg that already ended busy and the next agent ringing, when the same leg end is delivered again, then nothing happens", () => {
    const w = worldWith({
      applets: {
        connect: { kind: "connect", target: { kind: "group", groupId: "g" }, branches: { fallback: "bye" } },
        bye: hangup,
      },
      groups: [group("g", "sequential", ["bob", "cid"], { ringTimeoutSec: 15 })],
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    const bobLeg = w.legOf("c1", "bob");
    w.run("c1", { type: "LegEnded", legId: bobLeg, reason: "busy", now: sec(2) });
    expect(w.legsRung("c1")).toEqual(["bob", "cid"]);

    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: bobLeg, reason: "busy", now: sec(3) })
      .thenNothing();
  });

  it("given a call in progress, when a command of a type this version does not know arrives, then it is refused", () => {
    const w = worldWith({ applets: connectToAnn() });
    w.start("c1", CALLER, BUSINESS, sec(0));

    expect(
      () =>
        callSpec
          .given(w.events("c1"), w.ctx())
          .when({ type: "ParkCall", now: sec(1) } as unknown as CallCommand).result,
    ).toThrow(/unknown call command/);
  });

  it("given a call back's customer talking to the agent, when the customer hangs up, then the call ends as the caller hanging up and the agent's leg is hung up", () => {
    const w = callbackRequested();
    w.agent("ann", { type: "Release", callId: "x-ann", now: sec(100), reason: "done" });
    w.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(100) });
    w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(104) });
    w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(106) });
    const customer = w.legOf("c1", undefined);
    w.run("c1", { type: "LegAnswered", legId: customer, now: sec(110) });
    expect(w.callState("c1").bridge).toEqual([customer, w.legOf("c1", "ann")]);

    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: customer, reason: "hungUp", now: sec(200) })
      .thenIncludes([
        ev("LegEnded", { legId: customer }),
        ev("LegHangupRequested", { legId: w.legOf("c1", "ann"), reason: "callerHungUp" }),
        ev("CallEnded", { reason: "callerHungUp" }),
      ]);
  });
});
