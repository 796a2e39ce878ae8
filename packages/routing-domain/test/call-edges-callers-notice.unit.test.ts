import { describe, expect, it } from "vitest";
import { type CallEvent, CallNotFoundError, UnknownFlowError } from "../src/index.js";
import { group, hangup, worldWith } from "./support/fixtures.js";
import { ev } from "./support/match.js";
import { BUSINESS, CALLER, callSpec, sec } from "./support/world.js";

/**
 * Issue 16, the call decider (decide.ts/evolve.ts): what a caller or agent lives through that surviving
 * mutants changed while the rest of the suite stayed green. Each test is named after the behaviour.
 */

const types = (events: readonly CallEvent[]) => events.map((e) => e.type);
const say = (text: string) => ({ kind: "greeting" as const, audio: { kind: "tts" as const, text } });

/** A Sequential group ann → bob whose Connect has a branch per outcome, so the branch taken is visible. */
const sequentialWorld = () =>
  worldWith({
    applets: {
      connect: {
        kind: "connect",
        target: { kind: "group", groupId: "g" },
        branches: { noAnswer: "noAnswer", busy: "busy", failed: "failed", fallback: "bye" },
      },
      noAnswer: say("Nobody answered."),
      busy: say("Everyone is busy."),
      failed: say("We could not reach anyone."),
      bye: hangup,
    },
    groups: [group("g", "sequential", ["ann", "bob"])],
    signIn: ["ann", "bob"],
  });

describe("the call decider: what callers and agents notice", () => {
  it("a Sequential group where one agent rings out and the next answers busy takes the noAnswer branch", () => {
    const w = sequentialWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(30) });
    expect(w.legsRung("c1")).toEqual(["ann", "bob"]);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.legOf("c1", "bob"), reason: "busy", now: sec(32) })
      .thenIncludes([ev("ConnectCompleted", { outcome: "noAnswer", next: "noAnswer" })]);
  });

  it("a Sequential group where one agent answers busy and the next rings out takes the noAnswer branch", () => {
    const w = sequentialWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "ann"), reason: "busy", now: sec(2) });
    expect(w.legsRung("c1")).toEqual(["ann", "bob"]);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(32) })
      .thenIncludes([ev("ConnectCompleted", { outcome: "noAnswer", next: "noAnswer" })]);
  });

  it("a Sequential group whose every agent answers busy takes the busy branch", () => {
    const w = sequentialWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "ann"), reason: "busy", now: sec(2) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.legOf("c1", "bob"), reason: "busy", now: sec(3) })
      .thenIncludes([ev("ConnectCompleted", { outcome: "busy", next: "busy" })]);
  });

  it("Simultaneous: phones that rang and then answered busy take the busy branch", () => {
    const w = worldWith({
      applets: {
        connect: {
          kind: "connect",
          target: { kind: "group", groupId: "g" },
          branches: { noAnswer: "noAnswer", busy: "busy", failed: "failed", fallback: "bye" },
        },
        noAnswer: say("Nobody answered."),
        busy: say("Everyone is busy."),
        failed: say("We could not reach anyone."),
        bye: hangup,
      },
      groups: [group("g", "simultaneous", ["ann", "bob"])],
      signIn: ["ann", "bob"],
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    for (const agent of ["ann", "bob"])
      w.run("c1", { type: "LegRinging", legId: w.legOf("c1", agent), now: sec(1) });
    w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "ann"), reason: "busy", now: sec(2) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.legOf("c1", "bob"), reason: "busy", now: sec(3) })
      .thenIncludes([ev("ConnectCompleted", { outcome: "busy", next: "busy" })]);
  });

  it("a Sequential group whose agents' lines fail (not busy, not unanswered) takes the failed branch", () => {
    const w = sequentialWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "ann"), reason: "failed", now: sec(2) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.legOf("c1", "bob"), reason: "failed", now: sec(3) })
      .thenIncludes([ev("ConnectCompleted", { outcome: "failed", next: "failed" })]);
  });

  it("an agent's phone ringing shows the agent as ringing once; a repeated or late ringing report changes nothing", () => {
    const w = sequentialWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    const leg = w.legOf("c1", "ann");
    const d = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegRinging", legId: leg, now: sec(1) })
      .then([{ type: "LegRinging", data: { legId: leg, at: sec(1) } }]);
    expect(d?.agents).toMatchObject([{ agentId: "ann", events: [{ type: "AgentRinging" }] }]);
    w.run("c1", { type: "LegRinging", legId: leg, now: sec(1) });
    expect(w.status("ann")).toBe("ringing");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegRinging", legId: leg, now: sec(2) })
      .thenNothing();
    w.run("c1", { type: "LegAnswered", legId: leg, now: sec(3) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegRinging", legId: leg, now: sec(4) })
      .thenNothing();
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegRinging", legId: "no-such-leg", now: sec(4) })
      .thenNothing();
  });

  it("a number's phone ringing involves no agent", () => {
    const w = worldWith({
      applets: {
        connect: {
          kind: "connect",
          target: { kind: "number", number: "+14155559999" },
          branches: { fallback: "bye" },
        },
        bye: hangup,
      },
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    const d = w.run("c1", { type: "LegRinging", legId: w.legOf("c1"), now: sec(1) });
    expect(types(d.call.events)).toEqual(["LegRinging"]);
    expect(d.agents).toEqual([]);
  });

  it("an answer reported twice connects the agent once and counts one call", () => {
    const w = sequentialWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    const leg = w.legOf("c1", "ann");
    w.run("c1", { type: "LegAnswered", legId: leg, now: sec(3) });
    expect(w.status("ann")).toBe("onCall");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: leg, now: sec(4) })
      .thenNothing();
  });

  it("an agent who answers and hangs up during the whisper: the caller is not connected and takes the failed branch", () => {
    const w = worldWith({
      applets: {
        connect: {
          kind: "connect",
          target: { kind: "agent", agentId: "ann" },
          whisper: { kind: "tts", text: "Sales call" },
          branches: { noAnswer: "noAnswer", busy: "busy", failed: "failed", fallback: "bye" },
        },
        noAnswer: say("Nobody answered."),
        busy: say("Everyone is busy."),
        failed: say("We could not reach anyone."),
        bye: hangup,
      },
      signIn: ["ann"],
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    const leg = w.legOf("c1", "ann");
    w.run("c1", { type: "LegAnswered", legId: leg, now: sec(3) });
    expect(w.callState("c1").applet).toMatchObject({ phase: "whisper" });
    const d = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: leg, reason: "hungUp", now: sec(4) })
      .thenIncludes([ev("ConnectCompleted", { outcome: "failed", next: "failed" })]);
    expect(types(d.call.events)).not.toContain("LegsBridged");
  });

  it("an agent's phone answering after the caller hung up is hung up at once, and the agent is not put on the call", () => {
    const w = sequentialWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    const annLeg = w.legOf("c1", "ann");
    w.run("c1", { type: "LegEnded", legId: w.callState("c1").callerLegId, reason: "hungUp", now: sec(5) });
    expect(w.callState("c1").status).toBe("ended");
    expect(w.status("ann")).toBe("available");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: annLeg, now: sec(6) })
      .then([
        { type: "LegAnswered", data: { legId: annLeg, at: sec(6) } },
        { type: "LegHangupRequested", data: { legId: annLeg, reason: "callEnded" } },
      ]);
    w.run("c1", { type: "LegAnswered", legId: annLeg, now: sec(6) });
    expect(w.status("ann")).toBe("available");
  });

  it("a leg answered again, or answered after it ended, once the call is over changes nothing", () => {
    const w = sequentialWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    const annLeg = w.legOf("c1", "ann");
    w.run("c1", { type: "LegEnded", legId: w.callState("c1").callerLegId, reason: "hungUp", now: sec(5) });
    w.run("c1", { type: "LegAnswered", legId: annLeg, now: sec(6) });
    // Already being hung up: a second answer asks for nothing more.
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: annLeg, now: sec(7) })
      .thenNothing();
    w.run("c1", { type: "LegEnded", legId: annLeg, reason: "hungUp", now: sec(8) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: annLeg, now: sec(9) })
      .thenNothing();
    // A leg the call never had.
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: "no-such-leg", now: sec(9) })
      .thenNothing();
  });

  it("a leg that ends after the call ended is recorded as ended once, with its own reason", () => {
    const w = sequentialWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    const annLeg = w.legOf("c1", "ann");
    w.run("c1", { type: "LegEnded", legId: w.callState("c1").callerLegId, reason: "hungUp", now: sec(5) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: annLeg, reason: "cancelled", now: sec(6) })
      .then([{ type: "LegEnded", data: { legId: annLeg, reason: "cancelled", at: sec(6) } }]);
    w.run("c1", { type: "LegEnded", legId: annLeg, reason: "cancelled", now: sec(6) });
    expect(w.callState("c1").legs[annLeg]).toMatchObject({ status: "ended", endReason: "cancelled" });
    // Its duplicate, the caller's own leg again, and a leg the call never had: nothing.
    for (const legId of [annLeg, w.callState("c1").callerLegId, "no-such-leg"]) {
      callSpec
        .given(w.events("c1"), w.ctx())
        .when({ type: "LegEnded", legId, reason: "hungUp", now: sec(7) })
        .thenNothing();
    }
  });

  it("after the call ended, timers, digits and playbacks that arrive late change nothing", () => {
    const w = sequentialWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    const ring = w.timer("c1", "ringTimeout");
    w.run("c1", { type: "HangUp", reason: "adminHangup", now: sec(5) });
    expect(types(w.events("c1"))).toContain("CallEnded");
    const late = [
      { type: "TimerFired" as const, timerId: ring, now: sec(30) },
      { type: "DtmfReceived" as const, digit: "1", now: sec(30) },
      { type: "PlaybackFinished" as const, playbackId: "p", now: sec(30) },
      { type: "HangUp" as const, reason: "adminHangup" as const, now: sec(30) },
      { type: "LegRinging" as const, legId: w.legOf("c1", "ann"), now: sec(30) },
    ];
    for (const command of late) callSpec.given(w.events("c1"), w.ctx()).when(command).thenNothing();
  });
});

/** Greeting → voicemail (with its own greeting) → goodbye; a second number's flow records without greeting. */
const voicemailWorld = (greeting: boolean, next?: string) =>
  worldWith({
    start: "welcome",
    applets: {
      welcome: { kind: "greeting", audio: { kind: "tts", text: "Welcome" }, next: "vm" },
      vm: {
        kind: "voicemail",
        maxLengthSec: 90,
        ...(greeting ? { greeting: { kind: "tts" as const, text: "Leave a message" } } : {}),
        ...(next ? { next } : {}),
      },
      ...(next ? { [next]: say("Thank you, goodbye.") } : {}),
    },
  });

describe("greetings and voicemail: what callers notice", () => {
  it("only the greeting that is playing moves the caller on when it finishes; another playback's end does nothing", () => {
    const w = voicemailWorld(true, "bye");
    w.start("c1", CALLER, BUSINESS, sec(0));
    const welcome = w.lastPlayback("c1");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: "someone-elses", now: sec(3) })
      .thenNothing();
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: welcome, now: sec(3) })
      .thenIncludes([
        ev("AppletEntered", { appletId: "vm" }),
        ev("PlaybackStarted", { purpose: "voicemailGreeting" }),
      ]);
  });

  it("voicemail records after its greeting, once, however often the greeting's end is reported", () => {
    const w = voicemailWorld(true, "bye");
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(3) });
    const vmGreeting = w.lastPlayback("c1");
    // The welcome's end reported again once voicemail plays its own greeting: nothing.
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: "someone-elses", now: sec(4) })
      .thenNothing();
    w.run("c1", { type: "PlaybackFinished", playbackId: vmGreeting, now: sec(5) });
    expect(types(w.events("c1")).filter((t) => t === "VoicemailRecordingStarted")).toHaveLength(1);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: vmGreeting, now: sec(6) })
      .thenNothing();
  });

  it("voicemail without a greeting records at once, for the configured length", () => {
    const w = voicemailWorld(false, "bye");
    w.start("c1", CALLER, BUSINESS, sec(0));
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(3) })
      .thenIncludes([
        ev("AppletEntered", { appletId: "vm" }),
        ev("VoicemailRecordingStarted", { maxLengthSec: 90 }),
      ]);
  });

  it("the caller's message is kept when the recording finishes, and the flow goes on to the voicemail's next applet", () => {
    const w = voicemailWorld(false, "bye");
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(3) });
    const vm = w.callState("c1").applet;
    if (vm?.kind !== "voicemail" || vm.recordingId === undefined) throw new Error("not recording");
    // Another recording's end is not this message's.
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "RecordingFinished", recordingId: "another", now: sec(60) })
      .thenNothing();
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "RecordingFinished", recordingId: vm.recordingId, now: sec(60) })
      .thenIncludes([
        ev("VoicemailRecorded", { recordingId: vm.recordingId, at: sec(60) }),
        ev("AppletEntered", { appletId: "bye" }),
      ]);
    w.run("c1", { type: "RecordingFinished", recordingId: vm.recordingId, now: sec(60) });
    // The message is recorded once: its end reported again does nothing.
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "RecordingFinished", recordingId: vm.recordingId, now: sec(61) })
      .thenNothing();
  });

  it("a voicemail with no next applet ends the call as voicemailDone once the message is recorded", () => {
    const w = voicemailWorld(false);
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(3) });
    const vm = w.callState("c1").applet;
    if (vm?.kind !== "voicemail" || vm.recordingId === undefined) throw new Error("not recording");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "RecordingFinished", recordingId: vm.recordingId, now: sec(60) })
      .thenIncludes([ev("CallEnded", { reason: "voicemailDone" })]);
  });

  it("a caller who hangs up while leaving a message still has it kept", () => {
    const w = voicemailWorld(false, "bye");
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(3) });
    const vm = w.callState("c1").applet;
    if (vm?.kind !== "voicemail" || vm.recordingId === undefined) throw new Error("not recording");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.callState("c1").callerLegId, reason: "hungUp", now: sec(20) })
      .thenIncludes([
        ev("VoicemailRecorded", { recordingId: vm.recordingId }),
        ev("CallEnded", { reason: "callerHungUp" }),
      ]);
  });

  it("a command for a call that never started is refused (CallNotFoundError)", () => {
    const w = voicemailWorld(false);
    callSpec
      .given([], w.ctx())
      .when({ type: "HangUp", reason: "adminHangup", now: sec(0) })
      .then(CallNotFoundError);
  });
});

/** An IVR menu: 1 → sales, 2 → support; `retries` replays before the timeout or invalid branch. */
const menuWorld = (retries: number) =>
  worldWith({
    start: "menu",
    applets: {
      menu: {
        kind: "ivrMenu",
        prompt: { kind: "tts", text: "Press 1 for sales, 2 for support" },
        branches: { "1": "sales", "2": "support" },
        timeoutSec: 5,
        retries,
        timeoutBranch: "late",
        invalidBranch: "wrong",
      },
      sales: say("Sales is closed."),
      support: say("Support is closed."),
      late: say("We did not hear from you."),
      wrong: say("That is not an option."),
    },
  });

describe("IVR menus: what callers notice", () => {
  it("the digit pressed picks its own branch", () => {
    for (const [digit, next] of [
      ["1", "sales"],
      ["2", "support"],
    ] as const) {
      const w = menuWorld(1);
      w.start("c1", CALLER, BUSINESS, sec(0));
      w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(2) });
      callSpec
        .given(w.events("c1"), w.ctx())
        .when({ type: "DtmfReceived", digit, now: sec(3) })
        .thenIncludes([
          ev("TimerCancelled", { timerId: w.timer("c1", "ivrTimeout") }),
          ev("IvrBranchChosen", { appletId: "menu", digit, next }),
          ev("AppletEntered", { appletId: next }),
        ]);
    }
  });

  it("a wrong digit replays the prompt while retries are left, then takes the invalid branch (not the timeout one)", () => {
    const w = menuWorld(1);
    w.start("c1", CALLER, BUSINESS, sec(0));
    const caller = w.callState("c1").callerLegId;
    w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(2) });
    const timer = w.timer("c1", "ivrTimeout");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "DtmfReceived", digit: "7", now: sec(3) })
      .then([
        { type: "TimerCancelled", data: { timerId: timer } },
        {
          type: "IvrInputRejected",
          data: { appletId: "menu", reason: "invalidDigit", digit: "7", attempt: 1, willRetry: true },
        },
        {
          type: "PlaybackStarted",
          data: {
            playbackId: "c1:play-4.1",
            legId: caller,
            audio: { kind: "tts", text: "Press 1 for sales, 2 for support" },
            purpose: "ivrPrompt",
          },
        },
      ]);
    w.run("c1", { type: "DtmfReceived", digit: "7", now: sec(3) });
    w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(6) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "DtmfReceived", digit: "#", now: sec(7) })
      .thenIncludes([
        ev("IvrInputRejected", { reason: "invalidDigit", digit: "#", attempt: 2, willRetry: false }),
        ev("AppletEntered", { appletId: "wrong" }),
      ]);
  });

  it("with no retries the first silence takes the timeout branch at once, and says no digit was pressed", () => {
    const w = menuWorld(0);
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(2) });
    const timer = w.timer("c1", "ivrTimeout");
    const d = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: timer, now: sec(7) })
      .thenIncludes([
        ev("TimerElapsed", { timerId: timer, kind: "ivrTimeout", at: sec(7) }),
        ev("IvrInputRejected", { appletId: "menu", reason: "timeout", attempt: 1, willRetry: false }),
        ev("AppletEntered", { appletId: "late" }),
      ]);
    const rejected = d.call.events.find((e) => e.type === "IvrInputRejected");
    expect(rejected?.data).not.toHaveProperty("digit");
  });

  it("a digit while no menu listens (a greeting plays, agents ring) does nothing", () => {
    const w = menuWorld(1);
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "DtmfReceived", digit: "1", now: sec(1) });
    expect(w.callState("c1").applet?.appletId).toBe("sales");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "DtmfReceived", digit: "2", now: sec(2) })
      .thenNothing();
    const s = sequentialWorld();
    s.start("c1", CALLER, BUSINESS, sec(0));
    callSpec
      .given(s.events("c1"), s.ctx())
      .when({ type: "DtmfReceived", digit: "1", now: sec(2) })
      .thenNothing();
  });

  it("a menu's prompt finishing starts the wait for a digit once; a stale prompt's end starts nothing", () => {
    const w = menuWorld(1);
    w.start("c1", CALLER, BUSINESS, sec(0));
    const prompt = w.lastPlayback("c1");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: "other", now: sec(2) })
      .thenNothing();
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: prompt, now: sec(2) })
      .then([
        { type: "TimerScheduled", data: { timerId: "c1:timer-3.1", kind: "ivrTimeout", dueAt: sec(7) } },
      ]);
  });
});

describe("starting and deciding a call", () => {
  it("a call to a number whose flow is missing from the configuration it is decided with is refused (UnknownFlowError)", () => {
    const w = voicemailWorld(false);
    const config = { ...w.config, flows: {} };
    callSpec
      .given([], { ...w.ctx(), config })
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .then(UnknownFlowError);
  });

  it("each decision's tie-break seed is the call and the version it was decided at, unless the command brings one", () => {
    const w = sequentialWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    const seedOf = (events: readonly CallEvent[]) =>
      events.flatMap((e) => (e.type === "RoutingDecided" ? [e.data.seed] : []));
    expect(seedOf(w.events("c1"))).toEqual(["c1:0"]);
    const version = w.callState("c1").version;
    const d = w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(30) });
    expect(seedOf(d.call.events)).toEqual([`c1:${version}`]);
    const given = callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c2", from: CALLER, to: BUSINESS, now: sec(40), seed: "recorded" });
    expect(seedOf(given.events)).toEqual(["recorded"]);
  });
});

describe("queued callers: what they notice", () => {
  it("a caller whose max wait passes while an offered agent rings is not taken from that agent; if the agent does not answer, the wait is over", () => {
    const w = worldWith({
      applets: {
        connect: {
          kind: "connect",
          target: { kind: "group", groupId: "g" },
          branches: { queueTimeout: "late", fallback: "bye" },
        },
        late: say("Sorry, nobody could take your call."),
        bye: hangup,
      },
      groups: [
        group("g", "longestIdle", ["ann"], { ringTimeoutSec: 20, queue: { enabled: true, maxWaitSec: 60 } }),
      ],
      signIn: ["ann"],
    });
    w.agent("ann", { type: "Reserve", callId: "x-ann", legId: "l", now: sec(0) });
    w.start("c1", CALLER, BUSINESS, sec(0));
    const maxWait = w.timer("c1", "queueMaxWait");
    w.agent("ann", { type: "Release", callId: "x-ann", now: sec(50), reason: "done" });
    w.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(50) });
    expect(w.legsRung("c1")).toEqual(["ann"]);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: maxWait, now: sec(60) })
      .then([{ type: "TimerElapsed", data: { timerId: maxWait, kind: "queueMaxWait", at: sec(60) } }]);
    w.run("c1", { type: "TimerFired", timerId: maxWait, now: sec(60) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(70) })
      .thenIncludes([ev("ConnectCompleted", { outcome: "queueTimeout", next: "late" })]);
  });
});
