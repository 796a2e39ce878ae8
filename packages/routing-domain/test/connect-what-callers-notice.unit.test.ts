import { describe, expect, it } from "vitest";
import { buildConfig, type CallEvent } from "../src/index.js";
import { group, hangup, worldWith } from "./support/fixtures.js";
import { ev } from "./support/match.js";
import { BUSINESS, CALLER, callSpec, sec, type World } from "./support/world.js";

/**
 * Issue 16, the Connect applet: what a caller or agent lives through that surviving mutants of connect.ts
 * changed while the rest of the suite stayed green. Each test is named after the behaviour.
 */

const types = (events: readonly CallEvent[]) => events.map((e) => e.type);
const timerKinds = (w: World, callId: string) => Object.values(w.callState(callId).timers).map((t) => t.kind);
const goodbye = { kind: "greeting" as const, audio: { kind: "tts" as const, text: "Sorry, goodbye." } };

describe("Connect: what callers and agents notice", () => {
  it("a Sequential caller whose agent let it ring moves on to the next agent even when later callers are queued", () => {
    const w = worldWith({
      applets: {
        connect: { kind: "connect", target: { kind: "group", groupId: "g" }, branches: { fallback: "bye" } },
        bye: hangup,
      },
      groups: [group("g", "sequential", ["ann", "bob"], { queue: { enabled: true, maxWaitSec: 600 } })],
      signIn: ["ann", "bob"],
    });
    w.agent("bob", { type: "Reserve", callId: "x-bob", legId: "l", now: sec(0) });
    w.start("c1", CALLER, BUSINESS, sec(1));
    expect(w.legsRung("c1")).toEqual(["ann"]);
    // c2 finds nobody free and waits; then bob is free again.
    w.start("c2", "+14155550199", BUSINESS, sec(2));
    expect(w.queues.g?.state.entries.map((e) => e.callId)).toEqual(["c2"]);
    w.agent("bob", { type: "Release", callId: "x-bob", now: sec(5), reason: "done" });
    // c1 was first through the door and is still in its ring order: ann rang out, bob is next.
    const next = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(31) });
    next.thenIncludes([ev("LegOriginateRequested", { agentId: "bob" })]);
    expect(types(next.events)).not.toContain("CallerEnqueued");
  });

  it("when the dial policy refuses every agent of the group the call takes the failed branch, naming each refusal", () => {
    const w = worldWith({
      applets: {
        connect: {
          kind: "connect",
          target: { kind: "group", groupId: "g" },
          branches: { failed: "sorry", fallback: "bye" },
        },
        sorry: goodbye,
        bye: hangup,
      },
      account: { type: "ConfigureAccount", dialPolicy: { deniedPrefixes: ["+1415"] } },
      groups: [group("g", "simultaneous", ["ann", "bob"])],
      signIn: ["ann", "bob"],
    });
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(1) })
      .thenIncludes([
        ev("DialRefused", { agentId: "ann" }),
        ev("DialRefused", { agentId: "bob" }),
        ev("ConnectCompleted", {
          outcome: "failed",
          next: "sorry",
          reason:
            "the account's dial policy refuses every target: +14155550101 starts with the denied prefix +1415; " +
            "+14155550102 starts with the denied prefix +1415",
        }),
      ]);
  });

  it("after a busy agent the fallback Connect's agent rings for their full ring time (the first attempt's timer goes)", () => {
    const w = worldWith({
      applets: {
        connect: {
          kind: "connect",
          target: { kind: "agent", agentId: "ann" },
          ringTimeoutSec: 30,
          branches: { busy: "bob", fallback: "bye" },
        },
        bob: {
          kind: "connect",
          target: { kind: "agent", agentId: "bob" },
          ringTimeoutSec: 30,
          branches: { fallback: "bye" },
        },
        bye: hangup,
      },
      signIn: ["ann", "bob"],
    });
    w.start("c1", CALLER, BUSINESS, sec(1));
    const first = w.timer("c1", "ringTimeout");
    w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "ann"), reason: "busy", now: sec(5) });
    expect(w.legsRung("c1")).toEqual(["ann", "bob"]);
    // The first attempt's ring timer would have been due at 31 s: bob keeps ringing until 35 s.
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: first, now: sec(31) })
      .thenNothing();
    expect(timerKinds(w, "c1")).toEqual(["ringTimeout"]);
  });

  it("a queued caller whose offer the dial policy refuses leaves the queue with no announcement, max wait or callback offer left running", () => {
    const w = worldWith({
      applets: {
        connect: {
          kind: "connect",
          target: { kind: "group", groupId: "g" },
          branches: { failed: "sorry", fallback: "bye" },
        },
        sorry: goodbye,
        bye: hangup,
      },
      groups: [
        group("g", "longestIdle", ["ann"], {
          queue: {
            enabled: true,
            maxWaitSec: 600,
            announcePosition: true,
            announceEverySec: 20,
            callback: { offerAfterSec: 300, key: "9", maxAttempts: 1, retryAfterSec: 60 },
          },
        }),
      ],
      signIn: ["ann"],
    });
    w.agent("ann", { type: "Reserve", callId: "x-ann", legId: "l", now: sec(0) });
    w.start("c1", CALLER, BUSINESS, sec(1));
    expect(timerKinds(w, "c1").sort()).toEqual(["callbackOffer", "queueMaxWait", "queuePosition"]);
    w.config = buildConfig(
      [{ type: "ConfigureAccount", dialPolicy: { deniedPrefixes: ["+1415"] } }],
      w.config,
    );
    w.agent("ann", { type: "Release", callId: "x-ann", now: sec(10), reason: "done" });
    const decision = w.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(10) });
    expect(decision.call.events.find((e) => e.type === "ConnectCompleted")).toMatchObject({
      data: { outcome: "failed", next: "sorry" },
    });
    expect(w.callState("c1").status).toBe("active");
    expect(timerKinds(w, "c1")).toEqual([]);
  });

  it("a caller who waited the queue's maximum leaves it counted as maxWait, and hears no more announcements", () => {
    const w = worldWith({
      applets: {
        connect: {
          kind: "connect",
          target: { kind: "group", groupId: "g" },
          branches: { fallback: "sorry" },
        },
        sorry: goodbye,
      },
      groups: [
        group("g", "longestIdle", ["ann"], {
          queue: { enabled: true, maxWaitSec: 60, announcePosition: true, announceEverySec: 120 },
        }),
      ],
      signIn: ["ann"],
    });
    w.agent("ann", { type: "Reserve", callId: "x-ann", legId: "l", now: sec(0) });
    w.start("c1", CALLER, BUSINESS, sec(1));
    const decision = w.run("c1", {
      type: "TimerFired",
      timerId: w.timer("c1", "queueMaxWait"),
      now: sec(61),
    });
    expect(decision.queues.flatMap((q) => q.events)).toEqual([
      { type: "CallerLeftQueue", data: { callId: "c1", reason: "maxWait", at: sec(61) } },
    ]);
    expect(w.queues.g?.state.entries).toEqual([]);
    expect(decision.call.events.find((e) => e.type === "CallerDequeued")).toMatchObject({
      data: { groupId: "g", reason: "maxWait" },
    });
    expect(timerKinds(w, "c1")).toEqual([]);
  });

  it("a Connect to a named agent who is on a call stops no hold music it never started", () => {
    const w = worldWith({
      applets: {
        connect: {
          kind: "connect",
          target: { kind: "agent", agentId: "ann" },
          branches: { fallback: "sorry" },
        },
        sorry: goodbye,
      },
      signIn: ["ann"],
    });
    w.agent("ann", { type: "Reserve", callId: "x-ann", legId: "l", now: sec(0) });
    w.agent("ann", { type: "Answer", callId: "x-ann", now: sec(0), periodKey: "p" });
    const start = callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(1) });
    start.thenIncludes([ev("ConnectCompleted", { outcome: "busy", next: "sorry" })]);
    expect(types(start.events)).not.toContain("HoldMusicStarted");
    expect(types(start.events)).not.toContain("HoldMusicStopped");
  });

  it("a queued caller's agent hears no whisper and is bridged at once; no queue timer outlives the answer", () => {
    const w = worldWith({
      applets: {
        connect: { kind: "connect", target: { kind: "group", groupId: "g" }, branches: { fallback: "bye" } },
        bye: hangup,
      },
      groups: [
        group("g", "longestIdle", ["ann"], {
          queue: {
            enabled: true,
            maxWaitSec: 600,
            callback: { offerAfterSec: 300, key: "9", maxAttempts: 1, retryAfterSec: 60 },
          },
        }),
      ],
      signIn: ["ann"],
    });
    w.agent("ann", { type: "Reserve", callId: "x-ann", legId: "l", now: sec(0) });
    w.start("c1", CALLER, BUSINESS, sec(1));
    w.agent("ann", { type: "Release", callId: "x-ann", now: sec(10), reason: "done" });
    const offer = w.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(10) });
    const decided = offer.call.events.find((e) => e.type === "RoutingDecided");
    expect(decided?.type === "RoutingDecided" && decided.data.whisper).toBeUndefined();
    const leg = w.legOf("c1", "ann");
    const answer = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: leg, now: sec(14) });
    answer.thenIncludes([ev("LegsBridged", { legIds: [w.callState("c1").callerLegId, leg] })]);
    expect(types(answer.events)).not.toContain("WhisperRequested");
    w.run("c1", { type: "LegAnswered", legId: leg, now: sec(14) });
    expect(timerKinds(w, "c1")).toEqual([]);
  });
});
