import { describe, expect, it } from "vitest";
import type { Applet } from "../src/index.js";
import { group, hangup, worldWith } from "./support/fixtures.js";
import { ev } from "./support/match.js";
import { BUSINESS, CALLER, callSpec, sec } from "./support/world.js";

const apology: Applet = {
  kind: "greeting",
  audio: { kind: "tts", text: "Sorry, please try again later" },
  next: "bye",
};
const voicemail: Applet = { kind: "voicemail", maxLengthSec: 120, next: "bye" };

/** Connect to a group with one branch per fallback trigger, each to a differently named applet. */
function fallbackWorld(queue = false) {
  return worldWith({
    applets: {
      connect: {
        kind: "connect",
        target: { kind: "group", groupId: "support" },
        branches: { noAnswer: "backup", busy: "nextAgent", failed: "apology", allAgentsBusy: "vm" },
      },
      backup: { kind: "connect", target: { kind: "group", groupId: "backup" }, branches: { fallback: "vm" } },
      nextAgent: { kind: "connect", target: { kind: "agent", agentId: "dee" }, branches: { fallback: "vm" } },
      apology,
      vm: voicemail,
      bye: hangup,
    },
    groups: [
      group("support", "roundRobin", ["ann", "bob"], queue ? { queue: { enabled: true } } : {}),
      group("backup", "simultaneous", ["cid"]),
    ],
  });
}

describe("Fallback routing", () => {
  it("Fallback › No answer: the target did not pick up within the ring timeout → next group (or voicemail)", () => {
    const w = fallbackWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(30) })
      .thenIncludes([
        ev("TimerElapsed", { kind: "ringTimeout" }),
        ev("LegCancelRequested", { legId: w.legOf("c1", "ann"), reason: "ringTimeout" }),
        ev("ConnectCompleted", { outcome: "noAnswer", next: "backup" }),
        ev("AppletEntered", { appletId: "backup" }),
        ev("LegOriginateRequested", { agentId: "cid" }),
      ]);
  });

  it("Fallback › Busy: the target's line is busy → route to the next available agent", () => {
    const w = fallbackWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.legOf("c1", "ann"), reason: "busy", now: sec(2) })
      .thenIncludes([
        ev("LegEnded", { reason: "busy" }),
        ev("ConnectCompleted", { outcome: "busy", next: "nextAgent" }),
        ev("LegOriginateRequested", { agentId: "dee" }),
      ]);
  });

  it("Fallback › Failed: the call could not be connected (network error) → greeting with an apology", () => {
    const w = fallbackWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.legOf("c1", "ann"), reason: "failed", now: sec(1) })
      .thenIncludes([
        ev("ConnectCompleted", { outcome: "failed", next: "apology" }),
        ev("PlaybackStarted", {
          purpose: "greeting",
          audio: { kind: "tts", text: "Sorry, please try again later" },
        }),
      ]);
  });

  it("Fallback › All agents busy: every agent of the group is on a call → voicemail (or the queue when enabled)", () => {
    const w = fallbackWorld();
    w.agent("ann", { type: "Reserve", callId: "other1", legId: "x", now: sec(0) });
    w.agent("bob", { type: "Reserve", callId: "other2", legId: "y", now: sec(0) });
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(1) })
      .thenIncludes([
        ev("RoutingDecided", {
          chosen: [],
          candidates: [
            { agentId: "ann", status: "reserved", reason: "skipped: already reserved for another call" },
            { agentId: "bob", status: "reserved" },
          ],
        }),
        ev("ConnectCompleted", { outcome: "allAgentsBusy", next: "vm" }),
        ev("VoicemailRecordingStarted", { maxLengthSec: 120 }),
      ]);
    const q = fallbackWorld(true);
    q.agent("ann", { type: "Reserve", callId: "other1", legId: "x", now: sec(0) });
    q.agent("bob", { type: "Reserve", callId: "other2", legId: "y", now: sec(0) });
    callSpec
      .given([], q.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(1) })
      .thenIncludes([ev("CallerEnqueued", { groupId: "support", position: 1 })]);
  });

  it("Fallback › Example: multi-level fallback Primary → Backup → Greeting → Voicemail → Hangup", () => {
    const w = worldWith({
      applets: {
        primary: {
          kind: "connect",
          target: { kind: "group", groupId: "primary" },
          branches: { fallback: "backup" },
        },
        backup: {
          kind: "connect",
          target: { kind: "group", groupId: "backup" },
          branches: { fallback: "busyMsg" },
        },
        busyMsg: { kind: "greeting", audio: { kind: "tts", text: "All agents busy" }, next: "vm" },
        vm: { kind: "voicemail", maxLengthSec: 60, next: "bye" },
        bye: hangup,
      },
      start: "primary",
      groups: [
        group("primary", "simultaneous", ["ann", "bob"]),
        group("backup", "roundRobin", ["cid", "dee"]),
      ],
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    expect(w.legsRung("c1")).toEqual(["ann", "bob"]);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(30) })
      .thenIncludes([
        ev("ConnectCompleted", { outcome: "noAnswer", next: "backup" }),
        ev("LegOriginateRequested", { agentId: "cid" }),
      ]);
    w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(30) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(60) })
      .thenIncludes([
        ev("ConnectCompleted", { outcome: "noAnswer", next: "busyMsg" }),
        ev("PlaybackStarted", { audio: { kind: "tts", text: "All agents busy" } }),
      ]);
    w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(60) });
    const greeting = w.lastPlayback("c1");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: greeting, now: sec(63) })
      .thenIncludes([
        ev("AppletEntered", { appletId: "vm" }),
        ev("VoicemailRecordingStarted", { maxLengthSec: 60 }),
      ]);
    w.run("c1", { type: "PlaybackFinished", playbackId: greeting, now: sec(63) });
    const vm = w.events("c1").find((e) => e.type === "VoicemailRecordingStarted");
    const recordingId = vm?.type === "VoicemailRecordingStarted" ? vm.data.recordingId : "";
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "RecordingFinished", recordingId, now: sec(100) })
      .thenIncludes([
        ev("VoicemailRecorded", { recordingId }),
        ev("AppletEntered", { appletId: "bye", kind: "hangup" }),
        ev("LegHangupRequested", { legId: w.callState("c1").callerLegId }),
        ev("CallEnded", { reason: "hangupApplet" }),
      ]);
    // Every agent rung along the way is free again.
    expect(["ann", "bob", "cid", "dee"].map((a) => w.status(a))).toEqual([
      "available",
      "available",
      "available",
      "available",
    ]);
  });
});

describe("Flow design patterns", () => {
  it("Flow design patterns › Direct Routing: Greeting → Connect (single number) → (no answer) Voicemail", () => {
    const w = worldWith({
      start: "welcome",
      applets: {
        welcome: {
          kind: "greeting",
          audio: { kind: "url", url: "https://cdn.example.com/welcome.wav" },
          next: "connect",
        },
        connect: {
          kind: "connect",
          target: { kind: "number", number: "+14155559999" },
          branches: { noAnswer: "vm", fallback: "vm" },
        },
        vm: { kind: "voicemail", greeting: { kind: "tts", text: "Leave a message" }, maxLengthSec: 90 },
      },
    });
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([
        ev("AppletEntered", { appletId: "welcome" }),
        ev("PlaybackStarted", { purpose: "greeting" }),
      ]);
    w.start("c1", CALLER, BUSINESS, sec(0));
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(4) })
      .thenIncludes([
        ev("AppletEntered", { appletId: "connect" }),
        ev("LegOriginateRequested", { to: { number: "+14155559999" } }),
      ]);
    w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(4) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.legOf("c1"), reason: "noAnswer", now: sec(34) })
      .thenIncludes([
        ev("ConnectCompleted", { outcome: "noAnswer", next: "vm" }),
        ev("PlaybackStarted", { purpose: "voicemailGreeting" }),
      ]);
    w.run("c1", { type: "LegEnded", legId: w.legOf("c1"), reason: "noAnswer", now: sec(34) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(37) })
      .thenIncludes([ev("VoicemailRecordingStarted", { maxLengthSec: 90 })]);
  });

  it("Flow design patterns › Department Routing: IVR 1 → Sales (round-robin), 2 → Support (longest idle), 3 → Billing (sequential)", () => {
    const w = worldWith({
      start: "menu",
      applets: {
        menu: {
          kind: "ivrMenu",
          prompt: { kind: "tts", text: "Press 1 for sales, 2 for support, 3 for billing" },
          branches: { "1": "sales", "2": "support", "3": "billing" },
          timeoutSec: 5,
          retries: 1,
          timeoutBranch: "bye",
          invalidBranch: "bye",
        },
        sales: {
          kind: "connect",
          target: { kind: "group", groupId: "sales" },
          branches: { fallback: "bye" },
        },
        support: {
          kind: "connect",
          target: { kind: "group", groupId: "support" },
          branches: { fallback: "bye" },
        },
        billing: {
          kind: "connect",
          target: { kind: "group", groupId: "billing" },
          branches: { fallback: "bye" },
        },
        bye: hangup,
      },
      groups: [
        group("sales", "roundRobin", ["ann", "bob"]),
        group("support", "longestIdle", ["cid", "dee"]),
        group("billing", "sequential", ["dee", "ann"]),
      ],
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    const cases: Array<[string, string, string]> = [
      ["1", "sales", "roundRobin"],
      ["2", "support", "longestIdle"],
      ["3", "billing", "sequential"],
    ];
    for (const [digit, groupId, strategy] of cases) {
      callSpec
        .given(w.events("c1"), w.ctx())
        .when({ type: "DtmfReceived", digit, now: sec(3) })
        .thenIncludes([
          ev("IvrBranchChosen", { digit, next: groupId }),
          ev("AppletEntered", { appletId: groupId }),
          ev("RoutingDecided", { groupId, strategy }),
        ]);
    }
    // An invalid digit replays the prompt (one retry), then takes the invalid-input branch.
    w.run("c1", { type: "DtmfReceived", digit: "9", now: sec(3) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "DtmfReceived", digit: "9", now: sec(6) })
      .thenIncludes([ev("IvrInputRejected", { reason: "invalidDigit", willRetry: false }), ev("CallEnded")]);
  });

  it("Flow design patterns › IVR timeout: no input after the prompt → retry, then the timeout branch", () => {
    const w = worldWith({
      start: "menu",
      applets: {
        menu: {
          kind: "ivrMenu",
          prompt: { kind: "tts", text: "Press 1" },
          branches: { "1": "bye" },
          timeoutSec: 5,
          retries: 1,
          timeoutBranch: "late",
          invalidBranch: "bye",
        },
        late: { kind: "greeting", audio: { kind: "tts", text: "Goodbye" } },
        bye: hangup,
      },
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(2) })
      .then([
        { type: "TimerScheduled", data: { timerId: "c1:timer-3.1", kind: "ivrTimeout", dueAt: sec(7) } },
      ]);
    w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(2) });
    w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "ivrTimeout"), now: sec(7) });
    w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(9) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "ivrTimeout"), now: sec(14) })
      .thenIncludes([
        ev("IvrInputRejected", { reason: "timeout", attempt: 2, willRetry: false }),
        ev("AppletEntered", { appletId: "late" }),
      ]);
  });

  it("Flow design patterns › Overflow Routing: L1 (busy) → L2; L1 (no answer) → Overflow → (no answer) Voicemail", () => {
    const make = () =>
      worldWith({
        start: "l1",
        applets: {
          l1: {
            kind: "connect",
            target: { kind: "group", groupId: "level1" },
            branches: { busy: "l2", noAnswer: "overflow", fallback: "vm" },
          },
          l2: { kind: "connect", target: { kind: "group", groupId: "level2" }, branches: { fallback: "vm" } },
          overflow: {
            kind: "connect",
            target: { kind: "group", groupId: "overflow" },
            branches: { noAnswer: "vm", fallback: "vm" },
          },
          vm: { kind: "voicemail", maxLengthSec: 60 },
        },
        groups: [
          group("level1", "roundRobin", ["ann"]),
          group("level2", "roundRobin", ["bob"]),
          group("overflow", "simultaneous", ["cid", "dee"]),
        ],
      });
    const busy = make();
    busy.start("c1", CALLER, BUSINESS, sec(0));
    callSpec
      .given(busy.events("c1"), busy.ctx())
      .when({ type: "LegEnded", legId: busy.legOf("c1", "ann"), reason: "busy", now: sec(1) })
      .thenIncludes([
        ev("ConnectCompleted", { outcome: "busy", next: "l2" }),
        ev("LegOriginateRequested", { agentId: "bob" }),
      ]);
    const quiet = make();
    quiet.start("c1", CALLER, BUSINESS, sec(0));
    quiet.run("c1", { type: "TimerFired", timerId: quiet.timer("c1", "ringTimeout"), now: sec(30) });
    expect(quiet.legsRung("c1")).toEqual(["ann", "cid", "dee"]);
    callSpec
      .given(quiet.events("c1"), quiet.ctx())
      .when({ type: "TimerFired", timerId: quiet.timer("c1", "ringTimeout"), now: sec(60) })
      .thenIncludes([
        ev("ConnectCompleted", { outcome: "noAnswer", next: "vm" }),
        ev("VoicemailRecordingStarted"),
      ]);
  });
});
