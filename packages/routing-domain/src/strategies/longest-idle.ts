// Longest Idle: the available member idle the longest; ties broken by the seeded hash.
import { leadingTies, type Measure, selectBest, selectBestOfTied } from "./measured.js";
import { defineStrategy, stillAvailable } from "./strategy.js";

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
  selectIndexed: (input) =>
    selectBestOfTied(input, leadingTies(stillAvailable(input, input.index.byIdle()), IDLE), IDLE),
});
