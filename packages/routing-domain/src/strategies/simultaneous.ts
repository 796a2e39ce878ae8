// Simultaneous Ring: every available member at once; the first to answer takes the call.
import { candidate, defineStrategy, isAvailable, report, stillAvailable } from "./strategy.js";

const RUNG = "available: rung with everyone available";
const reasonFor = (count: number): string =>
  count > 0 ? `ring all ${count} available agents at once` : "no agent available";

export const simultaneous = defineStrategy({
  name: "simultaneous",
  aliases: ["simultaneous-ring"],
  select(input) {
    const chosen = input.members.filter(isAvailable).map((m) => m.agentId);
    return {
      chosen,
      candidates: report(input.members, chosen, () => RUNG),
      reason: reasonFor(chosen.length),
    };
  },
  selectIndexed(input) {
    // `from` lists members in member order, as the full scan rings them.
    const all = [...stillAvailable(input, input.index.from(0))];
    const chosen = all.map((m) => m.agentId);
    return {
      chosen,
      candidates: all.map((m) => candidate(m, true, RUNG)),
      reason: reasonFor(chosen.length),
    };
  },
});
