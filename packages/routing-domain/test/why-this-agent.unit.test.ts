import { describe, expect, it } from "vitest";
import { type CallEvent, memberSnapshots, rankTies, selectAgents } from "../src/index.js";
import { group, hangup, worldWith } from "./support/fixtures.js";
import { BUSINESS, CALLER, callSpec, sec } from "./support/world.js";

const flow = {
  connect: {
    kind: "connect" as const,
    target: { kind: "group" as const, groupId: "g" },
    branches: { fallback: "bye" },
  },
  bye: hangup,
};
const routingOf = (events: readonly CallEvent[]) =>
  events.find((e): e is Extract<CallEvent, { type: "RoutingDecided" }> => e.type === "RoutingDecided")!.data;

describe("Why this agent", () => {
  it("a routing decision names every candidate with state, idle time and call count, the strategy, the config version and the reason", () => {
    const w = worldWith({
      applets: flow,
      groups: [group("g", "longestIdle", ["ann", "bob", "cid", "dee"])],
      signIn: [],
    });
    w.signIn(["ann"], sec(0));
    w.signIn(["bob"], sec(20));
    w.signIn(["cid"], sec(0));
    w.agent("cid", { type: "StartBreak", now: sec(5) });
    w.signIn(["dee"], sec(0));
    w.agent("dee", { type: "Reserve", callId: "other", legId: "x", now: sec(30) });
    w.agent("dee", { type: "Answer", callId: "other", now: sec(31), periodKey: "2026-11-24" });
    const d = routingOf(
      callSpec
        .given([], w.ctx())
        .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(60) }).events,
    );
    expect(d).toMatchObject({
      strategy: "longestIdle",
      configVersion: w.config.version,
      chosen: ["ann"],
      reason: "ann has the longest idle time",
      candidates: [
        {
          agentId: "ann",
          status: "available",
          idleSec: 60,
          callsInPeriod: 0,
          chosen: true,
          reason: "idle 60s: longest idle",
        },
        {
          agentId: "bob",
          status: "available",
          idleSec: 40,
          chosen: false,
          reason: "idle 40s: idle less than ann (idle 60s)",
        },
        { agentId: "cid", status: "onBreak", chosen: false, reason: "skipped: on break" },
        { agentId: "dee", status: "onCall", callsInPeriod: 1, chosen: false, reason: "skipped: on a call" },
      ],
    });
  });

  it("ties are broken deterministically by seeded hash then agent id, and the tie-break is recorded", () => {
    const w = worldWith({ applets: flow, groups: [group("g", "leastCalls", ["ann", "bob", "cid", "dee"])] });
    const winners = new Set<string>();
    for (const seed of ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"]) {
      const d = routingOf(
        callSpec
          .given([], w.ctx())
          .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(9), seed }).events,
      );
      expect(d.seed).toBe(seed);
      expect(d.tieBreak).toEqual(rankTies(seed, ["ann", "bob", "cid", "dee"]));
      expect(d.chosen).toEqual([d.tieBreak!.ranked[0]!.agentId]);
      expect(
        d.candidates.filter((c) => !c.chosen).every((c) => c.reason.includes("lost the seeded tie-break")),
      ).toBe(true);
      // Same seed, same decision.
      const again = routingOf(
        callSpec
          .given([], w.ctx())
          .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(9), seed }).events,
      );
      expect(again).toEqual(d);
      winners.add(d.chosen[0]!);
    }
    // The seed, not the alphabet, decides: different seeds spread the ties.
    expect(winners.size).toBeGreaterThan(1);
  });

  it("the strategy is a pure function of presence view, group state and seed", () => {
    const w = worldWith({ applets: flow, groups: [group("g", "roundRobin", ["ann", "bob", "cid"])] });
    const g = w.config.groups.g!;
    const select = (cursor?: string) =>
      selectAgents({
        strategy: g.strategy,
        members: memberSnapshots(g.members, w.presence, sec(5), "2026-11-24"),
        seed: "x",
        maxRingAttempts: g.maxRingAttempts,
        ...(cursor !== undefined ? { cursor } : {}),
      }).chosen;
    expect(select()).toEqual(["ann"]);
    expect(select("ann")).toEqual(["bob"]);
    expect(select("cid")).toEqual(["ann"]);
    w.agent("ann", { type: "StartBreak", now: sec(1) });
    expect(select("cid")).toEqual(["bob"]);
  });
});
