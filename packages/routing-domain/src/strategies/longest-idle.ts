// Longest Idle: the available member idle the longest; ties broken by the seeded hash.
import { type Measure, selectBest, selectBestOfTied } from "./measured.js";
import { defineStrategy, type MemberSnapshot, stillAvailable } from "./strategy.js";

const IDLE: Measure = {
  of: (m) => -m.idleMs,
  label: (m) => `idle ${Math.floor(m.idleMs / 1000)}s`,
  best: "longest idle",
  worse: "idle less than",
  reason: "longest idle time",
};

export const longestIdle = defineStrategy({
  name: "longestIdle",
  select: (input) => selectBest(input, IDLE),
  selectIndexed(input) {
    const tied: MemberSnapshot[] = [];
    for (const m of stillAvailable(input, input.index.byIdle())) {
      if (tied.length > 0 && m.idleMs !== tied[0]!.idleMs) break;
      tied.push(m);
    }
    return selectBestOfTied(input, tied, IDLE);
  },
});
