import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AgentState,
  type AgentStatus,
  INITIAL_AGENT,
  type MemberSnapshot,
  memberSnapshots,
  type PresenceView,
  rankTies,
  type Strategy,
  type StrategyResult,
  selectAgents,
} from "../src/index.js";

/**
 * "Why this agent": every candidate's reason, and the decision's reason, are what an operator reads when a
 * call went somewhere unexpected. Checked for every strategy over random groups against the wording below,
 * written from the README's examples, so a reason that names the wrong agent, measure or pass fails.
 */

const SKIP: Record<Exclude<AgentStatus, "available"> | "unknown", string> = {
  reserved: "skipped: already reserved for another call",
  ringing: "skipped: already ringing for another call",
  onCall: "skipped: on a call",
  wrapUp: "skipped: in wrap-up",
  signedOut: "skipped: signed out",
  onBreak: "skipped: on break",
  offline: "skipped: offline",
  unknown: "skipped: no presence known",
};
const STATUSES = [...Object.keys(SKIP), "available", "available", "available"] as Array<
  AgentStatus | "unknown"
>;

const memberArb = (agentId: string): fc.Arbitrary<MemberSnapshot> =>
  fc
    .record({
      status: fc.constantFrom(...STATUSES),
      idleSec: fc.integer({ min: 0, max: 5 }),
      extraMs: fc.integer({ min: 0, max: 999 }),
      calls: fc.integer({ min: 0, max: 3 }),
      cooling: fc.boolean(),
    })
    .map(({ status, idleSec, extraMs, calls, cooling }) => ({
      agentId,
      status,
      idleMs: status === "available" ? idleSec * 1000 + extraMs : 0,
      callsInPeriod: calls,
      ...(status === "available" && cooling ? { cooldownUntil: 1_000_000 + idleSec } : {}),
    }));
const membersArb = fc
  .integer({ min: 1, max: 6 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => memberArb(`a${i}`))));

const offerable = (m: MemberSnapshot) => m.status === "available" && m.cooldownUntil === undefined;
const skip = (m: MemberSnapshot) =>
  m.status === "available" ? `skipped: cooldown after missed offer until ${m.cooldownUntil}` : SKIP[m.status];

// The strategies whose wording these properties spell out (a new strategy brings its own tests).
const COVERED = ["simultaneous", "roundRobin", "longestIdle", "leastCalls", "sequential"] as const;
type Covered = (typeof COVERED)[number] & Strategy;

/** Least Calls: another offerable member had as few calls as the winner but had idled less. */
const leastCallsIdleDecided = (members: MemberSnapshot[], w: MemberSnapshot): boolean =>
  members.some((m) => offerable(m) && m.callsInPeriod === w.callsInPeriod && m.idleMs !== w.idleMs);

/** The reason each candidate should carry, given who won. */
function expectedReasons(strategy: Covered, members: MemberSnapshot[], r: StrategyResult): string[] {
  const winner = r.chosen[0];
  const w = members.find((m) => m.agentId === winner);
  const label = (m: MemberSnapshot) =>
    strategy === "longestIdle"
      ? `idle ${Math.floor(m.idleMs / 1000)}s`
      : `${m.callsInPeriod} calls in period`;
  const tied = r.tieBreak?.ranked.map((t) => t.agentId) ?? [];
  const wIndex = members.findIndex((m) => m.agentId === winner);
  return members.map((m, i): string => {
    if (!offerable(m)) return skip(m);
    switch (strategy) {
      case "simultaneous":
        return "available: rung with everyone available";
      case "roundRobin":
        return m.agentId === winner
          ? "next available after the previous call's agent"
          : "available, later in rotation";
      case "longestIdle":
        if (m.agentId === winner) return `${label(m)}: longest idle`;
        if (tied.includes(m.agentId)) return `${label(m)}: tied, lost the seeded tie-break`;
        return `${label(m)}: idle less than ${winner} (${label(w!)})`;
      case "leastCalls": {
        // Fewest calls, then idle the longest; the label shows idle time when it decided.
        if (m.callsInPeriod !== w!.callsInPeriod)
          return `${label(m)}: more calls than ${winner} (${label(w!)})`;
        const idleDecided = leastCallsIdleDecided(members, w!);
        const idle = (x: MemberSnapshot) => `idle ${Math.floor(x.idleMs / 1000)}s`;
        const shown = idleDecided ? `${label(m)}, ${idle(m)}` : label(m);
        if (m.agentId === winner) return `${shown}: fewest calls${idleDecided ? ", idle longest" : ""}`;
        if (m.idleMs === w!.idleMs) return `${shown}: tied, lost the seeded tie-break`;
        return `${shown}: as few calls as ${winner}, idle less (${idle(w!)})`;
      }
      default:
        if (winner === undefined) return "available, but every pass is used up";
        if (m.agentId === winner) return `position ${i + 1} in the order, pass ${r.sequential!.pass}`;
        return i < wIndex ? "earlier in the order: already tried this pass" : "later in the order";
    }
  });
}

function expectedDecisionReason(
  strategy: Covered,
  members: MemberSnapshot[],
  r: StrategyResult,
  cursor?: string,
): string {
  const n = members.filter(offerable).length;
  const winner = r.chosen[0];
  if (strategy === "simultaneous")
    return n > 0 ? `ring all ${n} available agents at once` : "no agent available";
  if (n === 0) return "no agent available";
  switch (strategy) {
    case "roundRobin":
      return `next in rotation after ${cursor ?? "(start of list)"}: ${winner}`;
    case "longestIdle":
    case "leastCalls":
      return (
        `${winner} has the ${strategy === "longestIdle" ? "longest idle time" : "fewest calls in the period"}` +
        (strategy === "leastCalls" &&
        leastCallsIdleDecided(members, members.find((m) => m.agentId === winner)!)
          ? " and, of those with as few, the longest idle time"
          : "") +
        (r.tieBreak
          ? ` (tie among ${r.tieBreak.ranked
              .map((t) => t.agentId)
              .sort()
              .join(", ")} broken by seeded hash)`
          : "")
      );
    case "sequential":
      return `pass ${r.sequential!.pass} of 2: ${winner} is next in the defined order`;
  }
}

describe("why this agent (properties)", () => {
  for (const strategy of COVERED) {
    it(`${strategy}: every candidate is reported with its status, idle seconds, calls, whether chosen and the right reason`, () => {
      fc.assert(
        fc.property(
          membersArb,
          fc.option(fc.constantFrom("a0", "a2", "a5"), { nil: undefined }),
          fc.string(),
          (members, cur, seed) => {
            const cursor = strategy === "roundRobin" ? cur : undefined;
            const r = selectAgents({
              strategy,
              members,
              seed,
              maxRingAttempts: 2,
              ...(cursor ? { cursor } : {}),
            });
            expect(r.strategy).toBe(strategy);
            expect(r.candidates.map((c) => c.agentId)).toEqual(members.map((m) => m.agentId));
            r.candidates.forEach((c, i) => {
              const m = members[i]!;
              expect(c.status).toBe(m.status);
              expect(c.idleSec).toBe(Math.floor(m.idleMs / 1000));
              expect(c.callsInPeriod).toBe(m.callsInPeriod);
              expect(c.chosen).toBe(r.chosen.includes(m.agentId));
            });
            expect(r.candidates.map((c) => c.reason)).toEqual(expectedReasons(strategy, members, r));
            expect(r.reason).toBe(expectedDecisionReason(strategy, members, r, cursor));
            // Nobody who cannot be offered a call is ever chosen.
            for (const id of r.chosen) expect(offerable(members.find((m) => m.agentId === id)!)).toBe(true);
            if (strategy === "roundRobin") {
              if (r.chosen.length > 0) expect(r.cursor).toBe(r.chosen[0]);
              else expect(r.cursor).toBe(cursor);
              expect(Object.hasOwn(r, "cursor")).toBe(r.chosen.length > 0 || cursor !== undefined);
            }
            if (r.tieBreak) {
              expect(r.tieBreak).toEqual(
                rankTies(
                  seed,
                  r.tieBreak.ranked.map((t) => t.agentId),
                ),
              );
              expect(r.chosen).toEqual([r.tieBreak.ranked[0]!.agentId]);
            }
          },
        ),
      );
    });
  }

  it("sequential, on a retry: the next offerable agent after the last one tried, then further passes, then exhausted", () => {
    fc.assert(
      fc.property(
        membersArb,
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(6),
        (members, max, pass, at) => {
          const index = Math.min(at, members.length);
          const r = selectAgents({
            strategy: "sequential",
            members,
            seed: "s",
            maxRingAttempts: max,
            sequential: { pass, index },
          });
          // The oracle: the rest of this pass, then whole passes while any remain.
          const order: Array<{ i: number; pass: number }> = [];
          for (let i = index; i < members.length; i++) order.push({ i, pass });
          for (let p = pass + 1; p <= max; p++)
            for (let i = 0; i < members.length; i++) order.push({ i, pass: p });
          const next = pass <= max ? order.find(({ i }) => offerable(members[i]!)) : undefined;
          if (next) {
            const m = members[next.i]!;
            expect(r.chosen).toEqual([m.agentId]);
            expect(r.sequential).toEqual({ pass: next.pass, index: next.i + 1 });
            expect(r.exhausted).toBeUndefined();
            expect(r.reason).toBe(`pass ${next.pass} of ${max}: ${m.agentId} is next in the defined order`);
            // On a retry an available agent before the one chosen was already tried in this pass.
            expect(r.candidates.map((c) => c.reason)).toEqual(
              members.map((c, i) =>
                !offerable(c)
                  ? skip(c)
                  : i === next.i
                    ? `position ${i + 1} in the order, pass ${next.pass}`
                    : i < next.i
                      ? "earlier in the order: already tried this pass"
                      : "later in the order",
              ),
            );
          } else {
            expect(r.chosen).toEqual([]);
            expect(r.exhausted).toBe(true);
            expect(r.reason).toBe(`all ${max} passes used`);
            for (const [i, c] of r.candidates.entries()) {
              const m = members[i]!;
              expect(c.reason).toBe(offerable(m) ? "available, but every pass is used up" : skip(m));
            }
            expect(r.sequential?.index).toBe(0);
            expect(r.sequential!.pass).toBeLessThanOrEqual(max + 1);
          }
        },
      ),
    );
  });

  it("sequential, first attempt with nobody offerable: no agent, the progress says pass 2 and it is not yet exhausted", () => {
    const members: MemberSnapshot[] = ["a0", "a1"].map((agentId) => ({
      agentId,
      status: "onBreak",
      idleMs: 0,
      callsInPeriod: 0,
    }));
    const r = selectAgents({ strategy: "sequential", members, seed: "s", maxRingAttempts: 3 });
    expect(r).toMatchObject({
      chosen: [],
      sequential: { pass: 2, index: 0 },
      exhausted: false,
      reason: "no agent available",
    });
  });

  it("memberSnapshots: what the strategies see of an agent's presence at a given instant", () => {
    const now = 1_000_000;
    const stateArb: fc.Arbitrary<AgentState> = fc
      .record({
        status: fc.constantFrom<AgentStatus>("available", "onBreak", "onCall", "signedOut"),
        idleAgoMs: fc.option(fc.integer({ min: -2000, max: 90_000 }), { nil: undefined }),
        cooldownInMs: fc.option(fc.integer({ min: -5000, max: 5000 }), { nil: undefined }),
        period: fc.constantFrom("p", "q"),
        count: fc.integer({ min: 0, max: 4 }),
      })
      .map(({ status, idleAgoMs, cooldownInMs, period, count }) => ({
        ...INITIAL_AGENT,
        status,
        calls: { periodKey: period, count },
        ...(idleAgoMs !== undefined ? { idleSince: now - idleAgoMs } : {}),
        ...(cooldownInMs !== undefined ? { cooldownUntil: now + cooldownInMs } : {}),
      }));
    fc.assert(
      fc.property(fc.array(stateArb, { maxLength: 4 }), (states) => {
        const presence: PresenceView = Object.fromEntries(
          states.map((state, i) => [`a${i}`, { state, version: 1 }]),
        );
        const ids = [...states.map((_, i) => `a${i}`), "ghost"];
        const snaps = memberSnapshots(ids, presence, now, "p");
        expect(snaps.at(-1)).toStrictEqual({
          agentId: "ghost",
          status: "unknown",
          idleMs: 0,
          callsInPeriod: 0,
        });
        states.forEach((s, i) => {
          const available = s.status === "available";
          const cooling = available && s.cooldownUntil !== undefined && now < s.cooldownUntil;
          expect(snaps[i]).toStrictEqual({
            agentId: `a${i}`,
            status: s.status,
            idleMs: available && s.idleSince !== undefined ? Math.max(0, now - s.idleSince) : 0,
            callsInPeriod: s.calls.periodKey === "p" ? s.calls.count : 0,
            ...(cooling ? { cooldownUntil: s.cooldownUntil } : {}),
          });
        });
      }),
    );
  });
});
