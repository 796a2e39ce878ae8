import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AgentStatus,
  BUSY_STATUSES,
  type MemberSnapshot,
  nextCallerFor,
  type QueueView,
  type SequentialProgress,
  selectAgents,
} from "../src/index.js";
import { randomWorld, rng, simulate } from "./support/simulate.js";

const STATUSES: AgentStatus[] = [
  "signedOut",
  "available",
  "onBreak",
  "offline",
  "reserved",
  "ringing",
  "onCall",
  "wrapUp",
];

const memberArb = (id: string) =>
  fc.record({
    agentId: fc.constant(id),
    status: fc.constantFrom<AgentStatus>(...STATUSES),
    idleMs: fc.integer({ min: 0, max: 100_000 }),
    callsInPeriod: fc.integer({ min: 0, max: 6 }),
  });
const membersArb = fc
  .integer({ min: 1, max: 8 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => memberArb(`agent-${i}`))))
  .map((ms): MemberSnapshot[] => ms.map((m) => (m.status === "available" ? m : { ...m, idleMs: 0 })));

describe("strategy properties", () => {
  it("no agent is ever in two calls or reserved twice (random groups, presence and call sequences)", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const r = rng(seed);
        const { world, agents } = randomWorld(r);
        simulate(world, agents, r, {
          calls: 6,
          concurrent: 3,
          maxSteps: 120,
          afterStep: () => {
            // An ended call holds nothing: every leg is gone or being torn down.
            for (const [, c] of world.calls) {
              if (c.state.status !== "ended") continue;
              for (const l of Object.values(c.state.legs)) {
                expect(["originating", "ringing", "answered"].includes(l.status) && l.role !== "caller").toBe(
                  false,
                );
              }
            }
            for (const agentId of agents) {
              const holding = [...world.calls].filter(([, c]) =>
                Object.values(c.state.legs).some(
                  (l) =>
                    l.agentId === agentId &&
                    (l.status === "originating" || l.status === "ringing" || l.status === "answered"),
                ),
              );
              expect(holding.length).toBeLessThanOrEqual(1);
              const st = world.presence[agentId]?.state;
              if (holding.length === 1) {
                expect(st && BUSY_STATUSES.has(st.status) && st.callId === holding[0]![0]).toBe(true);
              }
              // And the converse: an agent held for one of our calls has a live leg in it (nobody leaks).
              if (st?.callId?.startsWith("call") && st.status !== "wrapUp" && BUSY_STATUSES.has(st.status)) {
                expect(holding.map(([id]) => id)).toEqual([st.callId]);
                expect(world.callState(st.callId!).status).toBe("active");
              }
            }
          },
        });
        // Reservations on each agent stream strictly alternate with releases/ends.
        const open = new Map<string, string>();
        for (const { agentId, event } of world.agentEvents) {
          if (event.type === "AgentReserved") {
            expect(open.has(agentId)).toBe(false);
            open.set(agentId, event.data.callId);
          } else if (event.type === "AgentReleased" || event.type === "AgentCallEnded") {
            open.delete(agentId);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it("round-robin with every agent always available gives every agent the same number of calls ±1", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 60 }),
        fc.string(),
        (n, calls, seed) => {
          const members = Array.from(
            { length: n },
            (_, i): MemberSnapshot => ({
              agentId: `a${i}`,
              status: "available",
              idleMs: 0,
              callsInPeriod: 0,
            }),
          );
          const counts = new Map<string, number>(members.map((m) => [m.agentId, 0]));
          let cursor: string | undefined;
          for (let i = 0; i < calls; i++) {
            const result = selectAgents({
              strategy: "roundRobin",
              members,
              seed,
              maxRingAttempts: 1,
              ...(cursor ? { cursor } : {}),
            });
            const [chosen] = result.chosen;
            counts.set(chosen!, counts.get(chosen!)! + 1);
            cursor = result.cursor;
          }
          const values = [...counts.values()];
          expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it("longest idle always picks an agent with the maximum idle time", () => {
    fc.assert(
      fc.property(membersArb, fc.string(), (members, seed) => {
        const result = selectAgents({ strategy: "longestIdle", members, seed, maxRingAttempts: 1 });
        const available = members.filter((m) => m.status === "available");
        if (available.length === 0) {
          expect(result.chosen).toEqual([]);
          return;
        }
        const chosen = members.find((m) => m.agentId === result.chosen[0])!;
        expect(chosen.status).toBe("available");
        expect(chosen.idleMs).toBe(Math.max(...available.map((m) => m.idleMs)));
        // Deterministic: the same input gives the same decision, tie-break recorded when there was a tie.
        expect(selectAgents({ strategy: "longestIdle", members, seed, maxRingAttempts: 1 })).toEqual(result);
        const tied = available.filter((m) => m.idleMs === chosen.idleMs).length;
        expect(result.tieBreak !== undefined).toBe(tied > 1);
      }),
    );
  });

  it("least calls always picks an agent with the minimum count and, among those, the longest idle", () => {
    fc.assert(
      fc.property(membersArb, fc.string(), (members, seed) => {
        const result = selectAgents({ strategy: "leastCalls", members, seed, maxRingAttempts: 1 });
        const available = members.filter((m) => m.status === "available");
        if (available.length === 0) {
          expect(result.chosen).toEqual([]);
          return;
        }
        const chosen = members.find((m) => m.agentId === result.chosen[0])!;
        expect(chosen.status).toBe("available");
        expect(chosen.callsInPeriod).toBe(Math.min(...available.map((m) => m.callsInPeriod)));
        const asFew = available.filter((m) => m.callsInPeriod === chosen.callsInPeriod);
        expect(chosen.idleMs).toBe(Math.max(...asFew.map((m) => m.idleMs)));
        const tied = asFew.filter((m) => m.idleMs === chosen.idleMs).length;
        expect(result.tieBreak !== undefined).toBe(tied > 1);
      }),
    );
  });

  it("simultaneous ring rings exactly the available agents", () => {
    fc.assert(
      fc.property(membersArb, (members) => {
        const result = selectAgents({ strategy: "simultaneous", members, seed: "s", maxRingAttempts: 1 });
        expect(result.chosen).toEqual(members.filter((m) => m.status === "available").map((m) => m.agentId));
      }),
    );
  });

  it("sequential never rings an agent twice in one pass and stops after maxRingAttempts passes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), { minLength: 40, maxLength: 40 }),
        (n, maxRingAttempts, availability) => {
          let progress: SequentialProgress | undefined;
          const rung: Array<{ pass: number; agentId: string }> = [];
          for (let step = 0; step < availability.length; step++) {
            // Presence may change between attempts.
            const members = Array.from(
              { length: n },
              (_, i): MemberSnapshot => ({
                agentId: `a${i}`,
                status: availability[step]![i] ? "available" : "onCall",
                idleMs: 0,
                callsInPeriod: 0,
              }),
            );
            const result = selectAgents({
              strategy: "sequential",
              members,
              seed: "s",
              maxRingAttempts,
              ...(progress ? { sequential: progress } : {}),
            });
            if (result.chosen.length === 0) break;
            expect(result.chosen).toHaveLength(1);
            rung.push({ pass: result.sequential!.pass, agentId: result.chosen[0]! });
            progress = result.sequential;
          }
          expect(rung.length).toBeLessThanOrEqual(n * maxRingAttempts);
          for (const { pass } of rung) expect(pass).toBeLessThanOrEqual(maxRingAttempts);
          const keys = rung.map((x) => `${x.pass}:${x.agentId}`);
          expect(new Set(keys).size).toBe(keys.length);
          // Within a pass, the defined order is followed.
          for (let i = 1; i < rung.length; i++) {
            if (rung[i]!.pass === rung[i - 1]!.pass)
              expect(rung[i]!.agentId > rung[i - 1]!.agentId).toBe(true);
          }
        },
      ),
    );
  });

  it("a freed agent always takes the longest-waiting caller among the highest-priority queues it serves", () => {
    const groupIds = ["g0", "g1", "g2", "g3"];
    fc.assert(
      fc.property(
        fc.tuple(
          ...groupIds.map(() =>
            fc.record({
              enabled: fc.boolean(),
              member: fc.boolean(),
              priority: fc.integer({ min: 0, max: 2 }),
              waits: fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 4 }),
            }),
          ),
        ),
        (specs) => {
          const groups = Object.fromEntries(
            specs.map((s, i) => [
              groupIds[i]!,
              {
                groupId: groupIds[i]!,
                name: groupIds[i]!,
                strategy: "roundRobin" as const,
                members: s.member ? ["free", "other"] : ["other"],
                ringTimeoutSec: 30,
                maxRingAttempts: 1,
                queue: {
                  enabled: s.enabled,
                  holdMusic: { kind: "defaultTone" as const },
                  announcePosition: false,
                  announceEverySec: 30,
                  maxWaitSec: 300,
                  maxSize: 10,
                  priority: s.priority,
                },
              },
            ]),
          );
          const queues: QueueView = Object.fromEntries(
            specs.map((s, i) => [
              groupIds[i]!,
              {
                version: s.waits.length,
                state: {
                  entries: s.waits
                    .map((w, j) => ({ callId: `${groupIds[i]}-c${j}`, enqueuedAt: w }))
                    .sort((a, b) => a.enqueuedAt - b.enqueuedAt || (a.callId < b.callId ? -1 : 1)),
                },
              },
            ]),
          );
          const pick = nextCallerFor("free", queues, { groups });
          const serving = specs.filter((s) => s.enabled && s.member && s.waits.length > 0);
          const top = Math.max(...serving.map((s) => s.priority));
          const eligible = serving.flatMap((s) => (s.priority === top ? s.waits : []));
          if (eligible.length === 0) {
            expect(pick).toBeUndefined();
            return;
          }
          expect(pick?.enqueuedAt).toBe(Math.min(...eligible));
          const g = groups[pick!.groupId]!;
          expect(g.queue.enabled && g.members.includes("free")).toBe(true);
          expect(g.queue.priority).toBe(top);
        },
      ),
    );
  });
});
