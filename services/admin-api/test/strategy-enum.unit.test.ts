import { Group, Strategy as StrategyPb } from "@switchyard/admin-proto";
import { DEFAULT_QUEUE, type GroupConfig, STRATEGIES, type Strategy } from "@switchyard/routing-domain";
import { describe, expect, it } from "vitest";
import { groupDefinitionPb, strategyFromPb } from "../src/index.js";

const group = (strategy: Strategy): GroupConfig => ({
  groupId: "g",
  name: "G",
  strategy,
  members: ["a"],
  ringTimeoutSec: 20,
  maxRingAttempts: 1,
  queue: DEFAULT_QUEUE,
});

describe("a group's strategy on the admin API", () => {
  it("given every strategy in the domain's registry, when a group using it is sent as a message and read back, then it is the same strategy under its own STRATEGY_ value", () => {
    for (const strategy of STRATEGIES) {
      const pb = Group.fromPartial(groupDefinitionPb(group(strategy))).strategy;
      expect(StrategyPb[pb]).toBe(`STRATEGY_${strategy.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`);
      expect(strategyFromPb(pb)).toBe(strategy);
    }
  });

  it("given UNSPECIFIED or a value no strategy has, when read, then it is no strategy", () => {
    expect(strategyFromPb(StrategyPb.STRATEGY_UNSPECIFIED)).toBeUndefined();
    expect(strategyFromPb(StrategyPb.UNRECOGNIZED)).toBeUndefined();
    expect(strategyFromPb(99 as StrategyPb)).toBeUndefined();
  });
});
