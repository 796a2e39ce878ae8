// What a decision hands the router to append, and the account's external-leg count kept within it: a stream
// the decision did not change gets no write (not even an empty one, which would still check a version), and
// the toll-fraud count follows every leg to a number from its start to its end, within one decision too.
import { describe, expect, it } from "vitest";
import {
  agentsHeldBy,
  type ConfigCommand,
  type DialPolicy,
  decisionWrites,
  EXTERNAL_LEGS_STREAM,
} from "../src/index.js";
import { connectToGroup, group, hangup, worldWith } from "./support/fixtures.js";
import { AGENTS, BUSINESS, CALLER, sec, World } from "./support/world.js";

const capped: DialPolicy = { deniedPrefixes: [], maxConcurrentExternalLegs: 3 };

/** A flow that rings a number and, when it does not answer, plays a greeting (the call goes on). */
function numberThenGreeting(number: string, policy: DialPolicy = capped): World {
  const w = new World([
    ...AGENTS,
    { type: "ConfigureAccount", dialPolicy: policy },
    {
      type: "DefineFlow",
      flow: {
        flowId: "main",
        name: "main",
        start: "c",
        applets: {
          c: {
            kind: "connect",
            target: { kind: "number", number },
            ringTimeoutSec: 30,
            branches: { fallback: "hello" },
          },
          hello: { kind: "greeting", audio: { kind: "tts", text: "Please leave a message" }, next: "bye" },
          bye: hangup,
        },
      },
    },
    { type: "DefineNumber", number: BUSINESS, flowId: "main" },
  ] as ConfigCommand[]);
  return w;
}

describe("the account's external legs, within one decision", () => {
  it("a leg to a number that ends while the call goes on (to a greeting) frees its slot at once, not when the call ends", () => {
    const w = numberThenGreeting("+14155550199");
    w.start("c1", CALLER, BUSINESS, sec(0));
    expect(Object.keys(w.externalLegs.state.active)).toEqual(["c1|+14155550199"]);

    w.run("c1", { type: "LegEnded", legId: w.legOf("c1"), reason: "busy", now: sec(5) });

    expect(w.callState("c1").status).toBe("active");
    expect(w.externalLegs.state.active).toEqual({});
  });

  it("a caller hanging up while the number still rings frees the slot in that decision, before the leg's own end is reported", () => {
    const w = numberThenGreeting("+14155550199");
    w.start("c1", CALLER, BUSINESS, sec(0));

    w.run("c1", { type: "LegEnded", legId: w.callState("c1").callerLegId, reason: "hungUp", now: sec(2) });

    expect(w.externalLegs.state.active).toEqual({});
  });

  it("a Simultaneous group of agents on phone numbers counts every leg it rings in one decision", () => {
    const w = new World([
      ...AGENTS,
      { type: "ConfigureAccount", dialPolicy: capped },
      group("g", "simultaneous", ["ann", "bob"]),
      {
        type: "DefineFlow",
        flow: { flowId: "main", name: "main", start: "connect", applets: connectToGroup("g") },
      },
      { type: "DefineNumber", number: BUSINESS, flowId: "main" },
    ] as ConfigCommand[]);
    w.signIn(["ann", "bob"]);

    const d = w.start("c1", CALLER, BUSINESS, sec(0));

    expect(Object.keys(w.externalLegs.state.active).sort()).toEqual(["c1|+14155550101", "c1|+14155550102"]);
    expect(decisionWrites(d).map((x) => [x.streamId, x.events.length])).toContainEqual([
      EXTERNAL_LEGS_STREAM,
      2,
    ]);
  });
});

describe("dialling under a capped policy", () => {
  it("a number the dial policy denies is refused without taking one of the account's external-leg slots", () => {
    const w = numberThenGreeting("+19005550100", { ...capped, deniedPrefixes: ["+1900"] });

    w.start("c1", CALLER, BUSINESS, sec(0));

    expect(w.events("c1").map((e) => e.type)).toContain("DialRefused");
    expect(w.externalLegs.state.active).toEqual({});
  });
});

describe("the writes of a decision", () => {
  it("a command that changes nothing (a repeated leg end) gives no write at all", () => {
    const w = numberThenGreeting("+14155550199");
    w.start("c1", CALLER, BUSINESS, sec(0));
    const leg = w.legOf("c1");
    w.run("c1", { type: "LegEnded", legId: leg, reason: "busy", now: sec(5) });

    const repeated = w.run("c1", { type: "LegEnded", legId: leg, reason: "busy", now: sec(6) });

    expect(repeated.call.events).toEqual([]);
    expect(decisionWrites(repeated)).toEqual([]);
  });

  it("an agent whose stream already shows the reservation released (by an earlier delivery) gets no write when the leg's end releases it again", () => {
    const w = worldWith({ applets: connectToGroup("g"), groups: [group("g", "sequential", ["ann", "bob"])] });
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.agent("ann", { type: "Release", callId: "c1", now: sec(4), reason: "noAnswer" });

    const d = w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "ann"), reason: "noAnswer", now: sec(5) });

    expect(d.agents.map((a) => a.agentId)).not.toContain("ann");
  });

  it("a caller the queue stream no longer lists (already taken out) gets no queue write when they hang up", () => {
    const w = worldWith({
      applets: connectToGroup("g"),
      groups: [group("g", "sequential", ["ann"], { queue: { enabled: true } })],
      signIn: [],
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    expect(w.queues.g?.state.entries.map((e) => e.callId)).toEqual(["c1"]);
    w.queues = { g: { state: { entries: [] }, version: (w.queues.g?.version ?? 0) + 1 } };

    const d = w.run("c1", {
      type: "LegEnded",
      legId: w.callState("c1").callerLegId,
      reason: "hungUp",
      now: sec(5),
    });

    expect(d.queues).toEqual([]);
  });

  it("the agents a call holds are listed in id order, ringing legs included, whatever order they were rung in", () => {
    const w = worldWith({
      applets: connectToGroup("g"),
      groups: [group("g", "simultaneous", ["dee", "bob"])],
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    expect(agentsHeldBy(w.callState("c1"))).toEqual(["bob", "dee"]);
    for (const agentId of ["dee", "bob"]) {
      w.run("c1", { type: "LegRinging", legId: w.legOf("c1", agentId), now: sec(1) });
    }
    expect(agentsHeldBy(w.callState("c1"))).toEqual(["bob", "dee"]);
  });
});
