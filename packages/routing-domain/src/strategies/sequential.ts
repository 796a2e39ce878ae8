// Sequential: the members in their defined order, one at a time, up to `maxRingAttempts` passes over the list
// (the call's progress through its passes is kept on the call).
import {
  candidate,
  defineStrategy,
  first,
  isAvailable,
  type MemberSnapshot,
  report,
  type Selection,
  stillAvailable,
} from "./strategy.js";

const reasonFor = (pass: number, maxRingAttempts: number, agentId: string): string =>
  `pass ${pass} of ${maxRingAttempts}: ${agentId} is next in the defined order`;
const nobody = (sequential: boolean, maxRingAttempts: number): string =>
  sequential ? `all ${maxRingAttempts} passes used` : "no agent available";

export const sequential = defineStrategy({
  name: "sequential",
  select(input) {
    const { members } = input;
    const progress = input.sequential ?? { pass: 1, index: 0 };
    // Scan the rest of this pass, then (if passes remain) whole further passes. Presence is one snapshot, so
    // one extra full pass finds everything a later pass could.
    let { pass, index } = progress;
    let skippedThisPass = 0;
    while (pass <= input.maxRingAttempts) {
      if (index >= members.length) {
        pass++;
        index = 0;
        if (skippedThisPass >= members.length) break;
        skippedThisPass = 0;
        continue;
      }
      const m = members[index]!;
      if (isAvailable(m)) {
        const chosen = [m.agentId];
        return {
          chosen,
          sequential: { pass, index: index + 1 },
          candidates: report(members, chosen, (c) =>
            c.agentId === m.agentId
              ? `position ${index + 1} in the order, pass ${pass}`
              : // Stryker disable next-line EqualityOperator: c is not the chosen member, who alone is at index
                members.indexOf(c) < index
                ? "earlier in the order: already tried this pass"
                : "later in the order",
          ),
          reason: reasonFor(pass, input.maxRingAttempts, m.agentId),
        };
      }
      skippedThisPass++;
      index++;
    }
    return {
      chosen: [],
      sequential: { pass: Math.min(pass, input.maxRingAttempts + 1), index: 0 },
      exhausted: input.sequential !== undefined,
      // Stryker disable next-line ArrayDeclaration: nobody is chosen; a made-up id in the list matches no member
      candidates: report(members, [], () => "available, but every pass is used up"),
      // A first attempt scans a whole pass, so it ends here only when nobody is available.
      reason: nobody(input.sequential !== undefined, input.maxRingAttempts),
    };
  },
  selectIndexed(input) {
    const { index } = input;
    const progress = input.sequential ?? { pass: 1, index: 0 };
    const chosenAt = (m: MemberSnapshot, pass: number): Selection => {
      const position = index.positionOf(m.agentId);
      return {
        chosen: [m.agentId],
        sequential: { pass, index: position + 1 },
        candidates: [candidate(m, true, `position ${position + 1} in the order, pass ${pass}`)],
        reason: reasonFor(pass, input.maxRingAttempts, m.agentId),
      };
    };
    // The rest of this pass, then (if passes remain) one whole further pass: presence is one snapshot.
    let pass = progress.pass;
    if (pass <= input.maxRingAttempts) {
      const here = first(stillAvailable(input, index.from(progress.index)));
      if (here) return chosenAt(here, pass);
      pass++;
      if (progress.index > 0 && pass <= input.maxRingAttempts) {
        const next = first(stillAvailable(input, index.from(0)));
        if (next) return chosenAt(next, pass);
        pass++;
      }
    }
    return {
      chosen: [],
      sequential: { pass: Math.min(pass, input.maxRingAttempts + 1), index: 0 },
      exhausted: input.sequential !== undefined,
      candidates: [],
      // A first attempt looks from the start of the order, so it ends here only when nobody is available.
      reason: nobody(input.sequential !== undefined, input.maxRingAttempts),
    };
  },
});
