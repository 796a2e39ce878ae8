// Callbacks that keep the caller's place in line: offer, confirm (or another number), hang up, and when the
// caller's turn comes the agent is rung first, then the customer; unanswered call backs are retried.
import { describe, expect, it } from "vitest";
import { buildConfig } from "../src/index.js";
import {
  customerLeg,
  dialling,
  press,
  prompts,
  type QueuedOptions,
  queued,
  requested,
  timer,
} from "./support/callback-world.js";
import { group } from "./support/fixtures.js";
import { ev } from "./support/match.js";
import { BUSINESS, CALLER, callSpec, sec, type World } from "./support/world.js";

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
    // The customer never heard hold music: only the agent's ringback stops.
    const answered = callSpec
      .given(d.events("c1"), d.ctx())
      .when({ type: "LegAnswered", legId: customer, now: sec(110) }).events;
    expect(answered.filter((e) => e.type === "HoldMusicStopped")).toHaveLength(1);
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
    const retry = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "callbackRetry"), now: sec(408) });
    retry.thenIncludes([ev("CallerEnqueued", { enqueuedAt: sec(1) })]);
    // Back in line with no line to play to: no hold music, no announcements, no max wait.
    expect(retry.events.map((e) => e.type)).toEqual(["TimerElapsed", "CallerEnqueued"]);
    timer(w, "callbackRetry", 408);
    w.agent("ann", { type: "EndCall", callId: "c1", now: sec(408), wrapUpSec: 0 });
    dialling(w);
    // The second call back rings out: no attempt left, and no retry is scheduled.
    const last = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "callbackRingTimeout"), now: sec(140) });
    last.thenIncludes([
      ev("CallbackAttemptFailed", { attempt: 2, willRetry: false }),
      ev("CallEnded", { reason: "callbackFailed" }),
    ]);
    expect(last.events.filter((e) => e.type === "TimerScheduled")).toEqual([]);
  });

  it("a caller who hangs up without accepting leaves the queue as before", () => {
    const w = queued();
    timer(w, "callbackOffer", 31);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.callState("c1").callerLegId, reason: "hungUp", now: sec(33) })
      .thenIncludes([ev("CallEnded", { reason: "callerHungUp" })]);
  });

  it("the caller hears the offer, their number, the entry prompt, a refusal and the goodbye, in that order", () => {
    const w = queued();
    timer(w, "callbackOffer", 31);
    press(w, "92", 35);
    press(w, "44#", 40);
    press(w, "2", 41);
    press(w, "14155550123#", 45);
    const own = "plus 4 4 2 0 7 1 8 3 8 7 5 0";
    const enter = "Enter the number with its country code, then press the hash key.";
    expect(prompts(w)).toEqual([
      "To be called back instead of waiting, press 9. You keep your place in line.",
      `We will call you back on ${own}. Press 1 to confirm, or 2 to enter another number.`,
      enter,
      `That number cannot be called. Press 1 to be called back on ${own}, or 2 to enter another number.`,
      enter,
      "Thank you. We will call you back when it is your turn. Goodbye.",
    ]);
  });

  it("a key other than 1 or 2 while the caller confirms their number changes nothing", () => {
    const w = queued();
    timer(w, "callbackOffer", 31);
    press(w, "9", 35);
    for (const digit of ["3", "0", "*", "#"]) {
      callSpec
        .given(w.events("c1"), w.ctx())
        .when({ type: "DtmfReceived", digit, now: sec(36) })
        .thenNothing();
    }
    press(w, "1", 37);
    expect(w.events("c1").find((e) => e.type === "CallbackRequested")).toMatchObject({
      data: { number: CALLER },
    });
  });

  it("a key other than a digit or # while the caller enters a number is ignored; the number is the digits", () => {
    const w = queued();
    timer(w, "callbackOffer", 31);
    press(w, "92", 35);
    press(w, "1415", 40);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "DtmfReceived", digit: "*", now: sec(41) })
      .thenNothing();
    press(w, "*5550123#", 41);
    expect(w.events("c1").find((e) => e.type === "CallbackRequested")).toMatchObject({
      data: { number: "+14155550123" },
    });
  });

  it("a number of 7 digits is accepted for a call back; one of 6 (a short code) is refused", () => {
    const enter = (digits: string) => {
      const w = queued();
      timer(w, "callbackOffer", 31);
      press(w, "92", 35);
      press(w, `${digits}#`, 40);
      return w.events("c1").find((e) => e.type === "CallbackRequested");
    };
    expect(enter("3531234")).toMatchObject({ data: { number: "+3531234" } });
    expect(enter("353123")).toBeUndefined();
  });

  it("an entry longer than an international number is refused, not cut short to someone else's number", () => {
    const w = queued();
    timer(w, "callbackOffer", 31);
    press(w, "92", 35);
    press(w, "14155550123999#", 40); // 15 digits: the longest E.164 number
    expect(w.events("c1").find((e) => e.type === "CallbackRequested")).toMatchObject({
      data: { number: "+14155550123999" },
    });
    const over = queued();
    timer(over, "callbackOffer", 31);
    press(over, "92", 35);
    press(over, "14155550123999999999", 40);
    // The key presses kept stay bounded (one more than E.164 allows), so the entry is still too long at #.
    const steps = over
      .events("c1")
      .flatMap((e) => (e.type === "CallbackStep" && e.data.digits ? [e.data.digits] : []));
    expect(Math.max(...steps.map((d) => d.length))).toBe(16);
    press(over, "#", 41);
    expect(over.events("c1").find((e) => e.type === "CallbackRequested")).toBeUndefined();
    expect(prompts(over).at(-1)).toMatch(/^That number cannot be called/);
  });

  it("an entered number the account's dial policy refuses is refused at once", () => {
    const w = queued({ account: { type: "ConfigureAccount", dialPolicy: { deniedPrefixes: ["+1900"] } } });
    timer(w, "callbackOffer", 31);
    press(w, "92", 35);
    press(w, "19005550123#", 40);
    expect(w.events("c1").find((e) => e.type === "CallbackRequested")).toBeUndefined();
    expect(prompts(w).at(-1)).toMatch(/^That number cannot be called/);
    press(w, "2", 41);
    press(w, "14155550123#", 42);
    expect(w.events("c1").find((e) => e.type === "CallbackRequested")).toMatchObject({
      data: { number: "+14155550123" },
    });
  });

  it("a caller whose own number cannot be called back is asked for another number straight away", () => {
    const enter = "Enter the number with its country code, then press the hash key.";
    for (const o of [
      { from: "anonymous" },
      {
        account: { type: "ConfigureAccount", dialPolicy: { allowedCountryCodes: ["1"], deniedPrefixes: [] } },
      },
    ] satisfies QueuedOptions[]) {
      const w = queued(o);
      timer(w, "callbackOffer", 31);
      callSpec
        .given(w.events("c1"), w.ctx())
        .when({ type: "DtmfReceived", digit: "9", now: sec(35) })
        .thenIncludes([ev("CallbackStep", { phase: "entering", digits: "" }), ev("PlaybackStarted")]);
      press(w, "9", 35);
      expect(prompts(w).at(-1)).toBe(enter);
      // A refused entry asks again for a number, never offering the caller's own.
      press(w, "44#", 40);
      expect(prompts(w).at(-1)).toBe(`That number cannot be called. ${enter}`);
      expect(w.callState("c1").applet).toMatchObject({ queue: { callback: { phase: "entering" } } });
      press(w, "14155550123#", 41);
      expect(w.events("c1").find((e) => e.type === "CallbackRequested")).toMatchObject({
        data: { number: "+14155550123" },
      });
    }
  });

  it("while an agent is rung for the caller the offer is held back; back in the queue the caller is offered it", () => {
    const w = queued();
    w.agent("ann", { type: "Release", callId: "x-ann", now: sec(15), reason: "done" });
    w.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(15) });
    const during = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "callbackOffer"), now: sec(31) });
    expect(during.events.map((e) => e.type)).toEqual(["TimerElapsed"]);
    timer(w, "callbackOffer", 31);
    // ann lets it ring out: the caller is back in line and the offer comes later.
    timer(w, "ringTimeout", 35);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "callbackOffer"), now: sec(65) })
      .thenIncludes([
        ev("CallbackStep", { phase: "offered" }),
        ev("PlaybackStarted", { purpose: "callbackPrompt" }),
      ]);
  });

  it("the offer is scheduled once per call, also when the caller goes back to the queue after an agent missed them", () => {
    const offers = (w: World) =>
      w.events("c1").filter((e) => e.type === "TimerScheduled" && e.data.kind === "callbackOffer");
    // Missed before the offer was made: the pending offer stands.
    const before = queued();
    before.agent("ann", { type: "Release", callId: "x-ann", now: sec(5), reason: "done" });
    before.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(5) });
    timer(before, "ringTimeout", 25);
    expect(offers(before)).toHaveLength(1);
    // Missed after the offer was made: the caller keeps where they were in it.
    const after = queued();
    timer(after, "callbackOffer", 31);
    after.agent("ann", { type: "Release", callId: "x-ann", now: sec(32), reason: "done" });
    after.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(32) });
    timer(after, "ringTimeout", 52);
    expect(offers(after)).toHaveLength(1);
    press(after, "9", 53);
    expect(after.callState("c1").applet).toMatchObject({ queue: { callback: { phase: "confirming" } } });
  });

  it("position announcements and the max wait stop once the caller has asked to be called back", () => {
    const w = queued({ announcePosition: true });
    const kinds = () => Object.values(w.callState("c1").timers).map((t) => t.kind);
    expect(kinds()).toEqual(expect.arrayContaining(["queuePosition", "queueMaxWait"]));
    timer(w, "callbackOffer", 31);
    press(w, "91", 35);
    expect(kinds()).toEqual([]);
  });

  it("a caller who hangs up during the goodbye keeps their place; the goodbye's end hangs up nothing", () => {
    const w = queued();
    timer(w, "callbackOffer", 31);
    press(w, "91", 35);
    const goodbye = w.lastPlayback("c1");
    w.run("c1", { type: "LegEnded", legId: w.callState("c1").callerLegId, reason: "hungUp", now: sec(36) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: goodbye, now: sec(38) })
      .thenNothing();
    expect(w.callState("c1").status).toBe("active");
    expect(w.queues.sales?.state.entries.map((e) => e.callId)).toEqual(["c1"]);
  });

  it("callbacks switched off in the group after a caller asked for one: the promise is kept once, without retries", () => {
    const w = requested();
    // The administrator removes the group's callback settings while the caller waits to be called back.
    w.config = buildConfig(
      [
        group("sales", "longestIdle", ["ann", "bob"], {
          ringTimeoutSec: 20,
          queue: { enabled: true, maxWaitSec: 120 },
        }),
      ],
      w.config,
    );
    dialling(w);
    const customer = w
      .events("c1")
      .find((e) => e.type === "LegOriginateRequested" && e.data.role === "customer");
    expect(customer).toMatchObject({ data: { to: { kind: "phone", number: CALLER }, timeoutSec: 30 } });
    // The customer's line is busy: both legs go and, with no settings left to retry by, the call ends.
    const ann = w.legOf("c1", "ann");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: customerLeg(w), reason: "busy", now: sec(110) })
      .thenIncludes([
        ev("LegHangupRequested", { legId: ann, reason: "callbackFailed" }),
        ev("CallbackAttemptFailed", { attempt: 1, willRetry: false }),
        ev("CallEnded", { reason: "callbackFailed" }),
      ]);
  });

  it("a dial policy tightened while the caller waits: the call back is refused, the agent freed, the caller tried again later", () => {
    const w = requested();
    w.config = buildConfig([{ type: "ConfigureAccount", dialPolicy: { deniedPrefixes: ["+44"] } }], w.config);
    w.agent("ann", { type: "Release", callId: "x-ann", now: sec(100), reason: "done" });
    w.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(100) });
    const ann = w.legOf("c1", "ann");
    w.run("c1", { type: "LegAnswered", legId: ann, now: sec(104) });
    const whisperEnds = {
      type: "PlaybackFinished",
      playbackId: w.lastPlayback("c1"),
      now: sec(106),
    } as const;
    const out = callSpec.given(w.events("c1"), w.ctx()).when(whisperEnds);
    out.thenIncludes([
      ev("DialRefused", { to: { kind: "phone", number: CALLER } }),
      ev("LegHangupRequested", { legId: ann, reason: "callbackFailed" }),
      ev("CallbackAttemptFailed", { attempt: 1, willRetry: true }),
      ev("TimerScheduled", { kind: "callbackRetry" }),
    ]);
    // Nobody is dialled, and ann never heard ringback.
    expect(
      out.events.filter((e) =>
        ["LegOriginateRequested", "HoldMusicStarted", "HoldMusicStopped"].includes(e.type),
      ),
    ).toEqual([]);
    const failed = out.events.find((e) => e.type === "CallbackAttemptFailed");
    expect(failed?.type === "CallbackAttemptFailed" && failed.data.reason).toContain("denied prefix +44");
    w.run("c1", whisperEnds);
    expect(w.status("ann")).not.toBe("onCall");
    // The retry meets the same policy: no attempt is left, and the call ends as callbackFailed.
    timer(w, "callbackRetry", 406);
    w.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(406) });
    w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(410) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(412) })
      .thenIncludes([
        ev("DialRefused"),
        ev("CallbackAttemptFailed", { attempt: 2, willRetry: false }),
        ev("CallEnded", { reason: "callbackFailed" }),
      ]);
  });

  it("a call back rung to several agents bridges the customer with the agent who answered", () => {
    const w = requested({ strategy: "simultaneous" });
    for (const a of ["ann", "bob"])
      w.agent(a, { type: "Release", callId: `x-${a}`, now: sec(100), reason: "done" });
    w.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(100) });
    const [first, second] = w.legsRung("c1");
    expect(first).not.toBe(second);
    const answering = w.legOf("c1", second);
    w.run("c1", { type: "LegAnswered", legId: answering, now: sec(104) });
    w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(106) });
    const customer = customerLeg(w);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: customer, now: sec(110) })
      .thenIncludes([
        ev("HoldMusicStopped", { legId: answering }),
        ev("LegsBridged", { legIds: [customer, answering] }),
      ]);
  });

  it("a busy customer line is one failed attempt: the call back's ring timer goes with it", () => {
    const w = dialling();
    const ringTimer = w.timer("c1", "callbackRingTimeout");
    w.run("c1", { type: "LegEnded", legId: customerLeg(w), reason: "busy", now: sec(108) });
    expect(Object.values(w.callState("c1").timers).map((t) => t.kind)).toEqual(["callbackRetry"]);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: ringTimer, now: sec(126) })
      .thenNothing();
  });

  it("a call back that rings out takes both legs down as callbackFailed", () => {
    const w = dialling();
    const ann = w.legOf("c1", "ann");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "callbackRingTimeout"), now: sec(126) })
      .thenIncludes([
        ev("LegCancelRequested", { legId: customerLeg(w), reason: "callbackFailed" }),
        ev("HoldMusicStopped", { legId: ann }),
        ev("LegHangupRequested", { legId: ann, reason: "callbackFailed" }),
        ev("CallbackAttemptFailed", { attempt: 1, reason: "the customer did not answer", willRetry: true }),
      ]);
  });

  it("after the offer only the named key starts a callback; other keys change nothing", () => {
    const w = queued();
    timer(w, "callbackOffer", 31);
    for (const digit of ["1", "2", "8", "*", "#"]) {
      callSpec
        .given(w.events("c1"), w.ctx())
        .when({ type: "DtmfReceived", digit, now: sec(33) })
        .thenNothing();
    }
  });

  it("keys pressed during the goodbye change nothing: the caller keeps the callback they asked for", () => {
    const w = queued();
    timer(w, "callbackOffer", 31);
    press(w, "91", 35);
    for (const digit of ["9", "1", "2", "#"]) {
      callSpec
        .given(w.events("c1"), w.ctx())
        .when({ type: "DtmfReceived", digit, now: sec(36) })
        .thenNothing();
    }
  });

  it("an agent's whisper ending while the caller still hears the goodbye does not cut the goodbye short", () => {
    const w = queued();
    timer(w, "callbackOffer", 31);
    press(w, "91", 35);
    w.agent("ann", { type: "Release", callId: "x-ann", now: sec(36), reason: "done" });
    w.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(36) });
    w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(37) });
    const whisperEnds = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(38) });
    whisperEnds.thenIncludes([ev("LegOriginateRequested", { role: "customer" })]);
    expect(
      whisperEnds.events.filter(
        (e) => e.type === "LegHangupRequested" && e.data.legId === w.callState("c1").callerLegId,
      ),
    ).toEqual([]);
  });
});
