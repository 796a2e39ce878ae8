import { describe, expect, it } from "vitest";
import type { CallEvent } from "../src/index.js";
import { group, hangup, worldWith } from "./support/fixtures.js";
import { BUSINESS, CALLER, sec, type World } from "./support/world.js";

/** Offers of a queued caller to a freed agent: what the decision records, and where a missed offer leaves the caller. */

const queueWorld = (queue: object) => {
  const w = worldWith({
    applets: {
      connect: {
        kind: "connect",
        target: { kind: "group", groupId: "sales" },
        branches: { noAnswer: "na", fallback: "bye" },
      },
      na: hangup,
      bye: hangup,
    },
    groups: [group("sales", "leastCalls", ["ann", "bob"], { queue: { enabled: true, ...queue } })],
    signIn: ["ann", "bob"],
  });
  w.agent("ann", { type: "Reserve", callId: "x1", legId: "l", now: sec(0) });
  w.agent("bob", { type: "Reserve", callId: "x2", legId: "l", now: sec(0) });
  return w;
};
type DataOf<T extends CallEvent["type"]> = Extract<CallEvent, { type: T }>["data"];
const of = <T extends CallEvent["type"]>(w: World, type: T, callId = "c1"): Array<DataOf<T>> =>
  w
    .events(callId)
    .filter((e) => e.type === type)
    .map((e) => e.data as DataOf<T>);

describe("queue offers", () => {
  it("an offer records the freed agent, the caller's wait and the plan, and rings that agent", () => {
    const w = queueWorld({});
    w.start("c1", CALLER, BUSINESS, sec(4));
    w.agent("bob", { type: "Release", callId: "x2", now: sec(10), reason: "done" });
    w.run("c1", { type: "OfferAgent", agentId: "bob", now: sec(15) });
    const offer = of(w, "RoutingDecided").at(-1)!;
    expect(offer).toMatchObject({
      appletId: "connect",
      purpose: "queueOffer",
      strategy: "leastCalls",
      groupId: "sales",
      chosen: ["bob"],
      reason: `agent bob became free; this caller waited longest (since ${sec(4)}); bob has the fewest calls in the period`,
      ringTimeoutSec: 30,
      // The group's strategy (Least calls) chose among its members: ann is still on her call.
      candidates: [
        {
          agentId: "ann",
          status: "reserved",
          chosen: false,
          reason: "skipped: already reserved for another call",
        },
        {
          agentId: "bob",
          status: "available",
          idleSec: 15,
          callsInPeriod: 0,
          chosen: true,
          reason: "0 calls in period: fewest calls",
        },
      ],
    });
    expect(offer.legs).toHaveLength(1);
    expect(of(w, "LegOriginateRequested").at(-1)).toMatchObject({
      legId: offer.legs[0]!.legId,
      agentId: "bob",
      role: "target",
      timeoutSec: 30,
    });
    expect(of(w, "TimerScheduled").at(-1)).toMatchObject({ kind: "ringTimeout", dueAt: sec(45) });
    expect(w.status("bob")).toBe("reserved");
    // Position announcements are off for this queue.
    expect(of(w, "QueuePositionAnnounced")).toEqual([]);
    expect(of(w, "TimerScheduled").filter((t) => t.kind === "queuePosition")).toEqual([]);
  });

  it("a missed offer once the max wait has passed takes the queueTimeout outcome (the noAnswer branch) instead of re-queueing", () => {
    for (const [missAt, outcome] of [
      [sec(64) - 1, undefined],
      [sec(64), "queueTimeout"],
    ] as const) {
      const w = queueWorld({ maxWaitSec: 60 });
      w.start("c1", CALLER, BUSINESS, sec(4));
      w.agent("bob", { type: "Release", callId: "x2", now: sec(10), reason: "done" });
      w.run("c1", { type: "OfferAgent", agentId: "bob", now: sec(10) });
      w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "bob"), reason: "busy", now: missAt });
      const done = of(w, "ConnectCompleted");
      if (outcome === undefined) {
        expect(done).toEqual([]);
        expect(w.queues.sales?.state.entries).toEqual([{ callId: "c1", enqueuedAt: sec(4) }]);
        // Still one max-wait timer, the original one: re-queueing does not restart the wait.
        expect(of(w, "TimerScheduled").filter((t) => t.kind === "queueMaxWait")).toEqual([
          expect.objectContaining({ dueAt: sec(64) }),
        ]);
      } else {
        expect(done).toEqual([
          expect.objectContaining({ outcome, reason: "max queue wait reached", next: "na" }),
        ]);
        expect(w.queues.sales?.state.entries).toEqual([]);
      }
    }
  });

  it("a changed position is announced once the minimum interval has passed since the last announcement", () => {
    const w = queueWorld({ announcePosition: true, announceEverySec: 20 });
    w.start("c0", CALLER, BUSINESS, sec(1));
    w.start("c1", CALLER, BUSINESS, sec(2));
    expect(of(w, "QueuePositionAnnounced").map((a) => [a.position, a.at])).toEqual([[2, sec(2)]]);
    w.run("c0", { type: "LegEnded", legId: w.callState("c0").callerLegId, reason: "hungUp", now: sec(21) });
    w.run("c1", { type: "QueueChanged", now: sec(21) });
    expect(of(w, "QueuePositionAnnounced").map((a) => a.position)).toEqual([2]);
    w.run("c1", { type: "QueueChanged", now: sec(22) });
    expect(of(w, "QueuePositionAnnounced").map((a) => [a.position, a.at])).toEqual([
      [2, sec(2)],
      [1, sec(22)],
    ]);
    // Same position again: nothing more.
    w.run("c1", { type: "QueueChanged", now: sec(60) });
    expect(of(w, "QueuePositionAnnounced")).toHaveLength(2);
  });

  it("the queue's timers end with the wait: cancelled when the offer is answered, the position timer when offered", () => {
    const w = queueWorld({ announcePosition: true, announceEverySec: 20, maxWaitSec: 120 });
    w.start("c1", CALLER, BUSINESS, sec(1));
    const maxWait = w.timer("c1", "queueMaxWait");
    const position = w.timer("c1", "queuePosition");
    w.agent("bob", { type: "Release", callId: "x2", now: sec(10), reason: "done" });
    w.run("c1", { type: "OfferAgent", agentId: "bob", now: sec(10) });
    expect(of(w, "TimerCancelled").map((t) => t.timerId)).toEqual([position]);
    const ring = w.timer("c1", "ringTimeout");
    w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "bob"), now: sec(12) });
    expect(of(w, "TimerCancelled").map((t) => t.timerId)).toEqual([position, maxWait, ring]);
    expect(w.callState("c1").timers).toEqual({});
  });

  it("a missed offer reported by the phone cancels the ring timer before the caller re-queues", () => {
    const w = queueWorld({});
    w.start("c1", CALLER, BUSINESS, sec(1));
    w.agent("bob", { type: "Release", callId: "x2", now: sec(10), reason: "done" });
    w.run("c1", { type: "OfferAgent", agentId: "bob", now: sec(10) });
    const ring = w.timer("c1", "ringTimeout");
    w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "bob"), reason: "busy", now: sec(14) });
    expect(of(w, "TimerCancelled").map((t) => t.timerId)).toEqual([ring]);
    expect(Object.values(w.callState("c1").timers).map((t) => t.kind)).toEqual(["queueMaxWait"]);
  });

  it("max wait reached while an offer rings: the offer decides; missed, the caller leaves with queueTimeout by the noAnswer branch", () => {
    const w = queueWorld({ maxWaitSec: 60 });
    w.start("c1", CALLER, BUSINESS, sec(1));
    w.agent("bob", { type: "Release", callId: "x2", now: sec(10), reason: "done" });
    w.run("c1", { type: "OfferAgent", agentId: "bob", now: sec(50) });
    w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "queueMaxWait"), now: sec(61) });
    expect(of(w, "ConnectCompleted")).toEqual([]);
    expect(w.status("bob")).toBe("reserved");
    w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "bob"), reason: "noAnswer", now: sec(70) });
    expect(of(w, "ConnectCompleted")).toEqual([
      expect.objectContaining({ outcome: "queueTimeout", next: "na" }),
    ]);
    expect(w.status("bob")).toBe("available");
    expect(w.callState("c1").timers).toEqual({});
  });

  it("max wait reached while queued with announcements on: the position timer is cancelled too", () => {
    const w = queueWorld({ announcePosition: true, maxWaitSec: 60 });
    w.start("c1", CALLER, BUSINESS, sec(1));
    const position = w.timer("c1", "queuePosition");
    w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "queueMaxWait"), now: sec(61) });
    expect(of(w, "TimerCancelled").map((t) => t.timerId)).toEqual([position]);
    expect(w.callState("c1").timers).toEqual({});
  });
});
