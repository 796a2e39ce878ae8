// Round-Robin: the next available member after the one offered the group's previous call (the cursor, kept
// in the group's state), wrapping round the member list.
import {
  candidate,
  defineStrategy,
  first,
  isAvailable,
  type MemberSnapshot,
  noneAvailable,
  noneIndexed,
  report,
  stillAvailable,
} from "./strategy.js";

const reasonFor = (cursor: string | undefined, agentId: string): string =>
  `next in rotation after ${cursor ?? "(start of list)"}: ${agentId}`;
const PICKED = "next available after the previous call's agent";

export const roundRobin = defineStrategy({
  name: "roundRobin",
  keepsCursor: true,
  select(input) {
    const { members } = input;
    if (!members.some(isAvailable)) return noneAvailable(input);
    const start = input.cursor === undefined ? 0 : members.findIndex((m) => m.agentId === input.cursor) + 1;
    let pick: MemberSnapshot | undefined;
    // Stryker disable next-line EqualityOperator,ConditionalExpression: someone is available (checked above), so the pick is always made within the first members.length steps; the bound never ends the loop
    for (let i = 0; i < members.length && !pick; i++) {
      const m = members[(start + i) % members.length]!;
      if (isAvailable(m)) pick = m;
    }
    const chosen = [pick!.agentId];
    return {
      chosen,
      cursor: pick!.agentId,
      candidates: report(members, chosen, (m) =>
        m.agentId === pick!.agentId ? PICKED : "available, later in rotation",
      ),
      reason: reasonFor(input.cursor, pick!.agentId),
    };
  },
  selectIndexed(input) {
    const { index } = input;
    const start = input.cursor === undefined ? 0 : index.positionOf(input.cursor) + 1;
    const pick =
      first(stillAvailable(input, index.from(start))) ?? first(stillAvailable(input, index.from(0)));
    if (!pick) return noneIndexed(input);
    return {
      chosen: [pick.agentId],
      cursor: pick.agentId,
      candidates: [candidate(pick, true, PICKED)],
      reason: reasonFor(input.cursor, pick.agentId),
    };
  },
});
