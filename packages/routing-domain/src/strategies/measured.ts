// The choice shared by strategies that rank members on one measure (Longest Idle, Least Calls): the best
// available member, ties broken by the seeded hash. Each strategy brings its measure and its words.
import {
  candidate,
  type IndexedSelectionInput,
  isAvailable,
  type MemberSnapshot,
  noneAvailable,
  noneIndexed,
  rankedOnly,
  rankTies,
  report,
  type Selection,
  type SelectionInput,
  tieClause,
} from "./strategy.js";

export interface Measure {
  /** Smaller wins. */
  readonly of: (m: MemberSnapshot) => number;
  /** The member's measure as the report shows it, e.g. `idle 30s`. */
  readonly label: (m: MemberSnapshot) => string;
  /** The winner's report line after its label, e.g. `longest idle`. */
  readonly best: string;
  /** A loser's report line before the winner's id, e.g. `idle less than`. */
  readonly worse: string;
  /** The decision's reason after the winner's id and "has the", e.g. `longest idle time`. */
  readonly reason: string;
}

const reasonFor = (measure: Measure, winner: string, tied: readonly string[], tieBroken: boolean): string =>
  `${winner} has the ${measure.reason}${tieClause(tied, tieBroken)}`;

/** Over every member: the available ones with the best measure, then the seeded tie-break. */
export function selectBest(input: SelectionInput, measure: Measure): Selection {
  const { members } = input;
  const available = members.filter(isAvailable);
  if (available.length === 0) return noneAvailable(input);
  const best = Math.min(...available.map(measure.of));
  const tied = available.filter((m) => measure.of(m) === best).map((m) => m.agentId);
  const tieBreak = tied.length > 1 ? rankTies(input.seed, tied) : undefined;
  const winner = tieBreak ? tieBreak.ranked[0]!.agentId : tied[0]!;
  const chosen = [winner];
  const winnerMember = available.find((m) => m.agentId === winner)!;
  return {
    chosen,
    ...(tieBreak ? { tieBreak } : {}),
    candidates: report(members, chosen, (m) => {
      if (m.agentId === winner) return `${measure.label(m)}: ${measure.best}`;
      if (tied.includes(m.agentId)) return `${measure.label(m)}: tied, lost the seeded tie-break`;
      return `${measure.label(m)}: ${measure.worse} ${winner} (${measure.label(winnerMember)})`;
    }),
    reason: reasonFor(measure, winner, tied, tieBreak !== undefined),
  };
}

/**
 * The members at the head of an index ordered on the measure that tie with its first: read one past the ties
 * and no further (the index may hold the whole group).
 */
export function leadingTies(ordered: Iterable<MemberSnapshot>, measure: Measure): MemberSnapshot[] {
  const tied: MemberSnapshot[] = [];
  for (const m of ordered) {
    if (tied.length > 0 && measure.of(m) !== measure.of(tied[0]!)) break;
    tied.push(m);
  }
  return tied;
}

/** From an index: `tied` are the available members sharing the best measure, found by the strategy. */
export function selectBestOfTied(
  input: IndexedSelectionInput,
  tied: MemberSnapshot[],
  measure: Measure,
): Selection {
  if (tied.length === 0) return noneIndexed(input);
  const tieBreak =
    tied.length > 1
      ? rankTies(
          input.seed,
          tied.map((m) => m.agentId),
        )
      : undefined;
  const winner = tieBreak ? tieBreak.ranked[0]!.agentId : tied[0]!.agentId;
  // The report lists the tie in member order, as the full scan does: all of it, or its best ranked when large.
  const listed = tieBreak?.tied === undefined ? tied : rankedOnly(tied, tieBreak);
  listed.sort((a, b) => input.index.positionOf(a.agentId) - input.index.positionOf(b.agentId));
  const ids = tieBreak?.tied === undefined ? listed.map((m) => m.agentId) : tied.map((m) => m.agentId);
  return {
    chosen: [winner],
    ...(tieBreak ? { tieBreak } : {}),
    candidates: listed.map((m) =>
      m.agentId === winner
        ? candidate(m, true, `${measure.label(m)}: ${measure.best}`)
        : candidate(m, false, `${measure.label(m)}: tied, lost the seeded tie-break`),
    ),
    reason: reasonFor(measure, winner, ids, tieBreak !== undefined),
  };
}
