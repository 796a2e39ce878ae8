// The indexed strategies are the strategies: over any group and presence, choosing from ordered indexes of
// the members gives what the full scan (`selectAgents`) gives: agent(s), cursor, Sequential progress,
// exhaustion, tie-break and reason. Only the "why this agent" list is shorter.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AgentState,
  type AgentStatus,
  INITIAL_AGENT,
  type MemberIndex,
  memberSnapshots,
  type PresenceView,
  rankTies,
  type SequentialProgress,
  type Strategy,
  selectAgents,
  selectIndexed,
  tieBreakHash,
} from "../src/index.js";

const NOW = 1_000_000;
const PERIOD = "2026-11-30";
const STATUSES: AgentStatus[] = [
  "available",
  "available",
  "available",
  "onBreak",
  "reserved",
  "onCall",
  "wrapUp",
];

const agentArb = fc.record({
  status: fc.constantFrom(...STATUSES),
  // Few distinct values, so ties happen; some in the future (idle 0), some unknown.
  idleSince: fc.option(fc.constantFrom(NOW - 50_000, NOW - 20_000, NOW - 20_000, NOW, NOW + 5_000), {
    nil: undefined,
  }),
  calls: fc.record({
    // Mostly this period's calls, so that often every available member has some (Least calls then ranks counts).
    periodKey: fc.constantFrom(PERIOD, PERIOD, PERIOD, "2026-11-29", ""),
    count: fc.integer({ min: 1, max: 3 }),
  }),
  cooling: fc.boolean(),
});

/** A naive index over the true states, listing every member (available or not): the strategy must skip. */
function naiveIndex(ids: readonly string[], states: ReadonlyMap<string, AgentState>): MemberIndex {
  const pos = new Map(ids.map((id, i) => [id, i]));
  const byPos = (a: string, b: string) => pos.get(a)! - pos.get(b)!;
  const idle = (id: string) => states.get(id)?.idleSince ?? Number.POSITIVE_INFINITY;
  return {
    size: ids.length,
    positionOf: (id) => pos.get(id) ?? -1,
    byIdle: () => [...ids].sort((a, b) => idle(a) - idle(b) || byPos(a, b)),
    byCallsIn: (p) => {
      const calls = (id: string) => {
        const s = states.get(id);
        return s?.calls.periodKey === p ? s.calls.count : 0;
      };
      return [...ids].sort((a, b) => calls(a) - calls(b) || idle(a) - idle(b) || byPos(a, b));
    },
    from: (i) => ids.slice(i),
  };
}

describe("indexed strategies", () => {
  it("choose exactly what the full scan chooses (random groups, presence, cursors and Sequential progress)", () => {
    fc.assert(
      fc.property(
        fc.array(agentArb, { minLength: 1, maxLength: 12 }),
        fc.constantFrom<Strategy>("simultaneous", "roundRobin", "longestIdle", "leastCalls", "sequential"),
        fc.string({ maxLength: 4 }),
        fc.option(fc.nat(11), { nil: undefined }),
        fc.option(fc.record({ pass: fc.integer({ min: 1, max: 4 }), index: fc.nat(13) }), { nil: undefined }),
        fc.integer({ min: 1, max: 3 }),
        (agents, strategy, seed, cursorAt, sequential, maxRingAttempts) => {
          const ids = agents.map((_, i) => `a${i}`);
          const states = new Map<string, AgentState>();
          const presence: Record<string, { state: AgentState; version: number }> = {};
          agents.forEach((a, i) => {
            const state: AgentState = {
              ...INITIAL_AGENT,
              status: a.status,
              calls: a.calls,
              ...(a.idleSince !== undefined ? { idleSince: a.idleSince } : {}),
              ...(a.cooling ? { cooldownUntil: NOW + 1 } : {}),
            };
            states.set(ids[i]!, state);
            presence[ids[i]!] = { state, version: 1 };
          });
          const members = memberSnapshots(ids, presence as PresenceView, NOW, PERIOD);
          const cursor = cursorAt === undefined ? undefined : ids[cursorAt % ids.length];
          const common = {
            strategy,
            seed,
            maxRingAttempts,
            ...(cursor !== undefined ? { cursor } : {}),
            ...(sequential ? { sequential: sequential as SequentialProgress } : {}),
          };
          const full = selectAgents({ ...common, members });
          const indexed = selectIndexed({
            ...common,
            index: naiveIndex(ids, states),
            snapshot: (id) => members.find((m) => m.agentId === id)!,
            periodKey: PERIOD,
          });
          const { candidates: fullCandidates, ...fullRest } = full;
          const { candidates, ...rest } = indexed;
          expect(rest).toEqual(fullRest);
          // The shorter report is a faithful excerpt: the chosen are marked, nobody else is.
          for (const c of candidates) expect(c.chosen).toBe(full.chosen.includes(c.agentId));
          // ... and says of each candidate it lists what the full report says (status, idle, calls, why).
          for (const c of candidates) expect(c).toEqual(fullCandidates.find((f) => f.agentId === c.agentId));
          for (const id of full.chosen)
            expect(candidates.some((c) => c.agentId === id && c.chosen)).toBe(true);
          expect(candidates.length).toBeLessThanOrEqual(fullCandidates.length);
        },
      ),
      { numRuns: 600 },
    );
  }, 60_000);
});

describe("a call routed with a member index", () => {
  it("rings the agent the full scan rings, for every strategy, and reports only the candidates looked at", async () => {
    const { worldWith, group, hangup } = await import("./support/fixtures.js");
    const { BUSINESS, CALLER, callSpec, sec } = await import("./support/world.js");
    for (const strategy of [
      "roundRobin",
      "simultaneous",
      "sequential",
      "longestIdle",
      "leastCalls",
    ] as const) {
      const w = worldWith({
        applets: {
          connect: {
            kind: "connect",
            target: { kind: "group", groupId: "g" },
            branches: { fallback: "bye" },
          },
          bye: hangup,
        },
        groups: [group("g", strategy, ["ann", "bob", "cid", "dee"])],
        signIn: [],
      });
      w.signIn(["cid"], sec(0));
      w.signIn(["bob"], sec(10));
      w.signIn(["dee"], sec(10));
      const ctx = w.ctx();
      const states = new Map(Object.entries(ctx.presence).map(([id, e]) => [id, e.state]));
      const index = naiveIndex(["ann", "bob", "cid", "dee"], states);
      const start = { type: "StartCall" as const, callId: "c1", from: CALLER, to: BUSINESS, now: sec(60) };
      const plain = callSpec.given([], ctx).when(start).events;
      const indexed = callSpec.given([], { ...ctx, memberIndex: () => index }).when(start).events;
      const routing = (events: typeof plain) => {
        const d = events.find((e) => e.type === "RoutingDecided")!.data as {
          readonly chosen: readonly string[];
          readonly candidates: readonly unknown[];
        };
        return { chosen: d.chosen, candidates: d.candidates.length };
      };
      expect(routing(indexed).chosen, strategy).toEqual(routing(plain).chosen);
      expect(routing(indexed).candidates).toBeLessThanOrEqual(routing(plain).candidates);
      expect(indexed.map((e) => e.type)).toEqual(plain.map((e) => e.type));
    }
  });
});

describe("the seeded tie-break", () => {
  it("two agents whose seeded hashes collide are ranked by agent id, whatever order they were listed in", () => {
    // FNV-1a(call-1:agent-93512) = FNV-1a(call-1:agent-138020) = 2247095493 (found by search).
    const ids = ["agent-93512", "agent-138020"];
    expect(tieBreakHash("call-1", ids[0]!)).toBe(tieBreakHash("call-1", ids[1]!));
    for (const listed of [ids, [...ids].reverse()]) {
      expect(rankTies("call-1", listed).ranked.map((r) => r.agentId)).toEqual([
        "agent-138020",
        "agent-93512",
      ]);
    }
  });
});
