// Random: one available member drawn uniformly at random. The draw comes from the decision's seed (an input,
// so the domain reads no randomness): every available member gets a seeded hash and the lowest wins, which
// spreads calls evenly over many decisions and replays to the same agent for the same decision.
import { tieBreakHash } from "../shared/hash.js";
import { defineStrategy, isAvailable, noneAvailable, report } from "./strategy.js";

/**
 * The tie-break's FNV-1a, finished with murmur3's finaliser: FNV-1a alone lets the agent id (the input's
 * last characters) decide too little of the high bits, which skews the lowest-hash draw by ~15% over 3 agents.
 */
const draw = (seed: string, agentId: string): number => {
  let h = tieBreakHash(seed, agentId);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};

export const random = defineStrategy({
  name: "random",
  // No indexed variant: the draw looks only at the available members, which the index walks in one pass.
  select(input) {
    const available = input.members.filter(isAvailable).map((m) => m.agentId);
    if (available.length === 0) return noneAvailable(input);
    const winner = available
      .map((agentId) => ({ agentId, hash: draw(input.seed, agentId) }))
      .reduce((best, x) =>
        // Stryker disable next-line EqualityOperator,ConditionalExpression,LogicalOperator: the winner is the first in a fixed order of the seeded draws; lowest or highest first is the same uniform draw that replays alike, and draws tie (then the id decides; a group lists an agent once) only on a 32-bit collision
        x.hash < best.hash || (x.hash === best.hash && x.agentId < best.agentId) ? x : best,
      ).agentId;
    return {
      chosen: [winner],
      candidates: report(input.members, [winner], (m) =>
        m.agentId === winner ? "available: drawn at random" : "available: not drawn",
      ),
      reason: `${winner} drawn at random among ${available.length} available (seeded by the decision)`,
    };
  },
});
