// What a group strategy is: a module that picks the agent(s) to ring from a group's members and says why in
// its own words. Each strategy lives in its own file next to this one and is listed in `registry.ts`; the
// vocabulary they share (member snapshots, the "why this agent" report, the seeded tie-break) is here, so a
// strategy imports nothing but this file and the agent model.
import type { AgentStatus } from "../agent/agent.js";
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

export interface CandidateReport {
  readonly agentId: string;
  readonly status: AgentStatus | "unknown";
  readonly idleSec: number;
  readonly callsInPeriod: number;
  readonly chosen: boolean;
  /** Why this agent was (or was not) chosen. */
  readonly reason: string;
}

/**
 * At most this many agents of a tie are ranked in a decision's record (and named in its reason); the others are
 * counted. The record is one event, which the relay publishes as one JetStream message (1 MB at most by
 * default): a Least Calls group of 10,000 agents with no calls yet, all tied, made a 2 MB RoutingDecided.
 */
export const TIE_RANKED_LIMIT = 20;

export interface TieBreak {
  readonly seed: string;
  /** The agents that tied on the strategy's measure, in the order the tie-break ranked them (the first TIE_RANKED_LIMIT). */
  readonly ranked: ReadonlyArray<{ readonly agentId: string; readonly hash: number }>;
  /** How many agents tied, when more than were ranked. */
  readonly tied?: number;
}

/** What a strategy is given to choose over every member of the group. */
export interface SelectionInput {
  /** Members in the group's configured order. */
  readonly members: readonly MemberSnapshot[];
  /** Per decision: the seeded tie-break's (and any other seeded choice's) only source of chance. */
  readonly seed: string;
  /** Round-Robin: the agent offered the group's previous call (group state, kept in events). */
  readonly cursor?: string;
  /** Sequential: where this call is in its passes over the list; absent for the first attempt. */
  readonly sequential?: SequentialProgress;
  readonly maxRingAttempts: number;
}

/** A strategy's choice (`selectAgents` adds the strategy's name). */
export interface Selection {
  readonly candidates: readonly CandidateReport[];
  /** Members looked at but left out of `candidates` to keep the record small (see MAX_CANDIDATES_RECORDED). */
  readonly candidatesOmitted?: number;
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
  /**
   * By calls in `periodKey` ascending (0 for a member whose calls were counted in another period), then by
   * idle-since ascending (members without idle-since last): Least Calls' order.
   */
  byCallsIn(periodKey: string): Iterable<string>;
  /** At member positions ≥ `position`, in member order. */
  from(position: number): Iterable<string>;
}

/** What a strategy is given to choose from a large group's ordered indexes. */
export interface IndexedSelectionInput {
  readonly index: MemberIndex;
  /** The member as the decision sees it now (presence view + this decision's own changes). */
  readonly snapshot: (agentId: string) => MemberSnapshot;
  readonly periodKey: string;
  readonly seed: string;
  readonly cursor?: string;
  readonly sequential?: SequentialProgress;
  readonly maxRingAttempts: number;
}

/** One routing strategy: its name (as configured and recorded), its choice and its "why this agent" words. */
export interface StrategyModule<N extends string = string> {
  /** camelCase; YAML and `--set` also accept its kebab-case and snake_case spellings. */
  readonly name: N;
  /** Further names the YAML accepts (e.g. `simultaneous-ring`). */
  readonly aliases?: readonly string[];
  /** Keeps a cursor in the group's state (stream `group-<groupId>`), read before and moved after a choice. */
  readonly keepsCursor?: boolean;
  /** The choice over every member, in the group's order. Pure: same input, same result. */
  select(input: SelectionInput): Selection;
  /**
   * The same choice from the ordered indexes of a large group, in O(log n) per candidate looked at. Absent:
   * the strategy chooses over the available members only (in member order), found by one walk of the index.
   */
  selectIndexed?(input: IndexedSelectionInput): Selection;
}

/** Keeps the literal name, so the registry can derive the `Strategy` union from its list. */
export const defineStrategy = <const N extends string>(module: StrategyModule<N>): StrategyModule<N> =>
  module;

export const isAvailable = (m: MemberSnapshot): boolean =>
  m.status === "available" && m.cooldownUntil === undefined;

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
  const hashed = agentIds.map((agentId) => ({ agentId, hash: tieBreakHash(seed, agentId) }));
  if (hashed.length <= TIE_RANKED_LIMIT) return { seed, ranked: hashed.sort(byRank) };
  // The best TIE_RANKED_LIMIT without sorting the whole tie: the winner is the same as over a full sort.
  const top: Array<{ agentId: string; hash: number }> = [];
  for (const h of hashed) {
    if (top.length === TIE_RANKED_LIMIT && byRank(h, top[TIE_RANKED_LIMIT - 1]!) >= 0) continue;
    let i = top.length;
    while (i > 0 && byRank(h, top[i - 1]!) < 0) i--;
    top.splice(i, 0, h);
    if (top.length > TIE_RANKED_LIMIT) top.pop();
  }
  return { seed, ranked: top, tied: hashed.length };
}

/** The reason's words for a tie broken by the seeded hash (nothing when there was none): the tied, or their count. */
export const tieClause = (tied: readonly string[], tieBroken: boolean): string =>
  tieBroken
    ? ` (tie among ${tied.length > TIE_RANKED_LIMIT ? `${tied.length} agents` : tied.join(", ")} broken by seeded hash)`
    : "";

/** Of a tie too large to rank whole, the members the tie-break ranked (the report lists only those). */
export function rankedOnly(tied: readonly MemberSnapshot[], tieBreak: TieBreak): MemberSnapshot[] {
  const ranked = new Set(tieBreak.ranked.map((r) => r.agentId));
  return tied.filter((m) => ranked.has(m.agentId));
}

// A group lists an agent once, so ids never tie.
// Stryker disable next-line EqualityOperator: with distinct ids < and <= agree (>=, which reverses the order, is killed by the hash-collision test)
const byRank = (a: { agentId: string; hash: number }, b: { agentId: string; hash: number }): number =>
  a.hash - b.hash || (a.agentId < b.agentId ? -1 : 1);

/** Every member's line of the report: the strategy's `why` for an available one, the skip reason otherwise. */
export function report(
  members: readonly MemberSnapshot[],
  chosen: readonly string[],
  why: (m: MemberSnapshot) => string,
): CandidateReport[] {
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

/** Nobody available (full scan): the cursor, if any, stays where it was. */
export function noneAvailable(input: SelectionInput): Selection {
  return {
    chosen: [],
    // Stryker disable next-line StringLiteral,ArrayDeclaration: noneAvailable() is only reached when nobody is available, so no candidate is chosen and the reason callback is never called
    candidates: report(input.members, [], () => "available"),
    reason: "no agent available",
    ...(input.cursor !== undefined ? { cursor: input.cursor } : {}),
  };
}

/** One candidate looked at in an index. */
export const candidate = (m: MemberSnapshot, chosen: boolean, reason: string): CandidateReport => ({
  agentId: m.agentId,
  status: m.status,
  idleSec: Math.floor(m.idleMs / 1000),
  callsInPeriod: m.callsInPeriod,
  chosen,
  reason,
});

/** The ids an index lists that are still available as the decision sees them. */
export function* stillAvailable(
  input: IndexedSelectionInput,
  ids: Iterable<string>,
): Generator<MemberSnapshot> {
  for (const id of ids) {
    const m = input.snapshot(id);
    if (isAvailable(m)) yield m;
  }
}

export const first = <T>(it: Iterable<T>): T | undefined => {
  for (const x of it) return x;
  return undefined;
};

/** Nobody available (index): no candidate looked at, the cursor stays. */
export function noneIndexed(input: IndexedSelectionInput): Selection {
  return {
    chosen: [],
    candidates: [],
    reason: "no agent available",
    // Stryker disable next-line ConditionalExpression: a cursor key holding undefined reads as no cursor (and nobody is chosen, so it is not advanced)
    ...(input.cursor !== undefined ? { cursor: input.cursor } : {}),
  };
}
