// A call back goes wrong in three ways a caller and an agent notice differently: the agent's phone does not take
// the ring (the caller keeps their place, no attempt used), the customer's line fails, or the agent leaves while it rings.
import { describe, expect, it } from "vitest";
import { customerLeg, dialling, requested } from "./support/callback-world.js";
import { ev } from "./support/match.js";
import { callSpec, sec } from "./support/world.js";

describe("a call back that goes wrong", () => {
  it("given a callback ringing the agent first, when the agent's phone answers busy, then the caller is back at their place and no callback attempt is used", () => {
    const w = requested();
    w.agent("ann", { type: "Release", callId: "x-ann", now: sec(100), reason: "done" });
    w.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(100) });
    const busy = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.legOf("c1", "ann"), reason: "busy", now: sec(104) });

    busy.thenIncludes([ev("CallerEnqueued", { groupId: "sales", enqueuedAt: sec(1) })]);
    expect(busy.events.map((e) => e.type)).not.toContain("CallbackAttemptFailed");
  });

  it("given the customer's line is being dialled, when it answers busy, then the failed attempt names the customer's line", () => {
    const w = dialling();
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: customerLeg(w), reason: "busy", now: sec(108) })
      .thenIncludes([ev("CallbackAttemptFailed", { attempt: 1, reason: "the customer's line: busy" })]);
  });

  it("given the customer's line is being dialled, when the agent hangs up, then the failed attempt says the agent left", () => {
    const w = dialling();
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.legOf("c1", "ann"), reason: "hungUp", now: sec(108) })
      .thenIncludes([
        ev("LegCancelRequested", { legId: customerLeg(w) }),
        ev("CallbackAttemptFailed", { attempt: 1, reason: "the agent left (hungUp)" }),
      ]);
  });
});
