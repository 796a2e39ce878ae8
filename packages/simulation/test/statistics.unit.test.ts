import { parseContactCentre } from "@switchyard/contact-centre";
import { describe, expect, it } from "vitest";
import {
  computeStatistics,
  defaultTraffic,
  formatProgress,
  formatSummary,
  type LoggedEvent,
  planPhones,
  StatisticsBuilder,
} from "../src/index.js";

const CONFIG = parseContactCentre(
  `
agents:
  - { id: alice, name: Alice, phone: "+15550000001" }
  - { id: bob, name: Bob, phone: "+15550000002" }
  - { id: carol, name: Carol, phone: "+15550000003", wrapUpSec: 10 }
groups:
  - { id: sales, name: Sales, strategy: round-robin, members: [alice, bob], queue: { enabled: true } }
  - { id: support, name: Support, strategy: sequential, members: [carol] }
numbers:
  - { number: "+442071234567", flow: main }
flows:
  - id: main
    start: menu
    applets:
      menu: { type: ivrMenu, prompt: "1", branches: { "1": sales }, timeoutBranch: sorry, invalidBranch: sorry }
      sales: { type: connect, target: { group: sales }, branches: { noAnswer: support, busy: support, fallback: vm } }
      support: { type: connect, target: { group: support }, branches: { fallback: vm } }
      vm: { type: voicemail, maxLengthSec: 60, next: bye }
      sorry: { type: greeting, audio: "Sorry", next: bye }
      bye: { type: hangup }
`,
  "cc.yaml",
).snapshot;

const T0 = 1_700_000_000_000;
const s = (sec: number) => T0 + sec * 1000;

/** A tiny event-log writer: call and agent events as the domain writes them (only the fields used). */
function log() {
  const events: LoggedEvent[] = [];
  const call = (id: string) => {
    const e = (type: string, data: Record<string, unknown>) =>
      events.push({ streamId: `call-${id}`, type, data });
    return {
      start: (at: number) =>
        e("CallStarted", {
          callId: id,
          flowId: "main",
          from: "+15551000000",
          to: "+442071234567",
          at: s(at),
        }),
      enter: (appletId: string, kind: string, at: number) =>
        e("AppletEntered", { appletId, kind, at: s(at) }),
      queued: (at: number) => e("CallerEnqueued", { groupId: "sales", enqueuedAt: s(at), position: 1 }),
      dequeued: (reason: string) => e("CallerDequeued", { groupId: "sales", reason }),
      bridged: (at: number) => e("LegsBridged", { legIds: ["caller", "agent"], at: s(at) }),
      completed: (appletId: string, outcome: string) =>
        e("ConnectCompleted", { appletId, outcome, reason: outcome }),
      voicemail: () =>
        e("VoicemailRecordingStarted", { recordingId: "vm", legId: "caller", maxLengthSec: 60 }),
      ended: (reason: string, at: number) => e("CallEnded", { reason, at: s(at) }),
    };
  };
  const agent = (id: string) => {
    const e = (type: string, data: Record<string, unknown>) =>
      events.push({ streamId: `agent-${id}`, type, data });
    return {
      signIn: (at: number) => e("AgentSignedIn", { at: s(at) }),
      offered: (callId: string, at: number) => {
        e("AgentReserved", { callId, legId: "l", at: s(at) });
        e("AgentRinging", { callId, at: s(at) });
      },
      answered: (callId: string, at: number) => e("AgentAnswered", { callId, at: s(at), periodKey: "p" }),
      released: (callId: string, at: number, missed = true) =>
        e("AgentReleased", {
          callId,
          at: s(at),
          reason: missed ? "noAnswer" : "lostRace",
          ...(missed ? { missed: true, misses: 1 } : {}),
        }),
      callEnded: (callId: string, at: number, wrapUpEndsAt?: number) =>
        e("AgentCallEnded", {
          callId,
          at: s(at),
          ...(wrapUpEndsAt === undefined ? {} : { wrapUpEndsAt: s(wrapUpEndsAt) }),
        }),
    };
  };
  return { events, call, agent };
}

function scenario(): LoggedEvent[] {
  const { events, call, agent } = log();
  const [alice, bob, carol] = [agent("alice"), agent("bob"), agent("carol")];
  alice.signIn(0);
  bob.signIn(0);
  carol.signIn(0);
  // c1: answered by Alice after 6 s of ringing.
  const c1 = call("c1");
  c1.start(1);
  c1.enter("menu", "ivrMenu", 1);
  c1.enter("sales", "connect", 10);
  alice.offered("c1", 10);
  alice.answered("c1", 16);
  c1.bridged(16);
  c1.completed("sales", "answered");
  // c2: queued 56 s, then Alice (freed) answers 4 s later: waited 60 s.
  const c2 = call("c2");
  c2.start(18);
  c2.enter("sales", "connect", 20);
  c2.queued(20);
  // c3: queued, hangs up after 20 s: abandoned in queue.
  const c3 = call("c3");
  c3.start(29);
  c3.enter("sales", "connect", 30);
  c3.queued(30);
  c3.dequeued("callEnded");
  c3.ended("callerHungUp", 50);
  // c4: Bob does not answer, falls back to Support where Carol answers 5 s later.
  const c4 = call("c4");
  c4.start(39);
  c4.enter("sales", "connect", 40);
  bob.offered("c4", 40);
  bob.released("c4", 70);
  c4.completed("sales", "noAnswer");
  c4.enter("support", "connect", 70);
  carol.offered("c4", 70);
  carol.answered("c4", 75);
  c4.bridged(75);
  c4.completed("support", "answered");
  // c1 ends; c2 is offered to Alice.
  c1.ended("callerHungUp", 76);
  alice.callEnded("c1", 76);
  c2.dequeued("agentOffered");
  alice.offered("c2", 76);
  alice.answered("c2", 80);
  c2.bridged(80);
  c2.completed("sales", "answered");
  // c5: no key pressed: sorry greeting, then the hangup applet.
  const c5 = call("c5");
  c5.start(90);
  c5.enter("menu", "ivrMenu", 90);
  c5.enter("sorry", "greeting", 100);
  c5.enter("bye", "hangup", 103);
  c5.ended("hangupApplet", 103);
  // c6: Bob again does not answer; Carol busy → voicemail.
  const c6 = call("c6");
  c6.start(99);
  c6.enter("sales", "connect", 100);
  bob.offered("c6", 100);
  bob.released("c6", 130);
  c6.completed("sales", "noAnswer");
  c6.enter("support", "connect", 130);
  c6.completed("support", "allAgentsBusy");
  c6.enter("vm", "voicemail", 130);
  c6.voicemail();
  c6.ended("callerHungUp", 150);
  c4.ended("callerHungUp", 135);
  carol.callEnded("c4", 135, 145);
  c2.ended("callerHungUp", 140);
  alice.callEnded("c2", 140);
  // c7: still waiting in the queue when the period ends.
  const c7 = call("c7");
  c7.start(199);
  c7.enter("sales", "connect", 200);
  c7.queued(200);
  return events;
}

describe("statistics from the event log", () => {
  it("computes the call, group and agent figures and where unanswered calls went", () => {
    const stats = computeStatistics(scenario(), CONFIG, { serviceLevelSec: 20, until: s(300) });
    expect(stats).toMatchObject({ arrived: 7, ended: 6, inProgress: 1, queuedNow: 1, serviceLevelSec: 20 });
    expect(stats.calls).toEqual({
      offered: 6,
      answered: 3,
      answerRate: 0.5,
      averageSpeedOfAnswerSec: (6 + 60 + 35) / 3,
      waitedShare: 0.5,
      serviceLevel: 1 / 6,
      abandoned: 1,
      abandonmentRate: 1 / 6,
      queued: 3,
      fellBack: 2,
    });
    const group = (key: string) => stats.groups.find((g) => g.key === key);
    expect(group("sales")).toEqual({
      key: "sales",
      label: "Sales (sales)",
      offered: 6,
      answered: 2,
      answerRate: 2 / 6,
      averageSpeedOfAnswerSec: 33,
      waitedShare: 0.5,
      serviceLevel: 1 / 6,
      abandoned: 1,
      abandonmentRate: 1 / 6,
      queued: 3,
      fellBack: 2,
    });
    expect(group("support")).toMatchObject({
      offered: 2,
      answered: 1,
      averageSpeedOfAnswerSec: 5,
      serviceLevel: 0.5,
      waitedShare: 0,
      fellBack: 1,
    });
    expect(stats.agents).toEqual([
      {
        agentId: "alice",
        name: "Alice",
        state: "idle",
        offered: 2,
        handled: 2,
        missed: 0,
        talkSec: 120,
        signedInSec: 300,
        utilisation: 0.4,
      },
      {
        agentId: "bob",
        name: "Bob",
        state: "idle",
        offered: 2,
        handled: 0,
        missed: 2,
        talkSec: 0,
        signedInSec: 300,
        utilisation: 0,
      },
      {
        agentId: "carol",
        name: "Carol",
        state: "wrap-up",
        offered: 1,
        handled: 1,
        missed: 0,
        talkSec: 60,
        signedInSec: 300,
        utilisation: 0.2,
      },
    ]);
    expect(stats.unanswered).toEqual({
      "abandoned in queue": 1,
      "hang-up after greeting": 1,
      voicemail: 1,
      "still queued at the end": 1,
    });
    expect(stats.unansweredPaths).toEqual({
      "abandoned in queue": { sales: 1 },
      "hang-up after greeting": { "menu → sorry → bye": 1 },
      voicemail: { "sales → support → vm": 1 },
      "still queued at the end": { sales: 1 },
    });
  });

  it("compares the expected wait each queued caller was first told with the wait that followed", () => {
    const { events, call } = log();
    const told = (id: string, at: number, expectedWaitSec?: number) =>
      events.push({
        streamId: `call-${id}`,
        type: "QueuePositionAnnounced",
        data: {
          playbackId: "p",
          legId: "caller",
          position: 1,
          at: s(at),
          ...(expectedWaitSec === undefined ? {} : { expectedWaitSec }),
        },
      });
    // q1: told 60 s at 10 s, answered at 100 s (waited 90 s: 30 s off). q2: told 40 s, answered after 30 s.
    // q3: told, then hung up (not checked). q4: only ever told its position.
    for (const [id, estimate, answeredAt] of [
      ["q1", 60, 100],
      ["q2", 40, 40],
      ["q3", 50, undefined],
      ["q4", undefined, 30],
    ] as const) {
      const c = call(id);
      c.start(0);
      c.enter("sales", "connect", 5);
      c.queued(5);
      told(id, 10, estimate);
      // A later announcement does not replace the first estimate; a position alone is no estimate.
      told(id, 20, estimate === undefined ? undefined : 999);
      if (answeredAt !== undefined) c.bridged(answeredAt);
      else c.ended("callerHungUp", 70);
    }
    const stats = computeStatistics(events, CONFIG, { until: s(300) });
    expect(stats.expectedWait).toEqual({ told: 3, checked: 2, medianAbsErrorSec: 30, medianWaitSec: 90 });
    expect(formatSummary(stats).join("\n")).toContain(
      "expected waits announced: 3 callers told; 2 answered afterwards",
    );
  });

  it("counts callbacks offered, accepted, completed and failed, and the time to call back", () => {
    const { events, call } = log();
    const step = (id: string, type: string, data: Record<string, unknown>) =>
      events.push({ streamId: `call-${id}`, type, data });
    for (const [id, accepted, outcome] of [
      ["k1", true, "connected"],
      ["k2", true, "failed"],
      ["k3", false, "hungUp"],
    ] as const) {
      const c = call(id);
      c.start(0);
      c.enter("sales", "connect", 1);
      c.queued(1);
      step(id, "CallbackStep", { phase: "offered" });
      if (accepted) step(id, "CallbackRequested", { number: "+15551000000", at: s(20) });
      if (outcome === "connected") c.bridged(140);
      if (outcome === "failed") c.ended("callbackFailed", 300);
      if (outcome === "hungUp") c.ended("callerHungUp", 30);
    }
    const stats = computeStatistics(events, CONFIG, { until: s(400) });
    expect(stats.callbacks).toEqual({
      offered: 3,
      accepted: 2,
      completed: 1,
      failed: 1,
      medianTimeToCallbackSec: 120,
    });
    expect(formatSummary(stats).join("\n")).toContain(
      "callbacks: 3 offered, 2 accepted, 1 completed, 1 failed",
    );
  });

  it("counts an open call's talk time and sign-in up to the time asked for", () => {
    const { events, call, agent } = log();
    const a = agent("alice");
    a.signIn(0);
    const c = call("x");
    c.start(0);
    c.enter("sales", "connect", 0);
    a.offered("x", 0);
    a.answered("x", 2);
    c.bridged(2);
    const builder = new StatisticsBuilder(CONFIG).addAll(events);
    expect(builder.result(s(12)).agents[0]).toMatchObject({ talkSec: 10, signedInSec: 12, state: "on call" });
    expect(builder.result(s(22)).agents[0]).toMatchObject({ talkSec: 20, signedInSec: 22 });
    expect(builder.result(s(22)).calls).toMatchObject({ offered: 1, answered: 1, serviceLevel: 1 });
  });

  it("ignores events of calls it never saw start, and of other streams", () => {
    const stats = computeStatistics(
      [
        { streamId: "call-ghost", type: "LegsBridged", data: { at: s(1) } },
        { streamId: "config", type: "AgentDefined", data: {} },
        { streamId: "queue-sales", type: "CallerQueued", data: {} },
      ],
      CONFIG,
    );
    expect(stats.arrived).toBe(0);
    expect(stats.calls.offered).toBe(0);
    expect(stats.calls.answerRate).toBe(0);
  });

  it("formats a progress line and a summary", () => {
    const stats = computeStatistics(scenario(), CONFIG, { until: s(300) });
    expect(formatProgress(stats, 300)).toBe(
      "[05:00] calls 7 offered 6 answered 3 fallen back 2 queued 1 abandoned 1 in progress 1 | alice:idle bob:idle carol:wrap",
    );
    const summary = formatSummary(stats).join("\n");
    expect(summary).toContain("calls: 7 arrived, 6 offered to agents, 3 answered (answer rate 50.0%)");
    expect(summary).toContain("average speed of answer 33.7 s; service level 16.7% answered within 20 s");
    expect(summary).toMatch(/Alice \(alice\)\s+2\s+2\s+0\s+120\.0 s\s+300\.0 s\s+40\.0%/);
    expect(summary).toContain("  voicemail: 1\n    1 × sales → support → vm");
  });

  it("reports direct Connect targets under their address, and a hang-up before the voicemail tone", () => {
    const direct = parseContactCentre(
      `
numbers: [{ number: "+442071234567", flow: d }]
flows:
  - id: d
    start: ring
    applets:
      ring: { type: connect, target: { external: "+15550009999" }, branches: { fallback: vm } }
      vm: { type: voicemail, greeting: "Leave a message", maxLengthSec: 30 }
`,
      "direct.yaml",
    ).snapshot;
    const events: LoggedEvent[] = [];
    const e = (id: string, type: string, data: Record<string, unknown>) =>
      events.push({ streamId: `call-${id}`, type, data });
    e("d1", "CallStarted", { flowId: "d", at: s(0) });
    e("d1", "AppletEntered", { appletId: "ring", kind: "connect", at: s(0) });
    e("d1", "LegsBridged", { at: s(4) });
    e("d2", "CallStarted", { flowId: "d", at: s(10) });
    e("d2", "AppletEntered", { appletId: "ring", kind: "connect", at: s(10) });
    e("d2", "ConnectCompleted", { outcome: "noAnswer" });
    e("d2", "AppletEntered", { appletId: "vm", kind: "voicemail", at: s(40) });
    e("d2", "CallEnded", { reason: "callerHungUp", at: s(41) });
    const stats = computeStatistics(events, direct, { until: s(60) });
    expect(stats.groups).toEqual([
      expect.objectContaining({
        key: "number:+15550009999",
        label: "number +15550009999",
        offered: 2,
        answered: 1,
      }),
    ]);
    expect(stats.unanswered).toEqual({ "hung up before the voicemail tone": 1 });
    // The simulation scripts a phone for the directly rung number too.
    expect(planPhones(defaultTraffic([]), direct).map((p) => [p.agentId, p.key])).toEqual([
      ["number:+15550009999", "+15550009999"],
    ]);
  });

  it("counts only calls started since a given time, and agent time from then", () => {
    const stats = computeStatistics(scenario(), CONFIG, { since: s(95), until: s(300) });
    // c6 (99 s) and c7 (199 s) started after 95 s; c5 at 90 s did not.
    expect(stats.arrived).toBe(2);
    expect(stats.calls).toMatchObject({ offered: 2, answered: 0, fellBack: 1, queued: 1 });
    const alice = stats.agents.find((a) => a.agentId === "alice");
    // Alice answered c2 at 80 s (before), talked until 140 s: 45 s of it after 95 s.
    expect(alice).toMatchObject({ offered: 0, handled: 0, talkSec: 45, signedInSec: 205 });
    expect(stats.agents.find((a) => a.agentId === "bob")).toMatchObject({ offered: 1, missed: 1 });
  });
});

describe("what the figures count", () => {
  const agentEvents = (id: string, type: string, data: Record<string, unknown>) => ({
    streamId: `agent-${id}`,
    type,
    data,
  });
  it("a miss is the agent's own: losing a simultaneous ring or a caller hanging up is not one", () => {
    const events = [
      agentEvents("alice", "AgentSignedIn", { at: 0 }),
      agentEvents("alice", "AgentReserved", { callId: "c1", legId: "l1", at: 1_000 }),
      agentEvents("alice", "AgentReleased", {
        callId: "c1",
        at: 5_000,
        reason: "noAnswer",
        missed: true,
        misses: 1,
      }),
      agentEvents("alice", "AgentReserved", { callId: "c2", legId: "l2", at: 6_000 }),
      agentEvents("alice", "AgentReleased", { callId: "c2", at: 7_000, reason: "lostRace" }),
      agentEvents("alice", "AgentReserved", { callId: "c3", legId: "l3", at: 8_000 }),
      agentEvents("alice", "AgentReleased", { callId: "c3", at: 9_000, reason: "callerHungUp" }),
    ];
    const alice = computeStatistics(events, CONFIG, { until: 10_000 }).agents.find(
      (a) => a.agentId === "alice",
    );
    expect(alice).toMatchObject({ offered: 3, missed: 1 });
  });

  it("says how late durable timers fired against their due time", () => {
    const call = (type: string, data: Record<string, unknown>) => ({ streamId: "call-t1", type, data });
    const events = [
      call("CallStarted", { callId: "t1", flowId: "main", at: 0, from: "+1", to: "+2" }),
      call("TimerScheduled", { timerId: "a", kind: "ringTimeout", dueAt: 20_000 }),
      call("TimerScheduled", { timerId: "b", kind: "queuePosition", dueAt: 30_000 }),
      call("TimerScheduled", { timerId: "gone", kind: "queueMaxWait", dueAt: 40_000 }),
      call("TimerElapsed", { timerId: "a", kind: "ringTimeout", at: 20_250 }),
      call("TimerElapsed", { timerId: "b", kind: "queuePosition", at: 33_000 }),
      call("TimerCancelled", { timerId: "gone" }),
    ];
    expect(computeStatistics(events, CONFIG, { until: 50_000 }).timers).toEqual({
      fired: 2,
      latenessP99Sec: 3,
      latenessMaxSec: 3,
    });
  });
});
