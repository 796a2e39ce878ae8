// Choosing the agent(s) to ring over a group's members: the group's strategy module (registry.ts) does the
// choosing; this file hands it the members and names the result.
import { callsInPeriod, inCooldown, type PresenceView } from "../agent/agent.js";
import { type Strategy, strategyModule } from "./registry.js";
import type { MemberSnapshot, Selection, SelectionInput } from "./strategy.js";

export {
  type CandidateReport,
  type MemberSnapshot,
  rankTies,
  type SequentialProgress,
  TIE_RANKED_LIMIT,
  type TieBreak,
} from "./strategy.js";

export interface StrategyInput extends SelectionInput {
  readonly strategy: Strategy;
}

export interface StrategyResult extends Selection {
  readonly strategy: Strategy;
}

/** Picks the agent(s) to ring. Pure: same input, same result. */
export function selectAgents(input: StrategyInput): StrategyResult {
  return { strategy: input.strategy, ...strategyModule(input.strategy).select(input) };
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
