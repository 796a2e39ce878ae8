// Callbacks that keep the caller's place in line: offer, confirm (or another number), hang up, and when the
// caller's turn comes the agent is rung first, then the customer; unanswered call backs are retried.
import { describe, expect, it } from "vitest";
import { group, hangup, worldWith } from "./support/fixtures.js";
import { ev } from "./support/match.js";
import { BUSINESS, CALLER, callSpec, sec, type World } from "./support/world.js";

const CALLBACK = { offerAfterSec: 30, key: "9", maxAttempts: 2, retryAfterSec: 300 };

/** ann and bob are busy; c1 queues in "sales", which offers callbacks. */
function queued(): World {
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
        queue: { enabled: true, maxWaitSec: 120, callback: CALLBACK },
      }),
    ],
    signIn: ["ann", "bob"],
  });
  for (const a of ["ann", "bob"]) w.agent(a, { type: "Reserve", callId: `x-${a}`, legId: "l", now: sec(0) });
  w.start("c1", CALLER, BUSINESS, sec(1));
  return w;
}

const timer = (w: World, kind: Parameters<World["timer"]>[1], at: number) =>
  w.run("c1", { type: "TimerFired", timerId: w.timer("c1", kind), now: sec(at) });
const press = (w: World, digits: string, at: number) => {
  for (const digit of digits) w.run("c1", { type: "DtmfReceived", digit, now: sec(at) });
};
const prompts = (w: World) =>
  w
    .events("c1")
    .flatMap((e) =>
      e.type === "PlaybackStarted" && e.data.purpose === "callbackPrompt" && e.data.audio.kind === "tts"
        ? [e.data.audio.text]
        : [],
    );

/** c1 accepts a callback on their own number and the goodbye plays out; the caller's line goes. */
function requested(): World {
  const w = queued();
  timer(w, "callbackOffer", 31);
  press(w, "91", 35);
  const goodbye = w.lastPlayback("c1");
  w.run("c1", { type: "PlaybackFinished", playbackId: goodbye, now: sec(38) });
  w.run("c1", { type: "LegEnded", legId: w.callState("c1").callerLegId, reason: "hungUp", now: sec(38) });
  return w;
}

/** ann is freed; the callback rings her, she answers after the whisper: the customer is dialled. */
function dialling(w = requested()): World {
  w.agent("ann", { type: "Release", callId: "x-ann", now: sec(100), reason: "done" });
  w.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(100) });
  w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(104) });
  w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(106) });
  return w;
}

const customerLeg = (w: World) => w.legOf("c1", undefined);

describe("callbacks that keep the caller's place", () => {
  it("offers a callback once the caller has waited offerAfterSec, naming the key", () => {
    const w = queued();
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "callbackOffer"), now: sec(31) })
      .thenIncludes([
        ev("CallbackStep", { phase: "offered" }),
        ev("PlaybackStarted", { purpose: "callbackPrompt" }),
      ]);
    timer(w, "callbackOffer", 31);
    expect(prompts(w)[0]).toBe("To be called back instead of waiting, press 9. You keep your place in line.");
  });

  it("the key, then 1, confirms the caller's own number; the caller hangs up and keeps their place", () => {
    const w = queued();
    timer(w, "callbackOffer", 31);
    press(w, "9", 35);
    expect(prompts(w).at(-1)).toContain("We will call you back on plus 4 4 2 0 7 1 8 3 8 7 5 0");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "DtmfReceived", digit: "1", now: sec(36) })
      .thenIncludes([
        ev("CallbackRequested", { number: CALLER }),
        ev("TimerCancelled"),
        ev("PlaybackStarted", { purpose: "callbackPrompt" }),
      ]);
    press(w, "1", 36);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(39) })
      .thenIncludes([
        ev("HoldMusicStopped"),
        ev("LegHangupRequested", { legId: w.callState("c1").callerLegId, reason: "callbackRequested" }),
      ]);
    const after = requested();
    expect(after.callState("c1").status).toBe("active");
    expect(after.queues.sales?.state.entries.map((e) => e.callId)).toEqual(["c1"]);
    // No max wait for a caller who is not holding.
    expect(Object.values(after.callState("c1").timers).map((t) => t.kind)).not.toContain("queueMaxWait");
  });

  it("2 lets the caller enter another number, ended by #; a number that cannot be called asks again", () => {
    const w = queued();
    timer(w, "callbackOffer", 31);
    press(w, "92", 35);
    press(w, "123#", 40);
    expect(prompts(w).at(-1)).toMatch(/^That number cannot be called/);
    press(w, "2", 41);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "DtmfReceived", digit: "#", now: sec(50) })
      .thenIncludes([ev("CallbackStep", { phase: "confirming" })]);
    press(w, "14155550123#", 45);
    expect(w.events("c1").find((e) => e.type === "CallbackRequested")).toMatchObject({
      data: { number: "+14155550123" },
    });
  });

  it("when the caller's turn comes the agent is rung first with a callback whisper, then the customer with the business number", () => {
    const w = requested();
    w.agent("ann", { type: "Release", callId: "x-ann", now: sec(100), reason: "done" });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "OfferAgent", agentId: "ann", now: sec(100) })
      .thenIncludes([
        ev("RoutingDecided", {
          purpose: "queueOffer",
          chosen: ["ann"],
          whisper: { kind: "tts", text: `Callback for ${CALLER}` },
        }),
      ]);
    w.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(100) });
    // No hold music for a caller who is not on the line.
    expect(w.events("c1").filter((e) => e.type === "HoldMusicStarted")).toHaveLength(1);
    w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(104) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(106) })
      .thenIncludes([
        ev("HoldMusicStarted", { legId: w.legOf("c1", "ann"), audio: { kind: "ringback" } }),
        ev("LegOriginateRequested", {
          role: "customer",
          to: { kind: "phone", number: CALLER },
          callerId: BUSINESS,
        }),
        ev("TimerScheduled", { kind: "callbackRingTimeout" }),
      ]);
    const d = dialling();
    const customer = customerLeg(d);
    callSpec
      .given(d.events("c1"), d.ctx())
      .when({ type: "LegAnswered", legId: customer, now: sec(110) })
      .thenIncludes([
        ev("LegAnswered", { legId: customer }),
        ev("TimerCancelled"),
        ev("HoldMusicStopped", { legId: d.legOf("c1", "ann") }),
        ev("LegsBridged", { legIds: [customer, d.legOf("c1", "ann")] }),
        ev("ConnectCompleted", { outcome: "answered" }),
      ]);
  });

  it("an unanswered call back frees the agent and tries again later from the caller's place; then gives up", () => {
    const w = dialling();
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: customerLeg(w), reason: "busy", now: sec(108) })
      .thenIncludes([
        ev("LegHangupRequested", { legId: w.legOf("c1", "ann") }),
        ev("CallbackAttemptFailed", { attempt: 1, willRetry: true }),
        ev("TimerScheduled", { kind: "callbackRetry" }),
      ]);
    w.run("c1", { type: "LegEnded", legId: customerLeg(w), reason: "busy", now: sec(108) });
    expect(w.status("ann")).not.toBe("onCall");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "callbackRetry"), now: sec(408) })
      .thenIncludes([ev("CallerEnqueued", { enqueuedAt: sec(1) })]);
    timer(w, "callbackRetry", 408);
    w.agent("ann", { type: "EndCall", callId: "c1", now: sec(408), wrapUpSec: 0 });
    dialling(w);
    // The second call back rings out: no attempt left.
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "callbackRingTimeout"), now: sec(140) })
      .thenIncludes([
        ev("CallbackAttemptFailed", { attempt: 2, willRetry: false }),
        ev("CallEnded", { reason: "callbackFailed" }),
      ]);
  });

  it("a caller who hangs up without accepting leaves the queue as before", () => {
    const w = queued();
    timer(w, "callbackOffer", 31);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.callState("c1").callerLegId, reason: "hungUp", now: sec(33) })
      .thenIncludes([ev("CallEnded", { reason: "callerHungUp" })]);
  });
});
