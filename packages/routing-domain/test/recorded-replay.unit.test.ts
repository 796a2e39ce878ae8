import { describe, expect, it } from "vitest";
import {
  type CallEvent,
  type CallState,
  compareDecision,
  type DecisionContext,
  decideCall,
  EMPTY_EXTERNAL_LEGS,
  evolveCall,
  INITIAL_CALL,
  type MemberIndex,
  recordingContext,
} from "../src/index.js";
import { randomWorld, rng, simulate } from "./support/simulate.js";

/** Only the entries whose keys are recorded, as a replay rebuilds them from the log. */
const only = <E>(view: Readonly<Record<string, E>>, keys: readonly string[]): Record<string, E> =>
  Object.fromEntries(keys.flatMap((k) => (view[k] === undefined ? [] : [[k, view[k]]])));

describe("replay from recorded reads", () => {
  it("given what 1,000 random calls' decisions recorded reading, when each is decided again from only that, then it decides the same", () => {
    let calls = 0;
    let steps = 0;
    for (let seed = 1; calls < 1000; seed++) {
      const r = rng(seed);
      const { world, agents } = randomWorld(r);
      simulate(world, agents, r, { calls: 4, concurrent: 2, maxSteps: 150 });
      for (const [, call] of world.calls) {
        calls++;
        let state: CallState = INITIAL_CALL;
        for (const step of call.steps) {
          const recording = recordingContext(step.context);
          const decided = decideCall(step.command, state, recording.ctx);
          const reads = recording.reads();
          expect(reads.configVersion).toBe(step.context.config.version);
          const rebuilt: DecisionContext = {
            config: step.context.config,
            presence: only(step.context.presence, Object.keys(reads.agents)),
            queues: only(step.context.queues, Object.keys(reads.queues)),
            groups: only(step.context.groups, Object.keys(reads.groups)),
          };
          for (const [id, version] of Object.entries(reads.agents))
            expect(version).toBe(step.context.presence[id]?.version);
          const again = decideCall(step.command, state, rebuilt);
          expect(again).toEqual(decided);
          expect(compareDecision(step.decision.call.events, again.call.events)).toBeUndefined();
          state = step.decision.call.events.reduce(evolveCall, state);
          steps++;
        }
      }
    }
    expect(steps).toBeGreaterThan(3000);
  });

  it("records the large groups chosen through a member index (sorted) and the external legs' version the decision read", () => {
    const { world } = randomWorld(rng(1));
    const index = { size: 0 } as unknown as MemberIndex;
    const recording = recordingContext({
      ...world.ctx(),
      memberIndex: (groupId) => (groupId === "none" ? undefined : index),
      externalLegs: () => ({ state: EMPTY_EXTERNAL_LEGS, version: 7 }),
    });
    expect(recording.reads()).not.toHaveProperty("externalLegs");
    expect(recording.ctx.memberIndex!("zeta")).toBe(index);
    expect(recording.ctx.memberIndex!("none")).toBeUndefined();
    expect(recording.ctx.memberIndex!("alpha")).toBe(index);
    expect(recording.ctx.externalLegs!().version).toBe(7);
    expect(recording.reads()).toMatchObject({ indexedGroups: ["alpha", "zeta"], externalLegs: 7 });
    // Without an index or external legs in the context, the recording adds none.
    const plain = recordingContext({ ...world.ctx(), externalLegs: undefined as never });
    expect(plain.ctx.memberIndex).toBeUndefined();
    expect(plain.reads().indexedGroups).toEqual([]);
  });

  it("compareDecision ignores key order but finds the first differing, missing or extra event", () => {
    const a: CallEvent = { type: "LegRinging", data: { legId: "l1", at: 5 } };
    const b: CallEvent = { type: "LegAnswered", data: { legId: "l1", at: 6 } };
    const reordered = JSON.parse('{"data":{"at":5,"legId":"l1"},"type":"LegRinging"}') as CallEvent;
    expect(compareDecision([a, b], [reordered, b])).toBeUndefined();
    expect(compareDecision([a, b], [a, { ...b, data: { legId: "l1", at: 7 } }])).toMatchObject({ index: 1 });
    expect(compareDecision([a, b], [a])).toEqual({ index: 1, recorded: b });
    expect(compareDecision([a], [a, b])).toEqual({ index: 1, replayed: b });
  });
});
