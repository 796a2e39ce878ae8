// The strategies over ordered indexes of a group's available members (kept by a presence view), for large
// groups: the choice is the one `selectAgents` makes over every member (same agent, cursor, Sequential
// progress, tie-break), found in O(log n) per candidate looked at instead of a scan of the whole group.
// The "why this agent" report lists the candidates looked at, not every member.
import type { Strategy } from "../config/snapshot.js";
import {
  type CandidateReport,
  type MemberSnapshot,
  rankTies,
  type SequentialProgress,
  type StrategyResult,
} from "./strategies.js";

/**
 * Available members of one group in the orders the strategies need (ties: the group's member order).
 * An index may lag the decision's own view (an agent reserved a moment ago is still listed): the strategy
 * checks every candidate against `snapshot` and skips those no longer available.
 */
export interface MemberIndex {
  /** Members of the group (available or not). */
  readonly size: number;
  positionOf(agentId: string): number;
  /** By idle-since ascending (longest idle first); members without idle-since last. */
  byIdle(): Iterable<string>;
  /** Those with no call in `periodKey` (their calls-in-period is 0), in member order. */
  withoutCallsIn(periodKey: string): Iterable<string>;
  /** Those with calls in `periodKey`, by count ascending. */
  byCallsIn(periodKey: string): Iterable<string>;
  /** At member positions ≥ `position`, in member order. */
  from(position: number): Iterable<string>;
}

export interface IndexedStrategyInput {
  readonly strategy: Strategy;
  readonly index: MemberIndex;
  /** The member as the decision sees it now (presence view + this decision's own changes). */
  readonly snapshot: (agentId: string) => MemberSnapshot;
  readonly periodKey: string;
  readonly seed: string;
  readonly cursor?: string;
  readonly sequential?: SequentialProgress;
  readonly maxRingAttempts: number;
}

const isAvailable = (m: MemberSnapshot): boolean => m.status === "available" && m.cooldownUntil === undefined;

const candidate = (m: MemberSnapshot, chosen: boolean, reason: string): CandidateReport => ({
  agentId: m.agentId,
  status: m.status,
  idleSec: Math.floor(m.idleMs / 1000),
  callsInPeriod: m.callsInPeriod,
  chosen,
  reason,
});

/** Picks the agent(s) to ring from the index: the same choice as `selectAgents` over all members. */
export function selectIndexed(input: IndexedStrategyInput): StrategyResult {
  const { strategy, index, snapshot } = input;
  const valid = function* (ids: Iterable<string>): Generator<MemberSnapshot> {
    for (const id of ids) {
      const m = snapshot(id);
      if (isAvailable(m)) yield m;
    }
  };
  const first = <T>(it: Iterable<T>): T | undefined => {
    for (const x of it) return x;
    return undefined;
  };
  switch (strategy) {
    case "simultaneous": {
      // `from` lists members in member order, as the full scan rings them.
      const all = [...valid(index.from(0))];
      const chosen = all.map((m) => m.agentId);
      return {
        strategy,
        chosen,
        candidates: all.map((m) => candidate(m, true, "available: rung with everyone available")),
        reason:
          chosen.length > 0 ? `ring all ${chosen.length} available agents at once` : "no agent available",
      };
    }
    case "roundRobin": {
      const start = input.cursor === undefined ? 0 : index.positionOf(input.cursor) + 1;
      const pick = first(valid(index.from(start))) ?? first(valid(index.from(0)));
      if (!pick) return none(input);
      return {
        strategy,
        chosen: [pick.agentId],
        cursor: pick.agentId,
        candidates: [candidate(pick, true, "next available after the previous call's agent")],
        reason: `next in rotation after ${input.cursor ?? "(start of list)"}: ${pick.agentId}`,
      };
    }
    case "longestIdle":
    case "leastCalls": {
      let tied: MemberSnapshot[] = [];
      if (strategy === "longestIdle") {
        for (const m of valid(index.byIdle())) {
          if (tied.length > 0 && m.idleMs !== tied[0]!.idleMs) break;
          tied.push(m);
        }
      } else {
        tied = [...valid(index.withoutCallsIn(input.periodKey))];
        // Stryker disable next-line ConditionalExpression: byCallsIn lists only members with calls (1 or more), which never tie with a member without any, so always looking there adds nobody
        if (tied.length === 0) {
          for (const m of valid(index.byCallsIn(input.periodKey))) {
            if (tied.length > 0 && m.callsInPeriod !== tied[0]!.callsInPeriod) break;
            tied.push(m);
          }
        }
      }
      if (tied.length === 0) return none(input);
      // The full scan lists ties in member order; the tie-break ranks them by seeded hash then agent id.
      tied.sort((a, b) => index.positionOf(a.agentId) - index.positionOf(b.agentId));
      const ids = tied.map((m) => m.agentId);
      const tieBreak = ids.length > 1 ? rankTies(input.seed, ids) : undefined;
      const winner = tieBreak ? tieBreak.ranked[0]!.agentId : ids[0]!;
      const label = (m: MemberSnapshot): string =>
        strategy === "longestIdle"
          ? `idle ${Math.floor(m.idleMs / 1000)}s`
          : `${m.callsInPeriod} calls in period`;
      return {
        strategy,
        chosen: [winner],
        ...(tieBreak ? { tieBreak } : {}),
        candidates: tied.map((m) =>
          m.agentId === winner
            ? candidate(
                m,
                true,
                `${label(m)}: ${strategy === "longestIdle" ? "longest idle" : "fewest calls"}`,
              )
            : candidate(m, false, `${label(m)}: tied, lost the seeded tie-break`),
        ),
        reason:
          `${winner} has the ${strategy === "longestIdle" ? "longest idle time" : "fewest calls in the period"}` +
          (tieBreak ? ` (tie among ${ids.join(", ")} broken by seeded hash)` : ""),
      };
    }
    case "sequential": {
      const progress = input.sequential ?? { pass: 1, index: 0 };
      const chosenAt = (m: MemberSnapshot, pass: number): StrategyResult => {
        const position = index.positionOf(m.agentId);
        return {
          strategy,
          chosen: [m.agentId],
          sequential: { pass, index: position + 1 },
          candidates: [candidate(m, true, `position ${position + 1} in the order, pass ${pass}`)],
          reason: `pass ${pass} of ${input.maxRingAttempts}: ${m.agentId} is next in the defined order`,
        };
      };
      // The rest of this pass, then (if passes remain) one whole further pass: presence is one snapshot.
      let pass = progress.pass;
      if (pass <= input.maxRingAttempts) {
        const here = first(valid(index.from(progress.index)));
        if (here) return chosenAt(here, pass);
        pass++;
        if (progress.index > 0 && pass <= input.maxRingAttempts) {
          const next = first(valid(index.from(0)));
          if (next) return chosenAt(next, pass);
          pass++;
        }
      }
      return {
        strategy,
        chosen: [],
        sequential: { pass: Math.min(pass, input.maxRingAttempts + 1), index: 0 },
        exhausted: input.sequential !== undefined,
        candidates: [],
        // A first attempt looks from the start of the order, so it ends here only when nobody is available.
        reason: input.sequential ? `all ${input.maxRingAttempts} passes used` : "no agent available",
      };
    }
    default: {
      const unknown: never = strategy;
      throw new Error(`unknown strategy ${String(unknown)}`);
    }
  }
}

function none(input: IndexedStrategyInput): StrategyResult {
  return {
    strategy: input.strategy,
    chosen: [],
    candidates: [],
    reason: "no agent available",
    // Stryker disable next-line ConditionalExpression: a cursor key holding undefined reads as no cursor (and nobody is chosen, so it is not advanced)
    ...(input.cursor !== undefined ? { cursor: input.cursor } : {}),
  };
}
