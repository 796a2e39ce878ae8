import { parseContactCentre } from "@switchyard/contact-centre";
import { describe, expect, it } from "vitest";
import { chaosCentre, STRATEGIES } from "../src/centre.js";
import { ChaosOptionsError } from "../src/errors.js";
import { FAULT_KINDS, faultSchedule } from "../src/schedule.js";
import { trafficPlan } from "../src/traffic.js";

const options = { seed: "s1", routers: 3, trafficMs: 120_000, faults: 12, ackWaitMs: 3_000 };

describe("the fault schedule", () => {
  it("is the same for the same seed and differs for another", () => {
    expect(faultSchedule(options)).toEqual(faultSchedule(options));
    expect(faultSchedule({ ...options, seed: "s2" })).not.toEqual(faultSchedule(options));
  });

  it("has as many faults as asked, one of each kind first, inside the traffic period, in order", () => {
    const faults = faultSchedule(options);
    expect(faults).toHaveLength(12);
    expect(new Set(faults.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    const quiet = 10_000;
    for (const [i, f] of faults.entries()) {
      expect(f.atMs).toBeGreaterThanOrEqual(quiet);
      expect(f.atMs + f.downMs).toBeLessThanOrEqual(options.trafficMs);
      if (i > 0) expect(f.atMs).toBeGreaterThan((faults[i - 1]?.atMs ?? 0) + (faults[i - 1]?.downMs ?? 0));
    }
  });

  it("stops a router for longer than its ack wait and names only processes that exist", () => {
    const faults = faultSchedule({ ...options, faults: 40, trafficMs: 600_000 });
    for (const f of faults) {
      if (f.kind === "stop-router") expect(f.downMs).toBeGreaterThan(options.ackWaitMs);
      expect(f.target).toMatch(/^(router-[0-2]|agent-presence|relay|media-gateway|nats|postgres)$/);
    }
  });

  it("refuses a period too short for its faults, and fractional counts", () => {
    expect(() => faultSchedule({ ...options, trafficMs: 0 })).toThrow(ChaosOptionsError);
    expect(() => faultSchedule({ ...options, routers: 1.5 })).toThrow(ChaosOptionsError);
    expect(faultSchedule({ ...options, faults: 0, trafficMs: 0 })).toEqual([]);
  });
});

describe("the traffic plan", () => {
  const traffic = {
    seed: "s1",
    trafficMs: 600_000,
    callsPerMinute: 60,
    numbers: ["+1", "+2"],
    holdSec: [4, 15] as const,
  };

  it("is the same for the same seed, at about the asked rate, to the given numbers", () => {
    const calls = trafficPlan(traffic);
    expect(trafficPlan(traffic)).toEqual(calls);
    expect(calls.length).toBeGreaterThan(500);
    expect(calls.length).toBeLessThan(700);
    expect(new Set(calls.map((c) => c.callId)).size).toBe(calls.length);
    for (const c of calls) {
      expect(["+1", "+2"]).toContain(c.to);
      expect(c.hangUpAfterMs).toBeGreaterThanOrEqual(4_000);
      expect(c.hangUpAfterMs).toBeLessThanOrEqual(15_000);
      expect(c.callId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });
});

describe("the chaos contact centre", () => {
  it("has one group per strategy, each on its own number, with its own agents", () => {
    const centre = chaosCentre(3);
    expect(centre.agentIds).toHaveLength(15);
    expect(centre.numbers).toHaveLength(STRATEGIES.length);
    for (const s of STRATEGIES) expect(centre.yaml).toContain(`strategy: ${s}`);
    const parsed = parseContactCentre(centre.yaml, "chaos.yaml");
    expect(Object.keys(parsed.snapshot.groups)).toHaveLength(5);
    expect(parsed.businessNumbers).toEqual(centre.numbers);
  });
});

describe("the fault schedule with periodic router kills", () => {
  const periodic = { ...options, trafficMs: 150_000, faults: 6, routerKillEveryMs: 8_000 };

  it("adds a router kill about every period between one fault of each kind, none overlapping, the same for the same seed", () => {
    const faults = faultSchedule(periodic);
    expect(faultSchedule(periodic)).toEqual(faults);
    expect(faultSchedule({ ...periodic, seed: "s2" })).not.toEqual(faults);
    expect(new Set(faults.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    const kills = faults.filter((f) => f.kind === "kill-router");
    // 130 s between the quiet start and end at one per 8 s, less those that would overlap the other five.
    expect(kills.length).toBeGreaterThanOrEqual(10);
    for (const [i, f] of faults.entries())
      if (i > 0) expect(f.atMs).toBeGreaterThan((faults[i - 1]?.atMs ?? 0) + (faults[i - 1]?.downMs ?? 0));
    expect(new Set(kills.map((k) => k.target)).size).toBe(3);
  });

  it("leaves the other faults as the seed gives them without periodic kills", () => {
    const { routerKillEveryMs: _, ...plain } = periodic;
    const base = faultSchedule(plain);
    const faults = faultSchedule(periodic);
    for (const f of base) expect(faults).toContainEqual(f);
  });

  it("refuses kills closer than 4 s", () => {
    expect(() => faultSchedule({ ...periodic, routerKillEveryMs: 2_000 })).toThrow(ChaosOptionsError);
  });
});
