// A decision's "why this agent" record stays small in a large group. The record is one RoutingDecided event,
// which the relay publishes as one JetStream message (1 MB at most by default): a Least Calls group of 10,000
// agents with no calls yet (all tied) made a 2 MB event, which the relay could never publish. The choice
// itself is unchanged: the winner of a tie is still the best seeded hash over every tied agent.
import { describe, expect, it } from "vitest";
import {
  type ConfigCommand,
  type ConfigSnapshot,
  decideCall,
  decideConfig,
  EMPTY_CONFIG,
  evolveConfig,
  INITIAL_AGENT,
  INITIAL_CALL,
  type MemberIndex,
  memberSnapshots,
  type PresenceEntry,
  selectAgents,
  selectIndexed,
  TIE_RANKED_LIMIT,
  tieBreakHash,
} from "../src/index.js";

const NOW = Date.UTC(2026, 0, 5, 9);
const PERIOD = "2026-01-05";
const SEED = "large-group-seed";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `agent-${String(i).padStart(5, "0")}`);

/** Everyone available, idle since the same instant, no calls this period: one big tie for both measures. */
function presenceOf(agentIds: readonly string[]): Record<string, PresenceEntry> {
  return Object.fromEntries(
    agentIds.map((a) => [
      a,
      { state: { ...INITIAL_AGENT, status: "available", idleSince: NOW - 60_000 }, version: 1 },
    ]),
  );
}

/** The winner of a tie by definition: lowest seeded hash, then lowest id, over every tied agent. */
function bestOf(agentIds: readonly string[]): string {
  return [...agentIds].sort((a, b) => tieBreakHash(SEED, a) - tieBreakHash(SEED, b) || (a < b ? -1 : 1))[0]!;
}

function indexOf(agentIds: readonly string[]): MemberIndex {
  return {
    size: agentIds.length,
    positionOf: (id) => agentIds.indexOf(id),
    byIdle: () => agentIds,
    byCallsIn: () => agentIds,
    from: (i) => agentIds.slice(i),
  };
}

describe("the record of a decision in a large group", () => {
  for (const strategy of ["leastCalls", "longestIdle"] as const) {
    it(`${strategy}: a tie of 2,000 ranks its best ${TIE_RANKED_LIMIT}, counts the rest, and still picks the best hash of all`, () => {
      const agents = ids(2_000);
      const presence = presenceOf(agents);
      const common = { strategy, seed: SEED, maxRingAttempts: 1 };
      const scan = selectAgents({ ...common, members: memberSnapshots(agents, presence, NOW, PERIOD) });
      const indexed = selectIndexed({
        ...common,
        index: indexOf(agents),
        periodKey: PERIOD,
        snapshot: (a) => memberSnapshots([a], presence, NOW, PERIOD)[0]!,
      });
      const winner = bestOf(agents);
      for (const result of [scan, indexed]) {
        expect(result.chosen).toEqual([winner]);
        expect(result.tieBreak?.tied).toBe(2_000);
        expect(result.tieBreak?.ranked).toHaveLength(TIE_RANKED_LIMIT);
        expect(result.tieBreak?.ranked[0]?.agentId).toBe(winner);
        expect(result.reason).toContain("tie among 2000 agents broken by seeded hash");
      }
      // The ranking is the start of the full one.
      const full = [...agents]
        .sort((a, b) => tieBreakHash(SEED, a) - tieBreakHash(SEED, b) || (a < b ? -1 : 1))
        .slice(0, TIE_RANKED_LIMIT);
      expect(indexed.tieBreak?.ranked.map((r) => r.agentId)).toEqual(full);
      // The indexed report lists only the ranked, in member order.
      expect(indexed.candidates.map((c) => c.agentId)).toEqual([...full].sort());
    });
  }

  it("a tie no larger than the limit is reported whole, as before", () => {
    const agents = ids(TIE_RANKED_LIMIT);
    const presence = presenceOf(agents);
    const result = selectAgents({
      strategy: "leastCalls",
      seed: SEED,
      maxRingAttempts: 1,
      members: memberSnapshots(agents, presence, NOW, PERIOD),
    });
    expect(result.tieBreak?.tied).toBeUndefined();
    expect(result.tieBreak?.ranked.map((r) => r.agentId).sort()).toEqual(agents);
    expect(result.reason).toContain(`tie among ${agents.join(", ")} broken by seeded hash`);
  });

  it("a full scan of a 2,000-agent group records 100 candidates and counts the others; the event stays small", () => {
    const agents = ids(2_000);
    const commands: ConfigCommand[] = [
      ...agents.map(
        (agentId, i): ConfigCommand => ({
          type: "DefineAgent",
          agentId,
          name: agentId,
          contact: { kind: "phone", number: `+1415${String(i).padStart(7, "0")}` },
        }),
      ),
      { type: "DefineGroup", groupId: "big", name: "big", strategy: "leastCalls", members: agents },
      {
        type: "DefineFlow",
        flow: {
          flowId: "f",
          name: "f",
          start: "c",
          applets: {
            c: { kind: "connect", target: { kind: "group", groupId: "big" }, branches: { fallback: "bye" } },
            bye: { kind: "hangup" },
          },
        },
      },
      { type: "DefineNumber", number: "+14155559999", flowId: "f" },
    ];
    let config: ConfigSnapshot = EMPTY_CONFIG;
    for (const c of commands) for (const e of decideConfig(c, config)) config = evolveConfig(config, e);
    // No member index: the scan every group below the router's index size gets, and a transfer's always.
    const decision = decideCall(
      { type: "StartCall", callId: "c1", from: "+14155550111", to: "+14155559999", now: NOW },
      INITIAL_CALL,
      { config, presence: presenceOf(agents), queues: {}, groups: {} },
    );
    const routed = decision.call.events.find((e) => e.type === "RoutingDecided");
    if (routed?.type !== "RoutingDecided") throw new Error("no routing decision");
    expect(routed.data.candidates).toHaveLength(100);
    expect(routed.data.candidatesOmitted).toBe(1_900);
    expect(routed.data.candidates.filter((c) => c.chosen).map((c) => c.agentId)).toEqual(routed.data.chosen);
    expect(JSON.stringify(routed).length).toBeLessThan(32_000);
  });
});
