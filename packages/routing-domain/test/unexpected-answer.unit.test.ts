// A leg that answers when the call has no use for it (no ring attempt, callback or transfer names it) is
// hung up at once instead of being connected to anyone.
import { describe, expect, it } from "vitest";
import { connectToAnn, worldWith } from "./support/fixtures.js";
import { ev } from "./support/match.js";
import { BUSINESS, CALLER, callSpec, sec } from "./support/world.js";

/** ann's leg of c1 answers at 2 s, in a history without the ring attempt's decision (no attempt lists it). */
function annAnswersUnexpected() {
  const w = worldWith({ applets: connectToAnn() });
  w.start("c1", CALLER, BUSINESS, sec(0));
  const annLeg = w.legOf("c1", "ann");
  const past = w.events("c1").filter((e) => e.type !== "RoutingDecided");
  const answered = callSpec.given(past, w.ctx()).when({ type: "LegAnswered", legId: annLeg, now: sec(2) });
  return { annLeg, answered };
}

describe("an answer nobody expects", () => {
  it("given an agent's leg the call's Connect has no record of ringing, when it answers, then it is hung up as not expected and nothing is bridged", () => {
    const { annLeg, answered } = annAnswersUnexpected();

    answered.thenIncludes([
      ev("LegAnswered", { legId: annLeg }),
      ev("LegHangupRequested", { legId: annLeg, reason: "notExpected" }),
    ]);
    expect(answered.events.map((e) => e.type)).not.toContain("LegsBridged");
  });

  it("given an agent reserved for the call whose leg answers unexpected, when it is hung up, then the agent is released, not left reserved", () => {
    const { answered } = annAnswersUnexpected();

    const ann = answered.result.agents.find((a) => a.agentId === "ann");
    expect(ann?.events).toEqual([
      { type: "AgentReleased", data: { callId: "c1", at: sec(2), reason: "notExpected" } },
    ]);
  });
});
