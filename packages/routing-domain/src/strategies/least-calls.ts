// Least Calls: the available member with the fewest calls in the account's period (hour, day, week, month);
// ties broken by the seeded hash.
import { leadingTies, type Measure, selectBest, selectBestOfTied } from "./measured.js";
import { defineStrategy, type MemberSnapshot, stillAvailable } from "./strategy.js";

const CALLS: Measure = {
  of: (m) => m.callsInPeriod,
  label: (m) => `${m.callsInPeriod} calls in period`,
  best: "fewest calls",
  worse: "more calls than",
  reason: "fewest calls in the period",
};

export const leastCalls = defineStrategy({
  name: "leastCalls",
  select: (input) => selectBest(input, CALLS),
  selectIndexed(input) {
    const tied: MemberSnapshot[] = [...stillAvailable(input, input.index.withoutCallsIn(input.periodKey))];
    // Stryker disable next-line ConditionalExpression: byCallsIn lists only members with calls (1 or more), which never tie with a member without any, so always looking there adds nobody
    if (tied.length === 0)
      tied.push(...leadingTies(stillAvailable(input, input.index.byCallsIn(input.periodKey)), CALLS));
    return selectBestOfTied(input, tied, CALLS);
  },
});
