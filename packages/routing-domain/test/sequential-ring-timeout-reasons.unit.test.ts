// A Sequential group moves to its next agent in the same decision that ends the previous agent's ring (ring
// timeout, no answer): that agent was ringing for this very call, and the decision has just released them. "Why
// this agent" must say what became of them (tried already, cooling down, paused), not that they are busy with
// another call; and a later pass may ring them again, as it rings every other member.
import { describe, expect, it } from "vitest";
import { DecisionBuilder, type FlowPort } from "../src/call/builder.js";
import { chooseGroupMembers } from "../src/call/group-selection.js";
import {
  buildConfig,
  type CallEvent,
  type DecisionContext,
  INITIAL_AGENT,
  INITIAL_CALL,
  type MemberIndex,
  type PresenceEntry,
} from "../src/index.js";
import { connectToGroup, group, worldWith } from "./support/fixtures.js";
import { AGENTS, BUSINESS, CALLER, sec, type World } from "./support/world.js";

type Routing = Extract<CallEvent, { type: "RoutingDecided" }>["data"];
const lastRouting = (w: World): Routing =>
  w
    .events("c1")
    .flatMap((e) => (e.type === "RoutingDecided" ? [e.data] : []))
    .at(-1)!;

/** A caller rings the Sequential group ann, bob; ann's phone rings until the ring timeout at 30 s. */
function annRingsOut(extra: Parameters<typeof group>[3] = {}): Routing {
  const w = worldWith({
    applets: connectToGroup("g"),
    groups: [group("g", "sequential", ["ann", "bob"], extra)],
  });
  w.start("c1", CALLER, BUSINESS, sec(0));
  w.run("c1", { type: "LegRinging", legId: w.legOf("c1", "ann"), now: sec(1) });
  w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(30) });
  return lastRouting(w);
}

describe("Sequential: the agent whose ring just timed out, in the next step's reasons", () => {
  it("given ann let the call ring out, when bob is rung next, then ann is reported as already tried this pass, not as ringing for another call", () => {
    const routing = annRingsOut();

    expect(routing.chosen).toEqual(["bob"]);
    expect(routing.candidates.find((c) => c.agentId === "ann")).toMatchObject({
      status: "available",
      chosen: false,
      reason: "earlier in the order: already tried this pass",
    });
  });

  it("given the group cools an agent down for 60 s after a missed offer, when bob is rung next, then ann is reported as cooling down until 60 s after her ring timed out", () => {
    const routing = annRingsOut({ missedOfferCooldownSec: 60 });

    expect(routing.chosen).toEqual(["bob"]);
    expect(routing.candidates.find((c) => c.agentId === "ann")).toMatchObject({
      status: "available",
      chosen: false,
      reason: `skipped: cooldown after missed offer until ${sec(90)}`,
    });
  });

  it("given the group pauses an agent after one missed offer, when bob is rung next, then ann is reported as on break", () => {
    const routing = annRingsOut({ maxMissedOffers: 1 });

    expect(routing.chosen).toEqual(["bob"]);
    expect(routing.candidates.find((c) => c.agentId === "ann")).toMatchObject({
      status: "onBreak",
      chosen: false,
      reason: "skipped: on break",
    });
  });

  it("given a Sequential group of ann alone with two ring attempts, when ann lets the call ring out twice, then she is rung once per pass, as every member of a longer list is", () => {
    const w = worldWith({
      applets: connectToGroup("g"),
      groups: [group("g", "sequential", ["ann"], { maxRingAttempts: 2 })],
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    for (let t = 30; w.callState("c1").status === "active"; t += 30) {
      w.run("c1", { type: "TimerFired", timerId: w.timer("c1", "ringTimeout"), now: sec(t) });
    }

    expect(w.legsRung("c1")).toEqual(["ann", "ann"]);
    expect(lastRouting(w)).toMatchObject({ chosen: [], reason: "all 2 passes used" });
  });
});

describe("Sequential from a large group's member index: the agent released in this decision", () => {
  it("given ann alone in an indexed group with two ring attempts, when the decision that ends her first ring chooses again, then her second pass rings her", () => {
    const ringingForThisCall: PresenceEntry = {
      state: { ...INITIAL_AGENT, status: "ringing", callId: "c1", legId: "l1", idleSince: sec(0) },
      version: 3,
    };
    const config = buildConfig([...AGENTS, group("solo", "sequential", ["ann"], { maxRingAttempts: 2 })]);
    const index: MemberIndex = {
      size: 1,
      positionOf: () => 0,
      byIdle: () => ["ann"],
      byCallsIn: () => ["ann"],
      from: (i) => ["ann"].slice(i),
    };
    const ctx: DecisionContext = {
      config,
      presence: { ann: ringingForThisCall },
      queues: {},
      groups: {},
      memberIndex: () => index,
    };
    const noFlow: FlowPort = { goTo: () => {}, leave: () => {} };
    const b = new DecisionBuilder({ ...INITIAL_CALL, callId: "c1" }, ctx, sec(30), "seed", noFlow);
    b.agentCommand("ann", { type: "Release", callId: "c1", now: sec(30), reason: "ringTimeout" });

    const result = chooseGroupMembers(b, config.groups.solo!, {
      maxRingAttempts: 2,
      sequential: { pass: 1, index: 1 },
    });

    expect(result).toMatchObject({ chosen: ["ann"], sequential: { pass: 2, index: 1 } });
  });
});
