// The Random strategy: one available member drawn uniformly, by the decision's seed (never Math.random), so
// a decision replays to the same agent and calls spread evenly over many decisions.
import { describe, expect, it } from "vitest";
import {
  type CallEvent,
  type MemberIndex,
  type MemberSnapshot,
  selectAgents,
  selectIndexed,
} from "../src/index.js";
import { hangup, worldWith } from "./support/fixtures.js";
import { BUSINESS, CALLER, callSpec, sec } from "./support/world.js";

const available = (agentId: string, idleMs = 0): MemberSnapshot => ({
  agentId,
  status: "available",
  idleMs,
  callsInPeriod: 0,
});
const random = (members: readonly MemberSnapshot[], seed: string) =>
  selectAgents({ strategy: "random", members, seed, maxRingAttempts: 1 });

describe("the Random strategy", () => {
  it("given three available agents and one on a call, when a call is routed, then one available agent is drawn by the seed and every candidate says why", () => {
    const members = [
      available("ann", 60_000),
      { agentId: "bob", status: "onCall", idleMs: 0, callsInPeriod: 2 } as const,
      available("cid", 5_000),
      available("dee"),
    ];
    const r = random(members, "call-1");
    const [winner] = r.chosen;
    expect(["ann", "cid", "dee"]).toContain(winner);
    expect(r).toEqual({
      strategy: "random",
      chosen: [winner],
      candidates: members.map((m) => ({
        agentId: m.agentId,
        status: m.status,
        idleSec: Math.floor(m.idleMs / 1000),
        callsInPeriod: m.callsInPeriod,
        chosen: m.agentId === winner,
        reason:
          m.agentId === "bob"
            ? "skipped: on a call"
            : m.agentId === winner
              ? "available: drawn at random"
              : "available: not drawn",
      })),
      reason: `${winner} drawn at random among 3 available (seeded by the decision)`,
    });
  });

  it("given the same members and seed, when routed again, then the same agent is drawn; given another seed, the draw may differ", () => {
    const members = ["ann", "bob", "cid", "dee"].map((id) => available(id));
    expect(random(members, "s1")).toEqual(random(members, "s1"));
    const drawn = new Set(
      ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"].map((s) => random(members, s).chosen[0]),
    );
    expect(drawn.size).toBeGreaterThan(1);
  });

  it("given three always-available agents, when 3,000 calls are routed (one seed each), then each agent takes about a third", () => {
    const members = ["ann", "bob", "cid"].map((id) => available(id));
    const counts = new Map<string, number>();
    for (let call = 0; call < 3_000; call++) {
      const [chosen] = random(members, `call-${call}:1`).chosen;
      counts.set(chosen!, (counts.get(chosen!) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(["ann", "bob", "cid"]);
    for (const n of counts.values()) expect(Math.abs(n - 1_000)).toBeLessThan(100);
  });

  it("given one available agent and one cooling down, when routed, then the available one is chosen", () => {
    const r = random([available("ann"), { ...available("bob"), cooldownUntil: 99 }], "s");
    expect(r.chosen).toEqual(["ann"]);
    expect(r.candidates[1]!.reason).toBe("skipped: cooldown after missed offer until 99");
  });

  it("given nobody available, when routed, then nobody is chosen", () => {
    const r = random([{ agentId: "ann", status: "onBreak", idleMs: 0, callsInPeriod: 0 }], "s");
    expect(r).toMatchObject({ chosen: [], reason: "no agent available" });
    expect(r.candidates.map((c) => c.reason)).toEqual(["skipped: on break"]);
  });

  it("given a large group's index, when routed from it, then the same agent is drawn and only available members are reported", () => {
    const members = [
      available("ann"),
      { agentId: "bob", status: "wrapUp", idleMs: 0, callsInPeriod: 0 } as const,
      available("cid"),
      available("dee"),
    ];
    const ids = members.map((m) => m.agentId);
    const index: MemberIndex = {
      size: ids.length,
      positionOf: (id) => ids.indexOf(id),
      byIdle: () => ids,
      byCallsIn: () => ids,
      from: (i) => ids.slice(i),
    };
    for (const seed of ["s1", "s2", "s3", "s4"]) {
      const indexed = selectIndexed({
        strategy: "random",
        index,
        snapshot: (id) => members.find((m) => m.agentId === id)!,
        periodKey: "p",
        seed,
        maxRingAttempts: 1,
      });
      const full = random(members, seed);
      const { candidates, ...rest } = indexed;
      const { candidates: fullCandidates, ...fullRest } = full;
      expect(rest).toEqual({ ...fullRest, reason: fullRest.reason });
      expect(candidates).toEqual(fullCandidates.filter((c) => c.agentId !== "bob"));
    }
  });

  it("given a group using it in the configuration, when a call connects to the group, then the routing decision rings the agent its seed draws", () => {
    const w = worldWith({
      applets: {
        connect: { kind: "connect", target: { kind: "group", groupId: "g" }, branches: { fallback: "bye" } },
        bye: hangup,
      },
      groups: [
        { type: "DefineGroup", groupId: "g", name: "g", strategy: "random", members: ["ann", "bob", "cid"] },
      ],
    });
    const events: readonly CallEvent[] = callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(9), seed: "s7" }).events;
    const routing = events.find(
      (e): e is Extract<CallEvent, { type: "RoutingDecided" }> => e.type === "RoutingDecided",
    )!.data;
    const [winner] = random(
      ["ann", "bob", "cid"].map((id) => available(id)),
      "s7",
    ).chosen;
    expect(routing).toMatchObject({ strategy: "random", seed: "s7", chosen: [winner] });
    expect(routing.legs.map((l) => l.agentId)).toEqual([winner]);
  });
});
