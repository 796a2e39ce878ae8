import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CallEvent, RoutingDecision, Strategy } from "../src/index.js";
import { group, hangup, worldWith } from "./support/fixtures.js";
import { randomWorld, rng, simulate } from "./support/simulate.js";
import { BUSINESS, CALLER, sec } from "./support/world.js";

const decisions = (events: readonly CallEvent[]): RoutingDecision[] =>
  events.flatMap((e) =>
    e.type === "RoutingDecided" && e.data.purpose === "connect" && e.data.groupId === "g" ? [e.data] : [],
  );

/** Runs random call sequences with the group forced to one strategy and returns every group routing decision. */
function decisionsFor(strategy: Strategy, seed: number) {
  const r = rng(seed);
  const { world, agents } = randomWorld(r, strategy);
  simulate(world, agents, r, { calls: 5, concurrent: 3, maxSteps: 100 });
  return { world, perCall: [...world.calls.values()].map((c) => decisions(c.events)) };
}

describe("strategy properties through the call decider (random groups, presence and call sequences)", () => {
  it("longest idle: every group decision chose an agent with the maximum idle time among the available", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        for (const d of decisionsFor("longestIdle", seed).perCall.flat()) {
          const available = d.candidates.filter((c) => c.status === "available");
          if (d.chosen.length === 0) {
            expect(available.length === 0 || d.reason.includes("already waiting")).toBe(true);
            continue;
          }
          const chosen = d.candidates.find((c) => c.agentId === d.chosen[0])!;
          expect(chosen.idleSec).toBe(Math.max(...available.map((c) => c.idleSec)));
          expect(d.configVersion).toBeGreaterThan(0);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("least calls: every group decision chose an agent with the minimum calls in the period", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        for (const d of decisionsFor("leastCalls", seed).perCall.flat()) {
          if (d.chosen.length === 0) continue;
          const available = d.candidates.filter((c) => c.status === "available");
          const chosen = d.candidates.find((c) => c.agentId === d.chosen[0])!;
          expect(chosen.callsInPeriod).toBe(Math.min(...available.map((c) => c.callsInPeriod)));
        }
      }),
      { numRuns: 60 },
    );
  });

  it("sequential: within a call no agent is rung twice in one pass, and no pass beyond maxRingAttempts", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const { world, perCall } = decisionsFor("sequential", seed);
        const max = world.config.groups.g!.maxRingAttempts;
        for (const calls of perCall) {
          const seen = new Set<string>();
          for (const d of calls) {
            if (d.chosen.length === 0) continue;
            expect(d.chosen).toHaveLength(1);
            expect(d.sequential!.pass).toBeLessThanOrEqual(max);
            const key = `${d.sequential!.pass}:${d.chosen[0]}`;
            expect(seen.has(key)).toBe(false);
            seen.add(key);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it("round-robin: with every agent always available, calls are spread evenly ±1", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 25 }),
        fc.array(fc.boolean(), { minLength: 25, maxLength: 25 }),
        (n, calls, answers) => {
          const members = ["ann", "bob", "cid", "dee"].slice(0, n);
          const w = worldWith({
            applets: {
              connect: {
                kind: "connect",
                target: { kind: "group", groupId: "g" },
                branches: { fallback: "bye" },
              },
              bye: hangup,
            },
            // Unanswered offers must leave the agent free (no autopause after missed offers).
            groups: [group("g", "roundRobin", members, { maxMissedOffers: 0 })],
          });
          const counts = new Map(members.map((m) => [m, 0]));
          for (let i = 0; i < calls; i++) {
            const id = `c${i}`;
            w.start(id, CALLER, BUSINESS, sec(i * 100));
            const [agent] = w.legsRung(id);
            counts.set(agent!, counts.get(agent!)! + 1);
            // Answered and finished, or not answered: either way the agent is free again for the next call.
            if (answers[i]) {
              w.run(id, { type: "LegAnswered", legId: w.legOf(id), now: sec(i * 100 + 5) });
              w.run(id, { type: "LegEnded", legId: w.legOf(id), reason: "hungUp", now: sec(i * 100 + 50) });
            } else {
              w.run(id, { type: "TimerFired", timerId: w.timer(id, "ringTimeout"), now: sec(i * 100 + 30) });
            }
          }
          const values = [...counts.values()];
          expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 60 },
    );
  });
});
