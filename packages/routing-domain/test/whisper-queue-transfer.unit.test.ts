import { describe, expect, it } from "vitest";
import { type CallEvent, CallNotQueuedError, NoConnectedAgentError, nextCallerFor } from "../src/index.js";
import { connectToAnn, connectToGroup, group, hangup, worldWith } from "./support/fixtures.js";
import { ev } from "./support/match.js";
import { BUSINESS, CALLER, callSpec, sec, type World } from "./support/world.js";

const whisperWorld = () =>
  worldWith({
    applets: {
      connect: {
        kind: "connect",
        target: { kind: "group", groupId: "sales" },
        whisper: { kind: "url", url: "https://cdn.example.com/whisper-sales.wav" },
        holdMusic: { kind: "url", url: "https://cdn.example.com/hold.mp3" },
        branches: { fallback: "bye" },
      },
      bye: hangup,
    },
    groups: [group("sales", "simultaneous", ["ann", "bob"])],
  });

describe("Whisper messages", () => {
  it("Whisper › 1-2: whisper enabled on the applet with an audio file or TTS text", () => {
    const w = whisperWorld();
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([
        ev("RoutingDecided", { whisper: { kind: "url", url: "https://cdn.example.com/whisper-sales.wav" } }),
      ]);
  });

  it("Whisper › 3: the agent hears the whisper; the caller hears hold music (never the whisper)", () => {
    const w = whisperWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    const caller = w.callState("c1").callerLegId;
    const annLeg = w.legOf("c1", "ann");
    const d = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: annLeg, now: sec(4) })
      .thenIncludes([ev("LegAnswered", { legId: annLeg }), ev("WhisperRequested", { legId: annLeg })]);
    const types = d.call.events.map((e) => e.type);
    expect(types).not.toContain("HoldMusicStopped");
    expect(types).not.toContain("LegsBridged");
    expect(w.callState("c1").holdMusic).toEqual([caller]);
  });

  it("Whisper › 4: after the whisper both parties are connected", () => {
    const w = whisperWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    const caller = w.callState("c1").callerLegId;
    const annLeg = w.legOf("c1", "ann");
    w.run("c1", { type: "LegAnswered", legId: annLeg, now: sec(4) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(7) })
      .then([
        { type: "HoldMusicStopped", data: { legId: caller } },
        { type: "LegsBridged", data: { legIds: [caller, annLeg], at: sec(7) } },
        { type: "ConnectCompleted", data: { appletId: "connect", outcome: "answered", reason: "answered" } },
      ]);
  });

  it("Troubleshooting › Whisper message plays to caller: whisper is only ever sent to the agent leg, before the bridge", () => {
    const w = whisperWorld();
    w.start("c1", CALLER, BUSINESS, sec(0));
    const annLeg = w.legOf("c1", "ann");
    w.run("c1", { type: "LegAnswered", legId: annLeg, now: sec(4) });
    w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(7) });
    const events = w.events("c1");
    const caller = w.callState("c1").callerLegId;
    const whispers = events.filter((e) => e.type === "WhisperRequested");
    expect(whispers).toHaveLength(1);
    for (const e of events) {
      if (e.type === "WhisperRequested") expect(e.data.legId).not.toBe(caller);
      if (e.type === "PlaybackStarted")
        expect(e.data.legId === caller && e.data.audio.kind === "url").toBe(false);
    }
    const at = (type: CallEvent["type"]) => events.findIndex((e) => e.type === type);
    expect(at("WhisperRequested")).toBeLessThan(at("LegsBridged"));
    expect(at("HoldMusicStarted")).toBeLessThan(at("WhisperRequested"));
    expect(at("HoldMusicStopped")).toBeGreaterThan(at("WhisperRequested"));
  });
});

const queueWorld = (queue: object) =>
  worldWith({
    applets: {
      connect: {
        kind: "connect",
        target: { kind: "group", groupId: "sales" },
        branches: { noAnswer: "vm", fallback: "bye" },
      },
      vm: { kind: "voicemail", maxLengthSec: 60 },
      bye: hangup,
    },
    groups: [group("sales", "roundRobin", ["ann", "bob"], { queue: { enabled: true, ...queue } })],
    signIn: ["ann", "bob"],
  });

/** Ann and Bob are on other calls. */
const busyAgents = (w: World) => {
  w.agent("ann", { type: "Reserve", callId: "x1", legId: "l", now: sec(0) });
  w.agent("bob", { type: "Reserve", callId: "x2", legId: "l", now: sec(0) });
};

describe("Queue behaviour", () => {
  it("Queue settings › Queue enabled: Yes queues the caller when all agents are busy; No takes the all-agents-busy branch", () => {
    const on = queueWorld({});
    busyAgents(on);
    const d = callSpec
      .given([], on.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(1) })
      .thenIncludes([ev("CallerEnqueued", { groupId: "sales", position: 1, enqueuedAt: sec(1) })]);
    expect(d.queues).toMatchObject([
      { streamId: "queue-sales", expectedVersion: 0, events: [{ type: "CallerQueued" }] },
    ]);
    const off = queueWorld({ enabled: false });
    busyAgents(off);
    callSpec
      .given([], off.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(1) })
      .thenIncludes([ev("ConnectCompleted", { outcome: "allAgentsBusy", next: "bye" })]);
  });

  it("Queue settings › Queue hold music: the configured audio plays to the caller while waiting", () => {
    const w = queueWorld({ holdMusic: { kind: "url", url: "https://cdn.example.com/queue.mp3" } });
    busyAgents(w);
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(1) })
      .thenIncludes([
        ev("CallerEnqueued"),
        ev("HoldMusicStarted", {
          legId: "c1:leg-0.1",
          audio: { kind: "url", url: "https://cdn.example.com/queue.mp3" },
        }),
      ]);
  });

  it("Queue settings › Queue position announcement: on entry, and when the position changes, at most every N seconds", () => {
    const w = queueWorld({ announcePosition: true, announceEverySec: 20 });
    busyAgents(w);
    w.start("c1", CALLER, BUSINESS, sec(1));
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c2", from: CALLER, to: BUSINESS, now: sec(2) })
      .thenIncludes([
        ev("CallerEnqueued", { position: 2 }),
        ev("QueuePositionAnnounced", { position: 2 }),
        ev("TimerScheduled", { kind: "queuePosition", dueAt: sec(22) }),
      ]);
    w.start("c2", CALLER, BUSINESS, sec(2));
    // The caller ahead hangs up: c2 moves up to position 1.
    w.run("c1", { type: "LegEnded", legId: w.callState("c1").callerLegId, reason: "hungUp", now: sec(5) });
    expect(w.queues.sales?.state.entries.map((e) => e.callId)).toEqual(["c2"]);
    // Too soon after the last announcement (3 s < 20 s): nothing yet.
    callSpec
      .given(w.events("c2"), w.ctx())
      .when({ type: "QueueChanged", now: sec(5) })
      .thenNothing();
    callSpec
      .given(w.events("c2"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c2", "queuePosition"), now: sec(22) })
      .thenIncludes([
        ev("QueuePositionAnnounced", { position: 1 }),
        ev("TimerScheduled", { kind: "queuePosition", dueAt: sec(42) }),
      ]);
    w.run("c2", { type: "TimerFired", timerId: w.timer("c2", "queuePosition"), now: sec(22) });
    // Position unchanged: the next check announces nothing.
    const next = callSpec
      .given(w.events("c2"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c2", "queuePosition"), now: sec(42) }).events;
    expect(next.map((e) => e.type)).toEqual(["TimerElapsed", "TimerScheduled"]);
  });

  it("Queue settings › Max queue wait time: after it the caller is routed to the fallback branch", () => {
    const w = queueWorld({ maxWaitSec: 120 });
    busyAgents(w);
    w.start("c1", CALLER, BUSINESS, sec(1));
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "queueMaxWait"), now: sec(121) })
      .thenIncludes([
        ev("TimerElapsed", { kind: "queueMaxWait" }),
        ev("CallerDequeued", { groupId: "sales", reason: "maxWait" }),
        // Its own outcome; the flow wires no queueTimeout branch, so it takes the no-answer branch as before.
        ev("ConnectCompleted", { outcome: "queueTimeout", reason: "max queue wait reached", next: "vm" }),
        ev("VoicemailRecordingStarted"),
      ]);
    w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "queueMaxWait"), now: sec(121) });
    expect(w.queues.sales?.state.entries).toEqual([]);
  });

  it("Queue settings › Max queue size: when the queue is full the all-agents-busy branch is taken at once", () => {
    const w = queueWorld({ maxSize: 1 });
    busyAgents(w);
    w.start("c1", CALLER, BUSINESS, sec(1));
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c2", from: CALLER, to: BUSINESS, now: sec(2) })
      .thenIncludes([
        ev("ConnectCompleted", {
          outcome: "queueFull",
          reason: "queue of group sales is full (1 callers)",
          next: "bye",
        }),
      ]);
  });

  it("Queue settings › a flow tells a queue timeout and a full queue from no answer and all agents busy by their own branches", () => {
    const w = worldWith({
      applets: {
        connect: {
          kind: "connect",
          target: { kind: "group", groupId: "sales" },
          branches: {
            noAnswer: "vm",
            allAgentsBusy: "bye",
            queueTimeout: "sorry",
            queueFull: "later",
            fallback: "bye",
          },
        },
        vm: { kind: "voicemail", maxLengthSec: 60 },
        sorry: hangup,
        later: hangup,
        bye: hangup,
      },
      groups: [
        group("sales", "roundRobin", ["ann", "bob"], {
          queue: { enabled: true, maxSize: 1, maxWaitSec: 60 },
        }),
      ],
      signIn: ["ann", "bob"],
    });
    busyAgents(w);
    w.start("c1", CALLER, BUSINESS, sec(1));
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c2", from: CALLER, to: BUSINESS, now: sec(2) })
      .thenIncludes([ev("ConnectCompleted", { outcome: "queueFull", next: "later" })]);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "queueMaxWait"), now: sec(61) })
      .thenIncludes([ev("ConnectCompleted", { outcome: "queueTimeout", next: "sorry" })]);
  });

  it("Queue › a freed agent takes the caller who has waited longest among the queues the agent serves", () => {
    const w = worldWith({
      applets: connectToGroup("sales"),
      groups: [
        group("sales", "roundRobin", ["ann"], { queue: { enabled: true } }),
        group("support", "roundRobin", ["ann", "bob"], { queue: { enabled: true } }),
      ],
      signIn: [],
    });
    const queues = {
      sales: { state: { entries: [{ callId: "s1", enqueuedAt: sec(30) }] }, version: 1 },
      support: {
        state: {
          entries: [
            { callId: "p1", enqueuedAt: sec(20) },
            { callId: "p2", enqueuedAt: sec(40) },
          ],
        },
        version: 2,
      },
    };
    expect(nextCallerFor("ann", queues, w.config)).toEqual({
      groupId: "support",
      callId: "p1",
      enqueuedAt: sec(20),
    });
    expect(nextCallerFor("dee", queues, w.config)).toBeUndefined();
  });

  it("Queue › the offered agent is reserved, the caller leaves the queue and the agent is rung", () => {
    const w = queueWorld({});
    busyAgents(w);
    w.start("c1", CALLER, BUSINESS, sec(1));
    w.agent("bob", { type: "Release", callId: "x2", now: sec(10), reason: "done" });
    expect(nextCallerFor("bob", w.queues, w.config)?.callId).toBe("c1");
    const d = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "OfferAgent", agentId: "bob", now: sec(10) })
      .thenIncludes([
        ev("CallerDequeued", { reason: "agentOffered" }),
        ev("RoutingDecided", { purpose: "queueOffer", chosen: ["bob"] }),
        ev("LegOriginateRequested", { agentId: "bob" }),
        ev("TimerScheduled", { kind: "ringTimeout" }),
      ]);
    expect(d.agents).toMatchObject([{ agentId: "bob", events: [{ type: "AgentReserved" }] }]);
    expect(d.queues).toMatchObject([
      { events: [{ type: "CallerLeftQueue", data: { reason: "agentOffered" } }] },
    ]);
    // The group's strategy chooses, whoever's release triggered the offer: Bob is the only one free.
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "OfferAgent", agentId: "ann", now: sec(10) })
      .thenIncludes([ev("RoutingDecided", { purpose: "queueOffer", chosen: ["bob"] })]);
    w.run("c1", { type: "OfferAgent", agentId: "bob", now: sec(10) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "OfferAgent", agentId: "bob", now: sec(11) })
      .then(CallNotQueuedError);
    // Bob does not answer: the caller goes back to the queue, keeping their original place in time.
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(40) })
      .thenIncludes([ev("LegCancelRequested"), ev("CallerEnqueued", { enqueuedAt: sec(1), position: 1 })]);
  });

  it("Queue › a caller who hangs up leaves the queue and everyone behind moves up", () => {
    const w = queueWorld({});
    busyAgents(w);
    for (const [i, id] of ["c1", "c2", "c3"].entries()) w.start(id, CALLER, BUSINESS, sec(1 + i));
    const d = callSpec
      .given(w.events("c2"), w.ctx())
      .when({ type: "LegEnded", legId: w.callState("c2").callerLegId, reason: "hungUp", now: sec(9) })
      .thenIncludes([
        ev("TimerCancelled"),
        ev("CallerDequeued", { reason: "callEnded" }),
        ev("CallEnded", { reason: "callerHungUp" }),
      ]);
    expect(d.queues).toMatchObject([
      { events: [{ type: "CallerLeftQueue", data: { callId: "c2", reason: "callerHungUp" } }] },
    ]);
    w.run("c2", { type: "LegEnded", legId: w.callState("c2").callerLegId, reason: "hungUp", now: sec(9) });
    expect(w.queues.sales?.state.entries.map((e) => e.callId)).toEqual(["c1", "c3"]);
  });
});

const transferWorld = () => {
  const w = worldWith({
    applets: connectToAnn(),
    groups: [group("tier2", "longestIdle", ["cid", "dee"])],
  });
  w.start("c1", CALLER, BUSINESS, sec(0));
  w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(3) });
  return w;
};

describe("Warm transfer", () => {
  it("Warm transfer › 1: the first Connect connects the caller to Agent A", () => {
    const w = transferWorld();
    const s = w.callState("c1");
    expect(s.bridge).toEqual([s.callerLegId, w.legOf("c1", "ann")]);
    expect(w.status("ann")).toBe("onCall");
  });

  it("Warm transfer › 2-3: Agent A initiates the transfer; the caller is placed on hold (with hold music)", () => {
    const w = transferWorld();
    const s = w.callState("c1");
    const a = w.legOf("c1", "ann");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({
        type: "RequestTransfer",
        transferId: "t1",
        mode: "warm",
        target: { kind: "agent", agentId: "bob" },
        now: sec(60),
      })
      .thenIncludes([
        ev("TransferRequested", { transferId: "t1", mode: "warm", agentLegId: a }),
        ev("LegsUnbridged", { legIds: [s.callerLegId, a] }),
        ev("HoldMusicStarted", { legId: s.callerLegId, audio: { kind: "defaultTone" } }),
        ev("RoutingDecided", { purpose: "transfer", chosen: ["bob"] }),
        ev("LegOriginateRequested", { role: "consult", agentId: "bob" }),
        ev("TimerScheduled", { kind: "transferRingTimeout" }),
      ]);
  });

  it("Warm transfer › 4: Agent A speaks to Agent B (consult leg A↔B) while the caller holds", () => {
    const w = transferWorld();
    const a = w.legOf("c1", "ann");
    w.run("c1", {
      type: "RequestTransfer",
      transferId: "t1",
      mode: "warm",
      target: { kind: "agent", agentId: "bob" },
      now: sec(60),
    });
    const b = w.legOf("c1", "bob");
    const d = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: b, now: sec(64) })
      .thenIncludes([ev("LegAnswered", { legId: b }), ev("LegsBridged", { legIds: [a, b] })]);
    expect(d.call.events.map((e) => e.type)).not.toContain("HoldMusicStopped");
  });

  it("Warm transfer › 5: Agent A disconnects; the caller is connected to Agent B", () => {
    const w = transferWorld();
    const a = w.legOf("c1", "ann");
    const caller = w.callState("c1").callerLegId;
    w.run("c1", {
      type: "RequestTransfer",
      transferId: "t1",
      mode: "warm",
      target: { kind: "agent", agentId: "bob" },
      now: sec(60),
    });
    const b = w.legOf("c1", "bob");
    w.run("c1", { type: "LegAnswered", legId: b, now: sec(64) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: a, reason: "hungUp", now: sec(90) })
      .thenIncludes([
        ev("LegEnded", { legId: a }),
        ev("HoldMusicStopped", { legId: caller }),
        ev("LegsBridged", { legIds: [caller, b] }),
        ev("TransferCompleted", { transferId: "t1", agentLegId: b }),
      ]);
    // Or A completes from the dashboard: A's leg is hung up for them.
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "CompleteTransfer", transferId: "t1", now: sec(90) })
      .thenIncludes([
        ev("LegsUnbridged", { legIds: [a, b] }),
        ev("LegHangupRequested", { legId: a }),
        ev("LegsBridged", { legIds: [caller, b] }),
        ev("TransferCompleted"),
      ]);
    w.run("c1", { type: "CompleteTransfer", transferId: "t1", now: sec(90) });
    expect([w.status("ann"), w.status("bob")]).toEqual(["available", "onCall"]);
    // B is now the caller's agent: B hanging up ends the call.
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: b, reason: "hungUp", now: sec(300) })
      .thenIncludes([
        ev("LegHangupRequested", { legId: caller }),
        ev("CallEnded", { reason: "agentHungUp" }),
      ]);
  });

  it("Warm transfer › B declines or does not answer: the caller returns to Agent A", () => {
    const w = transferWorld();
    const a = w.legOf("c1", "ann");
    const caller = w.callState("c1").callerLegId;
    w.run("c1", {
      type: "RequestTransfer",
      transferId: "t1",
      mode: "warm",
      target: { kind: "agent", agentId: "cid" },
      now: sec(60),
    });
    const b = w.legOf("c1");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: b, reason: "busy", now: sec(62) })
      .thenIncludes([
        ev("TransferFailed", { transferId: "t1", returnedTo: a }),
        ev("HoldMusicStopped", { legId: caller }),
        ev("LegsBridged", { legIds: [caller, a] }),
      ]);
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "TimerFired", timerId: w.timer("c1", "transferRingTimeout"), now: sec(90) })
      .thenIncludes([
        ev("LegCancelRequested", { legId: b }),
        ev("TransferFailed", { returnedTo: a }),
        ev("LegsBridged", { legIds: [caller, a] }),
      ]);
  });

  it("Blind transfer: A drops at once; the caller goes straight to B when B answers", () => {
    const w = transferWorld();
    const a = w.legOf("c1", "ann");
    const caller = w.callState("c1").callerLegId;
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({
        type: "RequestTransfer",
        transferId: "t1",
        mode: "blind",
        target: { kind: "number", number: "+14155558888" },
        now: sec(60),
      })
      .thenIncludes([
        ev("TransferRequested", { mode: "blind" }),
        ev("LegHangupRequested", { legId: a }),
        ev("LegOriginateRequested", { role: "consult" }),
      ]);
    w.run("c1", {
      type: "RequestTransfer",
      transferId: "t1",
      mode: "blind",
      target: { kind: "number", number: "+14155558888" },
      now: sec(60),
    });
    const b = w.legOf("c1");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: b, now: sec(65) })
      .thenIncludes([
        ev("HoldMusicStopped", { legId: caller }),
        ev("LegsBridged", { legIds: [caller, b] }),
        ev("TransferCompleted"),
      ]);
  });

  it("A transfer to an agent who cannot take it fails at once; the caller stays connected to A", () => {
    const w = transferWorld();
    w.agent("bob", { type: "StartBreak", now: sec(30) });
    const a = w.legOf("c1", "ann");
    const d = callSpec.given(w.events("c1"), w.ctx()).when({
      type: "RequestTransfer",
      transferId: "t1",
      mode: "blind",
      target: { kind: "agent", agentId: "bob" },
      now: sec(60),
    });
    expect(d.events.map((e) => e.type)).toEqual(["TransferRequested", "RoutingDecided", "TransferFailed"]);
    d.thenIncludes([
      ev("RoutingDecided", { candidates: [{ agentId: "bob", status: "onBreak" }] }),
      ev("TransferFailed", { returnedTo: a }),
    ]);
    w.run("c1", {
      type: "RequestTransfer",
      transferId: "t1",
      mode: "blind",
      target: { kind: "agent", agentId: "bob" },
      now: sec(60),
    });
    expect(w.callState("c1").bridge).toEqual(["c1:leg-0.1", a]);
  });

  it("A transfer needs an agent connected to the caller", () => {
    const w = worldWith({
      applets: connectToAnn(),
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({
        type: "RequestTransfer",
        transferId: "t1",
        mode: "warm",
        target: { kind: "agent", agentId: "bob" },
        now: sec(1),
      })
      .then(NoConnectedAgentError);
  });
});

describe("Queue fairness", () => {
  it("Queue › a new caller does not jump ahead of callers already waiting, even if an agent is free at that moment", () => {
    const w = queueWorld({});
    busyAgents(w);
    w.start("c1", CALLER, BUSINESS, sec(1));
    w.agent("bob", { type: "Release", callId: "x2", now: sec(5), reason: "done" });
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c2", from: CALLER, to: BUSINESS, now: sec(6) })
      .thenIncludes([
        ev("RoutingDecided", {
          chosen: [],
          reason: "1 caller(s) already waiting in the queue of group sales: joining behind them",
        }),
        ev("CallerEnqueued", { position: 2 }),
      ]);
  });
});
