import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AgentState,
  buildConfig,
  INITIAL_AGENT,
  matchWaitingCallers,
  nextCallerFor,
  positionAnnouncement,
  type QueueEvent,
  type QueueState,
  queueDecider,
} from "../src/index.js";
import { AGENTS } from "./support/world.js";

/**
 * Issue 16, the queue (queue/queue.ts): the order callers are served in does not depend on which router saw
 * them first, ties are broken the same way everywhere, and the announcement's wording at its boundaries.
 */

const available = (idleSince: number): AgentState => ({ ...INITIAL_AGENT, status: "available", idleSince });

describe("the queue's order: what callers notice", () => {
  it("callers are served by the time they queued, then by call id, whatever order the queue heard of them in", () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(
            fc.record({ callId: fc.stringMatching(/^c[0-9a-f]{1,3}$/), at: fc.integer({ min: 0, max: 4 }) }),
            {
              selector: (c) => c.callId,
              minLength: 1,
              maxLength: 12,
            },
          )
          .chain((callers) =>
            fc.tuple(fc.constant(callers), fc.shuffledSubarray(callers, { minLength: callers.length })),
          ),
        ([callers, heardInOrder]) => {
          const events: QueueEvent[] = heardInOrder.map((c) => ({
            type: "CallerQueued",
            data: { callId: c.callId, enqueuedAt: c.at },
          }));
          const state = events.reduce(queueDecider.evolve, queueDecider.initialState());
          const expected = [...callers]
            .sort((a, b) => a.at - b.at || (a.callId < b.callId ? -1 : 1))
            .map((c) => c.callId);
          expect(state.entries.map((e) => e.callId)).toEqual(expected);
        },
      ),
    );
  });

  it("a new queue is empty", () => {
    expect(queueDecider.initialState()).toEqual({ entries: [] });
  });

  it("a caller seen at the head of two queues (a lagging view) is offered through the group with the earlier id", () => {
    const config = buildConfig([
      ...AGENTS,
      {
        type: "DefineGroup",
        groupId: "b-support",
        name: "B",
        strategy: "roundRobin",
        members: ["ann"],
        queue: { enabled: true },
      },
      {
        type: "DefineGroup",
        groupId: "a-sales",
        name: "A",
        strategy: "roundRobin",
        members: ["ann"],
        queue: { enabled: true },
      },
    ]);
    const head: QueueState = { entries: [{ callId: "c1", enqueuedAt: 5 }] };
    expect(
      nextCallerFor(
        "ann",
        { "b-support": { state: head, version: 1 }, "a-sales": { state: head, version: 1 } },
        config,
      ),
    ).toEqual({ groupId: "a-sales", callId: "c1", enqueuedAt: 5 });
  });

  it("callers who queued at the same moment in two queues are served by call id", () => {
    const config = buildConfig([
      ...AGENTS,
      {
        type: "DefineGroup",
        groupId: "a",
        name: "A",
        strategy: "roundRobin",
        members: ["ann"],
        queue: { enabled: true },
      },
      {
        type: "DefineGroup",
        groupId: "b",
        name: "B",
        strategy: "roundRobin",
        members: ["ann"],
        queue: { enabled: true },
      },
    ]);
    const one = (callId: string): QueueState => ({ entries: [{ callId, enqueuedAt: 5 }] });
    expect(
      nextCallerFor(
        "ann",
        { a: { state: one("c2"), version: 1 }, b: { state: one("c1"), version: 1 } },
        config,
      ),
    ).toMatchObject({
      groupId: "b",
      callId: "c1",
    });
    expect(
      nextCallerFor(
        "ann",
        { a: { state: one("c1"), version: 1 }, b: { state: one("c2"), version: 1 } },
        config,
      ),
    ).toMatchObject({
      groupId: "a",
      callId: "c1",
    });
  });

  it("agents idle since the same moment take waiting callers in the group's member order", () => {
    const queue: QueueState = {
      entries: [
        { callId: "c1", enqueuedAt: 1 },
        { callId: "c2", enqueuedAt: 2 },
        { callId: "c3", enqueuedAt: 3 },
      ],
    };
    expect(
      matchWaitingCallers(
        queue,
        [
          { agentId: "cid", state: available(500) },
          { agentId: "ann", state: available(100) },
          { agentId: "bob", state: available(100) },
        ],
        10_000,
      ),
    ).toEqual([
      { callId: "c1", agentId: "ann" },
      { callId: "c2", agentId: "bob" },
      { callId: "c3", agentId: "cid" },
    ]);
  });

  it("the expected wait is told as less than a minute, about 1 minute, or about N minutes (rounded)", () => {
    const said = (sec: number) => positionAnnouncement(2, sec).replace("You are number 2 in the queue; ", "");
    expect(said(59)).toBe("your expected wait is less than a minute");
    expect(said(60)).toBe("your expected wait is about 1 minute");
    expect(said(89)).toBe("your expected wait is about 1 minute");
    expect(said(90)).toBe("your expected wait is about 2 minutes");
    expect(positionAnnouncement(3)).toBe("You are number 3 in the queue");
  });
});
