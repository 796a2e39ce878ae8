// Queued callers are served by the group's strategy, whichever agent's release triggered the offer: the
// offer (OfferAgent) runs the same strategy a new caller would meet, over the members free at that moment.
import { describe, expect, it } from "vitest";
import { NoAgentForQueueOfferError } from "../src/index.js";
import { group, hangup, worldWith } from "./support/fixtures.js";
import { ev } from "./support/match.js";
import { BUSINESS, CALLER, callSpec, sec, type World } from "./support/world.js";

type Strategy = "roundRobin" | "simultaneous" | "sequential" | "longestIdle" | "leastCalls";

const MEMBERS = ["ann", "bob", "cid"];

function queuedWorld(strategy: Strategy): World {
  const w = worldWith({
    applets: {
      connect: {
        kind: "connect",
        target: { kind: "group", groupId: "desk" },
        ringTimeoutSec: 20,
        branches: { fallback: "bye" },
      },
      bye: hangup,
    },
    groups: [group("desk", strategy, MEMBERS, { queue: { enabled: true, maxWaitSec: 600 } })],
    signIn: MEMBERS,
  });
  // Everyone is on another call, so the caller queues.
  for (const a of MEMBERS) w.agent(a, { type: "Reserve", callId: `x-${a}`, legId: "l", now: sec(0) });
  w.start("c1", CALLER, BUSINESS, sec(1));
  return w;
}

/** The agent finishes their other call (answered, so it counts in Least calls) at `at`. */
function free(w: World, agentId: string, at: number, answeredCalls = 1): void {
  for (let i = 0; i < answeredCalls; i++) {
    const callId = i === 0 ? `x-${agentId}` : `x-${agentId}-${i}`;
    if (i > 0) w.agent(agentId, { type: "Reserve", callId, legId: "l", now: at });
    w.agent(agentId, { type: "Answer", callId, now: at, periodKey: "2026-11-24" });
    w.agent(agentId, { type: "EndCall", callId, now: at, wrapUpSec: 0 });
  }
}

const offer = (w: World, freed: string, at: number) =>
  callSpec.given(w.events("c1"), w.ctx()).when({ type: "OfferAgent", agentId: freed, now: at });

describe("queued callers are served by the group's strategy", () => {
  it("Simultaneous: every free member rings for the longest-waiting caller; the first answer wins", () => {
    const w = queuedWorld("simultaneous");
    free(w, "ann", sec(5));
    free(w, "cid", sec(6));
    const d = offer(w, "cid", sec(6)).thenIncludes([
      ev("CallerDequeued", { reason: "agentOffered" }),
      ev("RoutingDecided", { purpose: "queueOffer", strategy: "simultaneous", chosen: ["ann", "cid"] }),
      ev("LegOriginateRequested", { agentId: "ann" }),
      ev("LegOriginateRequested", { agentId: "cid" }),
    ]);
    expect(d.agents.map((a) => a.agentId).sort()).toEqual(["ann", "cid"]);
    w.run("c1", { type: "OfferAgent", agentId: "cid", now: sec(6) });
    const cidLeg = w.legOf("c1", "cid");
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: cidLeg, now: sec(9) })
      .thenIncludes([
        ev("LegAnswered", { legId: cidLeg }),
        ev("LegCancelRequested", { legId: w.legOf("c1", "ann") }),
      ]);
  });

  it("Sequential: the first free member in the group's order, then the next one after a miss", () => {
    const w = queuedWorld("sequential");
    free(w, "cid", sec(5));
    free(w, "bob", sec(6));
    offer(w, "cid", sec(6)).thenIncludes([ev("RoutingDecided", { purpose: "queueOffer", chosen: ["bob"] })]);
    w.run("c1", { type: "OfferAgent", agentId: "cid", now: sec(6) });
    // Bob lets it ring: back to the queue; the next offer continues the order at cid, not at the top.
    w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(26) });
    w.agent("bob", { type: "Release", callId: "c1", now: sec(26), reason: "noAnswer" });
    offer(w, "bob", sec(26)).thenIncludes([ev("RoutingDecided", { purpose: "queueOffer", chosen: ["cid"] })]);
  });

  it("Sequential: once the order is used up the queued caller starts again at the top, not at a fallback", () => {
    const w = queuedWorld("sequential");
    free(w, "ann", sec(5));
    w.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(5) });
    w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(25) });
    w.agent("ann", { type: "Release", callId: "c1", now: sec(25), reason: "noAnswer" });
    offer(w, "ann", sec(25)).thenIncludes([ev("RoutingDecided", { purpose: "queueOffer", chosen: ["ann"] })]);
  });

  it("Round-robin: the next free member after the group's cursor, and the cursor moves", () => {
    const w = queuedWorld("roundRobin");
    // The group's previous call went to ann: the rotation continues at bob (busy), so cid.
    w.groups.desk = { state: { cursor: "ann" }, version: 1 };
    free(w, "ann", sec(5));
    free(w, "cid", sec(6));
    const d = offer(w, "ann", sec(6)).thenIncludes([
      ev("RoutingDecided", { purpose: "queueOffer", strategy: "roundRobin", chosen: ["cid"] }),
    ]);
    expect(d.groups).toMatchObject([
      { events: [{ type: "RoundRobinCursorAdvanced", data: { agentId: "cid" } }] },
    ]);
  });

  it("Least calls: the free member with the fewest calls, not the one whose release triggered the offer", () => {
    const w = queuedWorld("leastCalls");
    free(w, "ann", sec(5), 3);
    free(w, "bob", sec(6), 1);
    offer(w, "ann", sec(6)).thenIncludes([ev("RoutingDecided", { purpose: "queueOffer", chosen: ["bob"] })]);
  });

  it("Longest idle: the member free the longest", () => {
    const w = queuedWorld("longestIdle");
    free(w, "cid", sec(2));
    free(w, "ann", sec(9));
    offer(w, "ann", sec(9)).thenIncludes([ev("RoutingDecided", { purpose: "queueOffer", chosen: ["cid"] })]);
  });

  it("an offer when nobody of the group is free is refused with a typed error and changes nothing", () => {
    const w = queuedWorld("longestIdle");
    offer(w, "ann", sec(9)).then(NoAgentForQueueOfferError);
  });

  it("the decision says why each member was or was not rung", () => {
    const w = queuedWorld("leastCalls");
    free(w, "ann", sec(5), 2);
    free(w, "cid", sec(6), 1);
    const d = offer(w, "ann", sec(6)).thenIncludes([ev("RoutingDecided", { purpose: "queueOffer" })]);
    const decided = d.call.events.find((e) => e.type === "RoutingDecided");
    if (decided?.type !== "RoutingDecided") throw new Error("no decision");
    const byAgent = Object.fromEntries(decided.data.candidates.map((c) => [c.agentId, c]));
    expect(byAgent.cid).toMatchObject({ chosen: true, reason: expect.stringContaining("fewest calls") });
    expect(byAgent.ann).toMatchObject({ chosen: false, reason: expect.stringContaining("more calls than") });
    expect(byAgent.bob).toMatchObject({ chosen: false, reason: expect.stringContaining("reserved") });
    expect(decided.data.reason).toContain("agent ann became free");
  });
});
