import { type AgentStatus, callsInPeriod, inCooldown, type PresenceView } from "../agent/agent.js";
import type { Strategy } from "../config/snapshot.js";
import { tieBreakHash } from "../shared/hash.js";

/** One group member as the strategy sees it. */
export interface MemberSnapshot {
  readonly agentId: string;
  readonly status: AgentStatus | "unknown";
  /** Milliseconds available without a call (0 unless available). */
  readonly idleMs: number;
  readonly callsInPeriod: number;
  /** Set when the agent is cooling down after a missed offer: not offered a call before then. */
  readonly cooldownUntil?: number;
}

/** Per-call progress of the Sequential strategy: which pass, and the next list index to try. */
export interface SequentialProgress {
  readonly pass: number;
  readonly index: number;
}

export interface StrategyInput {
  readonly strategy: Strategy;
  /** Members in the group's configured order. */
  readonly members: readonly MemberSnapshot[];
  readonly seed: string;
  /** Round-Robin: the agent offered the group's previous call (group state, kept in events). */
  readonly cursor?: string;
  /** Sequential: where this call is in its passes over the list; absent for the first attempt. */
  readonly sequential?: SequentialProgress;
  readonly maxRingAttempts: number;
}

export interface CandidateReport {
  readonly agentId: string;
  readonly status: AgentStatus | "unknown";
  readonly idleSec: number;
  readonly callsInPeriod: number;
  readonly chosen: boolean;
  /** Why this agent was (or was not) chosen. */
  readonly reason: string;
}

export interface TieBreak {
  readonly seed: string;
  /** The agents that tied on the strategy's measure, in the order the tie-break ranked them. */
  readonly ranked: ReadonlyArray<{ readonly agentId: string; readonly hash: number }>;
}

export interface StrategyResult {
  readonly strategy: Strategy;
  readonly candidates: readonly CandidateReport[];
  /** Agents to ring now (several only for Simultaneous Ring). Empty: nobody can be offered the call. */
  readonly chosen: readonly string[];
  readonly reason: string;
  readonly tieBreak?: TieBreak;
  /** Round-Robin: the new cursor. */
  readonly cursor?: string;
  /** Sequential: progress after this attempt. */
  readonly sequential?: SequentialProgress;
  /** Sequential: every pass is used up (as opposed to nobody being available at all). */
  readonly exhausted?: boolean;
}

const isAvailable = (m: MemberSnapshot): boolean => m.status === "available" && m.cooldownUntil === undefined;

const skipReason = (m: MemberSnapshot): string => {
  switch (m.status) {
    case "reserved":
      return "skipped: already reserved for another call";
    case "ringing":
      return "skipped: already ringing for another call";
    case "onCall":
      return "skipped: on a call";
    case "wrapUp":
      return "skipped: in wrap-up";
    case "signedOut":
      return "skipped: signed out";
    case "onBreak":
      return "skipped: on break";
    case "offline":
      return "skipped: offline";
    case "unknown":
      return "skipped: no presence known";
    case "available":
      // Only members that cannot be offered are asked about here: an available one is cooling down.
      return `skipped: cooldown after missed offer until ${m.cooldownUntil}`;
    default: {
      const unknown: never = m.status;
      throw new Error(`unknown status ${String(unknown)}`);
    }
  }
};

/** Seeded hash first, then agent id: deterministic for a given seed, yet not always favouring the same id. */
export function rankTies(seed: string, agentIds: readonly string[]): TieBreak {
  const ranked = agentIds
    .map((agentId) => ({ agentId, hash: tieBreakHash(seed, agentId) }))
    // A group lists an agent once, so ids never tie.
    // Stryker disable next-line EqualityOperator: with distinct ids < and <= agree (>=, which reverses the order, is killed by the hash-collision test)
    .sort((a, b) => a.hash - b.hash || (a.agentId < b.agentId ? -1 : 1));
  return { seed, ranked };
}

function report(
  members: readonly MemberSnapshot[],
  chosen: readonly string[],
  why: (m: MemberSnapshot) => string,
) {
  return members.map(
    (m): CandidateReport => ({
      agentId: m.agentId,
      status: m.status,
      idleSec: Math.floor(m.idleMs / 1000),
      callsInPeriod: m.callsInPeriod,
      chosen: chosen.includes(m.agentId),
      reason: isAvailable(m) ? why(m) : skipReason(m),
    }),
  );
}

/** Picks the agent(s) to ring. Pure: same input, same result. */
export function selectAgents(input: StrategyInput): StrategyResult {
  const { members, strategy } = input;
  const available = members.filter(isAvailable);
  switch (strategy) {
    case "simultaneous": {
      const chosen = available.map((m) => m.agentId);
      return {
        strategy,
        chosen,
        candidates: report(members, chosen, () => "available: rung with everyone available"),
        reason:
          chosen.length > 0 ? `ring all ${chosen.length} available agents at once` : "no agent available",
      };
    }
    case "roundRobin": {
      if (available.length === 0) return none(input);
      const start = input.cursor === undefined ? 0 : members.findIndex((m) => m.agentId === input.cursor) + 1;
      let pick: MemberSnapshot | undefined;
      // Stryker disable next-line EqualityOperator,ConditionalExpression: someone is available (checked above), so the pick is always made within the first members.length steps; the bound never ends the loop
      for (let i = 0; i < members.length && !pick; i++) {
        const m = members[(start + i) % members.length]!;
        if (isAvailable(m)) pick = m;
      }
      const chosen = [pick!.agentId];
      return {
        strategy,
        chosen,
        cursor: pick!.agentId,
        candidates: report(members, chosen, (m) =>
          m.agentId === pick!.agentId
            ? "next available after the previous call's agent"
            : "available, later in rotation",
        ),
        reason: `next in rotation after ${input.cursor ?? "(start of list)"}: ${pick!.agentId}`,
      };
    }
    case "longestIdle":
    case "leastCalls": {
      if (available.length === 0) return none(input);
      const measure = (m: MemberSnapshot): number =>
        strategy === "longestIdle" ? -m.idleMs : m.callsInPeriod;
      const best = Math.min(...available.map(measure));
      const tied = available.filter((m) => measure(m) === best).map((m) => m.agentId);
      const tieBreak = tied.length > 1 ? rankTies(input.seed, tied) : undefined;
      const winner = tieBreak ? tieBreak.ranked[0]!.agentId : tied[0]!;
      const chosen = [winner];
      const label = (m: MemberSnapshot): string =>
        strategy === "longestIdle"
          ? `idle ${Math.floor(m.idleMs / 1000)}s`
          : `${m.callsInPeriod} calls in period`;
      const winnerMember = available.find((m) => m.agentId === winner)!;
      return {
        strategy,
        chosen,
        ...(tieBreak ? { tieBreak } : {}),
        candidates: report(members, chosen, (m) => {
          if (m.agentId === winner)
            return `${label(m)}: ${strategy === "longestIdle" ? "longest idle" : "fewest calls"}`;
          if (tied.includes(m.agentId)) return `${label(m)}: tied, lost the seeded tie-break`;
          return `${label(m)}: ${strategy === "longestIdle" ? "idle less than" : "more calls than"} ${winner} (${label(winnerMember)})`;
        }),
        reason:
          `${winner} has the ${strategy === "longestIdle" ? "longest idle time" : "fewest calls in the period"}` +
          (tieBreak ? ` (tie among ${tied.join(", ")} broken by seeded hash)` : ""),
      };
    }
    case "sequential": {
      const progress = input.sequential ?? { pass: 1, index: 0 };
      // Scan the rest of this pass, then (if passes remain) whole further passes. Presence is one snapshot, so
      // one extra full pass finds everything a later pass could.
      let { pass, index } = progress;
      let skippedThisPass = 0;
      while (pass <= input.maxRingAttempts) {
        if (index >= members.length) {
          pass++;
          index = 0;
          if (skippedThisPass >= members.length) break;
          skippedThisPass = 0;
          continue;
        }
        const m = members[index]!;
        if (isAvailable(m)) {
          const chosen = [m.agentId];
          return {
            strategy,
            chosen,
            sequential: { pass, index: index + 1 },
            candidates: report(members, chosen, (c) =>
              c.agentId === m.agentId
                ? `position ${index + 1} in the order, pass ${pass}`
                : // Stryker disable next-line EqualityOperator: c is not the chosen member, who alone is at index
                  members.indexOf(c) < index
                  ? "earlier in the order: already tried this pass"
                  : "later in the order",
            ),
            reason: `pass ${pass} of ${input.maxRingAttempts}: ${m.agentId} is next in the defined order`,
          };
        }
        skippedThisPass++;
        index++;
      }
      return {
        strategy,
        chosen: [],
        sequential: { pass: Math.min(pass, input.maxRingAttempts + 1), index: 0 },
        exhausted: input.sequential !== undefined,
        // Stryker disable next-line ArrayDeclaration: nobody is chosen; a made-up id in the list matches no member
        candidates: report(members, [], () => "available, but every pass is used up"),
        // A first attempt scans a whole pass, so it ends here only when nobody is available.
        reason: input.sequential ? `all ${input.maxRingAttempts} passes used` : "no agent available",
      };
    }
    default: {
      const unknown: never = strategy;
      throw new Error(`unknown strategy ${String(unknown)}`);
    }
  }
}

function none(input: StrategyInput): StrategyResult {
  return {
    strategy: input.strategy,
    chosen: [],
    // Stryker disable next-line StringLiteral,ArrayDeclaration: none() is only reached when nobody is available, so no candidate is chosen and the reason callback is never called
    candidates: report(input.members, [], () => "available"),
    reason: "no agent available",
    ...(input.cursor !== undefined ? { cursor: input.cursor } : {}),
  };
}

/** The strategy's view of a group's members from the presence view at `now`. */
export function memberSnapshots(
  memberIds: readonly string[],
  presence: PresenceView,
  now: number,
  periodKey: string,
): MemberSnapshot[] {
  return memberIds.map((agentId) => {
    const entry = presence[agentId];
    if (!entry) return { agentId, status: "unknown", idleMs: 0, callsInPeriod: 0 };
    const s = entry.state;
    return {
      agentId,
      status: s.status,
      idleMs: s.status === "available" && s.idleSince !== undefined ? Math.max(0, now - s.idleSince) : 0,
      callsInPeriod: callsInPeriod(s, periodKey),
      ...(s.status === "available" && inCooldown(s, now) ? { cooldownUntil: s.cooldownUntil as number } : {}),
    };
  });
}
