import { describe, expect, it } from "vitest";
import { type AgentState, INITIAL_AGENT, matchWaitingCallers, type QueueState } from "../src/index.js";

const available = (idleSince: number, extra: Partial<AgentState> = {}): AgentState => ({
  ...INITIAL_AGENT,
  status: "available",
  idleSince,
  ...extra,
});
const queue = (...callIds: string[]): QueueState => ({
  entries: callIds.map((callId, i) => ({ callId, enqueuedAt: 1_000 + i })),
});
const NOW = 10_000;

describe("matching waiting callers with idle agents", () => {
  it("pairs the longest-waiting callers with the longest-idle agents, one each", () => {
    const offers = matchWaitingCallers(
      queue("c1", "c2", "c3"),
      [
        { agentId: "ann", state: available(5_000) },
        { agentId: "bob", state: available(2_000) },
      ],
      NOW,
    );
    expect(offers).toEqual([
      { callId: "c1", agentId: "bob" },
      { callId: "c2", agentId: "ann" },
    ]);
  });

  it("skips agents who cannot be offered a call now: busy, paused, unknown or cooling down", () => {
    const offers = matchWaitingCallers(
      queue("c1", "c2"),
      [
        { agentId: "busy", state: { ...available(0), status: "onCall", callId: "x" } },
        { agentId: "paused", state: { ...available(0), status: "onBreak" } },
        { agentId: "unknown", state: undefined },
        { agentId: "cooling", state: available(0, { cooldownUntil: NOW + 1 }) },
        { agentId: "cooled", state: available(3_000, { cooldownUntil: NOW }) },
      ],
      NOW,
    );
    expect(offers).toEqual([{ callId: "c1", agentId: "cooled" }]);
  });

  it("keeps the group's member order between agents idle since the same moment", () => {
    const members = ["dee", "ann", "cat"].map((agentId) => ({ agentId, state: available(4_000) }));
    expect(matchWaitingCallers(queue("c1", "c2", "c3"), members, NOW).map((o) => o.agentId)).toEqual([
      "dee",
      "ann",
      "cat",
    ]);
  });

  it("offers nothing to an empty queue, and never more offers than callers", () => {
    const members = [{ agentId: "ann", state: available(1) }];
    expect(matchWaitingCallers(queue(), members, NOW)).toEqual([]);
    expect(
      matchWaitingCallers(queue("c1"), [...members, { agentId: "bob", state: available(2) }], NOW),
    ).toEqual([{ callId: "c1", agentId: "ann" }]);
  });
});
