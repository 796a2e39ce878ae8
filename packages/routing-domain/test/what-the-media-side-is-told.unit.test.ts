// What the media side is told, checked over random calls: the call's own picture of who hears hold music,
// who is bridged and who is the connected agent must match the commands it sent, or it will later stop music
// nobody hears, leave a caller hearing music forever, or hand a transfer a leg that is gone.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CallEvent, CallState } from "../src/index.js";
import { randomWorld, rng, simulate } from "./support/simulate.js";

/** The media side's view, built from the call's events alone: legs playing hold music, bridged pair, ended legs. */
function mediaView(events: readonly CallEvent[]) {
  const music = new Set<string>();
  const ended = new Set<string>();
  let bridge: readonly string[] | undefined;
  const problems: string[] = [];
  for (const e of events) {
    switch (e.type) {
      case "HoldMusicStarted":
        if (ended.has(e.data.legId)) problems.push(`hold music started on ended leg ${e.data.legId}`);
        music.add(e.data.legId);
        break;
      case "HoldMusicStopped":
        if (!music.has(e.data.legId)) problems.push(`hold music stopped on ${e.data.legId}, which had none`);
        music.delete(e.data.legId);
        break;
      case "LegsBridged":
        for (const l of e.data.legIds)
          if (music.has(l)) problems.push(`${l} bridged while still hearing hold music`);
        bridge = e.data.legIds;
        break;
      case "LegsUnbridged":
        bridge = undefined;
        break;
      case "LegEnded":
        ended.add(e.data.legId);
        music.delete(e.data.legId);
        if (bridge?.includes(e.data.legId)) bridge = undefined;
        break;
      default:
        break;
    }
  }
  return { music, ended, bridge, problems };
}

function checkCall(state: CallState, events: readonly CallEvent[]): void {
  const view = mediaView(events);
  expect(view.problems).toEqual([]);
  // The call's state agrees with what the media side was told.
  expect([...state.holdMusic].sort()).toEqual([...view.music].sort());
  expect(state.bridge).toEqual(view.bridge);
  // The connected agent is a leg still on the line.
  if (state.agentLegId !== undefined) expect(view.ended.has(state.agentLegId)).toBe(false);
}

describe("what the media side is told (random groups, presence and call sequences)", () => {
  it("hold music is stopped only where it plays, nobody is bridged while hearing it, and the call's state agrees with the media side after every step", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const r = rng(seed);
        const { world, agents } = randomWorld(r);
        simulate(world, agents, r, {
          calls: 4,
          concurrent: 2,
          maxSteps: 100,
          afterStep: () => {
            for (const [, c] of world.calls) checkCall(c.state, c.events);
          },
        });
      }),
      { numRuns: 80 },
    );
  });
});
