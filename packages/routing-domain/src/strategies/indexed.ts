// The strategies over ordered indexes of a group's available members (kept by a presence view), for large
// groups: the choice is the one `selectAgents` makes over every member (same agent, cursor, Sequential
// progress, tie-break), found in O(log n) per candidate looked at instead of a scan of the whole group.
// The "why this agent" report lists the candidates looked at, not every member.
import { type Strategy, strategyModule } from "./registry.js";
import type { StrategyResult } from "./strategies.js";
import { type IndexedSelectionInput, stillAvailable } from "./strategy.js";

export type { MemberIndex } from "./strategy.js";

export interface IndexedStrategyInput extends IndexedSelectionInput {
  readonly strategy: Strategy;
}

/** Picks the agent(s) to ring from the index: the same choice as `selectAgents` over all members. */
export function selectIndexed(input: IndexedStrategyInput): StrategyResult {
  const module = strategyModule(input.strategy);
  if (module.selectIndexed) return { strategy: input.strategy, ...module.selectIndexed(input) };
  // A strategy without an indexed variant looks only at available members, so its choice over them (walked
  // from the index in member order) is its choice over the whole group; the report lists just those.
  const members = [...stillAvailable(input, input.index.from(0))];
  return { strategy: input.strategy, ...module.select({ ...input, members }) };
}
