// The presence index of a large group lists exactly the available members, in the orders the indexed
// strategies expect, after any sequence of presence changes.
import { type AgentState, type AgentStatus, INITIAL_AGENT } from "@switchyard/routing-domain";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GroupMemberIndex } from "../src/member-index.js";

const IDS = Array.from({ length: 8 }, (_, i) => `m${i}`);
const change = fc.record({
  agent: fc.constantFrom(...IDS),
  status: fc.constantFrom<AgentStatus>("available", "available", "onCall", "onBreak", "reserved"),
  idleSince: fc.option(fc.constantFrom(10, 20, 20, 30), { nil: undefined }),
  periodKey: fc.constantFrom("2026-11-29", "2026-11-30", ""),
  count: fc.integer({ min: 0, max: 3 }),
  gone: fc.boolean(),
  // A decision reads the calls order between changes, in this period or another (the period turns).
  look: fc.option(fc.constantFrom("2026-11-29", "2026-11-30"), { nil: undefined }),
});

describe("group member index", () => {
  it("matches a scan of the latest states after random changes", () => {
    fc.assert(
      fc.property(
        fc.array(change, { maxLength: 40 }),
        fc.constantFrom("2026-11-30", "2026-11-29"),
        (changes, p) => {
          const index = new GroupMemberIndex(IDS);
          const latest = new Map<string, AgentState | undefined>();
          for (const c of changes) {
            const state: AgentState | undefined = c.gone
              ? undefined
              : {
                  ...INITIAL_AGENT,
                  status: c.status,
                  calls: { periodKey: c.periodKey, count: c.count },
                  ...(c.idleSince !== undefined ? { idleSince: c.idleSince } : {}),
                };
            index.update(c.agent, state);
            latest.set(c.agent, state);
            if (c.look !== undefined) index.byCallsIn(c.look);
          }
          const available = IDS.filter((id) => latest.get(id)?.status === "available");
          const idle = (id: string) => latest.get(id)?.idleSince ?? Number.POSITIVE_INFINITY;
          const pos = (id: string) => IDS.indexOf(id);
          expect([...index.from(0)]).toEqual(available);
          expect([...index.from(3)]).toEqual(available.filter((id) => pos(id) >= 3));
          expect([...index.byIdle()]).toEqual(
            [...available].sort((a, b) => idle(a) - idle(b) || pos(a) - pos(b)),
          );
          const calls = (id: string) => {
            const c = latest.get(id)!.calls;
            return c.periodKey === p ? c.count : 0;
          };
          const byCalls = [...available].sort(
            (a, b) => calls(a) - calls(b) || idle(a) - idle(b) || pos(a) - pos(b),
          );
          expect([...index.byCallsIn(p)]).toEqual(byCalls);
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);
});
