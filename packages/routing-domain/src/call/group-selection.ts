// One group-selection function for every way a call rings a group (a Connect and a transfer): the group's
// strategy over its members as this decision sees them.
import { inCooldown } from "../agent/agent.js";
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
 * The group's strategy over its members as this decision sees them: agents reserved, paused or cooling down
 * after a missed offer earlier in the same decision are not available any more. A large group is chosen from
 * its ordered indexes (unless members are excluded: then from the list).
 */
export function chooseGroupMembers(
  b: DecisionBuilder,
  group: GroupConfig,
  choice: GroupChoice,
): StrategyResult {
  // For a Connect no decision yet changes a member who is available in the presence view before it chooses:
  // ring() reserves last, and an agent released or cooled down in this decision was ringing for this call, so
  // not available in the view. A transfer's decision may have reserved or released agents already.
  const adjust = (m: MemberSnapshot): MemberSnapshot => {
    // Only a member available in the view can have been made unavailable earlier in this decision.
    if (m.status !== "available") return m;
    const working = b.agentState(m.agentId);
    if (working.status !== "available") return { ...m, status: working.status };
    // A member cooling down in the view cannot be reserved, so no decision has changed its cooldown.
    if (m.cooldownUntil === undefined && inCooldown(working, b.now)) {
      return { ...m, cooldownUntil: working.cooldownUntil as number };
    }
    return m;
  };
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
  return index
    ? selectIndexed({
        ...common,
        index,
        periodKey: b.periodKey,
        snapshot: (agentId) =>
          adjust(memberSnapshots([agentId], b.ctx.presence, b.now, b.periodKey)[0] as MemberSnapshot),
      })
    : selectAgents({
        ...common,
        members: memberSnapshots(
          group.members.filter((agentId) => !exclude.includes(agentId)),
          b.ctx.presence,
          b.now,
          b.periodKey,
        ).map(adjust),
      });
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
