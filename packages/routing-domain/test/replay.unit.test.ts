import { describe, expect, it } from "vitest";
import { type CallState, decideCall, evolveCall, foldCall, INITIAL_CALL } from "../src/index.js";
import { randomWorld, rng, simulate } from "./support/simulate.js";

describe("deterministic replay", () => {
  it("for 1,000 random calls, evolving the recorded events and re-running the recorded commands gives the same decisions", () => {
    let calls = 0;
    let steps = 0;
    for (let seed = 1; calls < 1000; seed++) {
      const r = rng(seed);
      const { world, agents } = randomWorld(r);
      simulate(world, agents, r, { calls: 4, concurrent: 2, maxSteps: 150 });
      for (const [, call] of world.calls) {
        calls++;
        // Rebuild from the stream alone: the recorded events, folded, must be the state each decision saw.
        let state: CallState = INITIAL_CALL;
        for (const step of call.steps) {
          const again = decideCall(step.command, state, step.context);
          expect(again).toEqual(step.decision);
          state = step.decision.call.events.reduce(evolveCall, state);
          steps++;
        }
        expect(foldCall(call.events)).toEqual(call.state);
        // Round-tripped through JSON (as the event store's jsonb would), the events fold to the same state.
        expect(foldCall(JSON.parse(JSON.stringify(call.events)))).toEqual(call.state);
      }
    }
    expect(calls).toBeGreaterThanOrEqual(1000);
    expect(steps).toBeGreaterThan(3000);
  });
});
