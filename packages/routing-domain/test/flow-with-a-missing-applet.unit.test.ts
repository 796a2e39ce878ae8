// A flow's branch that names an applet the flow does not have (a config that bypassed validation, or an applet
// removed under a call in progress) ends the call and says which applet was missing, rather than leaving the
// caller in silence.
import { describe, expect, it } from "vitest";
import { connectToAnn, worldWith } from "./support/fixtures.js";
import { BUSINESS, CALLER, sec } from "./support/world.js";

describe("a flow with a missing applet", () => {
  it("given ann's Connect falls back to an applet that is gone, when ann's phone is busy, then the call ends naming the missing applet", () => {
    const w = worldWith({ applets: connectToAnn() });
    w.start("c1", CALLER, BUSINESS, sec(0));
    const flow = w.config.flows.main!;
    const { bye: _gone, ...applets } = flow.applets;
    w.config = { ...w.config, flows: { ...w.config.flows, main: { ...flow, applets } } };

    const d = w.run("c1", { type: "LegEnded", legId: w.legOf("c1", "ann"), reason: "busy", now: sec(2) });

    expect(d.call.events.at(-1)).toMatchObject({ type: "CallEnded", data: { reason: "unknown applet bye" } });
  });
});
