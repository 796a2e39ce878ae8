// One group-selection function for every way a call rings a group (a Connect and a transfer): the group's
// strategy over its members as this decision sees them.
import type { PresenceEntry, PresenceView } from "../agent/agent.js";
import type { GroupConfig } from "../config/snapshot.js";
import { selectIndexed } from "../strategies/indexed.js";
import { strategyModule } from "../strategies/registry.js";
import {
  type MemberSnapshot,
  memberSnapshots,
  type SequentialProgress,
  type StrategyResult,
  selectAgents,
} from "../strategies/strategies.js";
import type { DecisionBuilder } from "./builder.js";

export interface GroupChoice {
  readonly maxRingAttempts: number;
  /** Sequential: where the previous step of this call left off. */
  readonly sequential?: SequentialProgress | undefined;
  /** Members not to choose (a transfer's agents already rung for it). */
  readonly exclude?: readonly string[];
}

/**
 * The group's strategy over its members as this decision sees them: agents reserved, released, paused or
 * cooling down after a missed offer earlier in the same decision are seen as they are now. A large group is chosen from
 * its ordered indexes (unless members are excluded: then from the list).
 */
export function chooseGroupMembers(
  b: DecisionBuilder,
  group: GroupConfig,
  choice: GroupChoice,
): StrategyResult {
  // The members as this decision sees them: the presence view, with the agents this decision has already
  // changed in their working state. Not only agents available in the view: a Sequential group's agent whose
  // ring timed out is still ringing for this call in the view, and is released (available, cooling down, or
  // paused after too many misses) before the next member is chosen in the same decision.
  const seen = (agentIds: readonly string[]): MemberSnapshot[] =>
    memberSnapshots(agentIds, workingView(b, agentIds), b.now, b.periodKey);
  const cursor = b.groupState(group.groupId).cursor;
  const common = {
    strategy: group.strategy,
    seed: b.seed,
    // Stryker disable next-line ConditionalExpression: the strategies read an absent cursor and an undefined one alike
    ...(cursor !== undefined ? { cursor } : {}),
    ...(choice.sequential ? { sequential: choice.sequential } : {}),
    maxRingAttempts: choice.maxRingAttempts,
  };
  const exclude = choice.exclude ?? [];
  const index = exclude.length === 0 ? b.ctx.memberIndex?.(group.groupId) : undefined;
  const result = index
    ? selectIndexed({
        ...common,
        index,
        periodKey: b.periodKey,
        snapshot: (agentId) => seen([agentId])[0] as MemberSnapshot,
      })
    : selectAgents({
        ...common,
        members: seen(group.members.filter((agentId) => !exclude.includes(agentId))),
      });
  return bounded(result);
}

/**
 * At most this many members are listed in a decision's record. The record is one event, which the relay
 * publishes as one JetStream message (1 MB at most by default); a full scan of a large group (a transfer to it,
 * which excludes the agents already rung) lists every member, ~100 bytes each.
 */
export const MAX_CANDIDATES_RECORDED = 100;

/** Every chosen member and, in the strategy's order, the others up to the limit; the rest only counted. */
function bounded(result: StrategyResult): StrategyResult {
  if (result.candidates.length <= MAX_CANDIDATES_RECORDED) return result;
  const chosen = result.candidates.filter((c) => c.chosen).length;
  let others = MAX_CANDIDATES_RECORDED - chosen;
  const candidates = result.candidates.filter((c) => c.chosen || others-- > 0);
  return { ...result, candidates, candidatesOmitted: result.candidates.length - candidates.length };
}

/** The presence entries of `agentIds` with the decision's working state; an agent without presence stays unknown. */
function workingView(b: DecisionBuilder, agentIds: readonly string[]): PresenceView {
  const view: Record<string, PresenceEntry> = {};
  for (const agentId of agentIds) {
    const entry = b.ctx.presence[agentId];
    if (entry) view[agentId] = { ...entry, state: b.agentState(agentId) };
  }
  return view;
}

/** A cursor-keeping strategy's (Round-robin's) cursor moves past the agent chosen last. */
export function advanceCursor(b: DecisionBuilder, group: GroupConfig, cursor: string | undefined): void {
  // Stryker disable next-line ConditionalExpression: only a strategy keeping a cursor returns one with a choice (the others return one only through noneAvailable(), when nobody is chosen and no cursor moves); the check says whose cursor it is
  if (strategyModule(group.strategy).keepsCursor === true && cursor !== undefined) {
    b.groupEvent(group.groupId, {
      type: "RoundRobinCursorAdvanced",
      data: { agentId: cursor, callId: b.state.callId },
    });
  }
}
