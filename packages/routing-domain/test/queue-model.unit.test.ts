import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AgentState,
  type AgentStatus,
  decideQueue,
  EMPTY_QUEUE,
  evolveQueue,
  INITIAL_AGENT,
  matchWaitingCallers,
  nextCallerFor,
  positionOf,
  type QueueCommand,
  type QueueEntry,
  QueueFullError,
  type QueueState,
  type QueueView,
  queueDecider,
} from "../src/index.js";

/**
 * Queues against a model: a plain list kept sorted by (time queued, call id). Whoever queued first is served
 * first, whatever order the events arrive in (a caller re-queued after a missed offer comes back with their
 * original time and so their original place); a full queue refuses; leaving or re-joining twice changes nothing.
 */

const CALLS = ["c1", "c2", "c3", "c4", "c5"];
const byTime = (a: QueueEntry, b: QueueEntry) =>
  a.enqueuedAt - b.enqueuedAt || (a.callId < b.callId ? -1 : a.callId > b.callId ? 1 : 0);

const commandArb: fc.Arbitrary<QueueCommand> = fc.oneof(
  fc.record({
    type: fc.constant("Enqueue" as const),
    callId: fc.constantFrom(...CALLS),
    // Few distinct times: ties are common, and the call id must break them.
    enqueuedAt: fc.integer({ min: 0, max: 4 }),
    maxSize: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({
    type: fc.constant("Leave" as const),
    callId: fc.constantFrom(...CALLS),
    reason: fc.constantFrom("agentOffered" as const, "maxWait" as const, "callerHungUp" as const),
    at: fc.integer({ min: 0, max: 9 }),
  }),
);

describe("queue (model-based)", () => {
  it("first queued, first served: the queue is always the model's sorted list, positions count from 1", () => {
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 40 }), (commands) => {
        let model: QueueEntry[] = [];
        let state: QueueState = EMPTY_QUEUE;
        for (const c of commands) {
          const queued = model.some((e) => e.callId === c.callId);
          if (c.type === "Enqueue" && !queued && model.length >= c.maxSize) {
            expect(() => decideQueue(c, state)).toThrow(QueueFullError);
            continue;
          }
          const events = decideQueue(c, state);
          if (c.type === "Enqueue") {
            expect(events).toStrictEqual(
              queued ? [] : [{ type: "CallerQueued", data: { callId: c.callId, enqueuedAt: c.enqueuedAt } }],
            );
            if (!queued) model = [...model, { callId: c.callId, enqueuedAt: c.enqueuedAt }].sort(byTime);
          } else {
            expect(events).toStrictEqual(
              queued
                ? [{ type: "CallerLeftQueue", data: { callId: c.callId, reason: c.reason, at: c.at } }]
                : [],
            );
            model = model.filter((e) => e.callId !== c.callId);
          }
          state = events.reduce(evolveQueue, state);
          expect(state.entries).toStrictEqual(model);
          for (const id of CALLS) {
            const i = model.findIndex((e) => e.callId === id);
            expect(positionOf(state, id)).toBe(i < 0 ? undefined : i + 1);
          }
        }
      }),
    );
  });

  it("a queue stream starts empty", () => {
    expect(queueDecider.initialState()).toStrictEqual({ entries: [] });
  });

  it("a full queue names its size in the refusal", () => {
    const full: QueueState = { entries: [{ callId: "c1", enqueuedAt: 1 }] };
    expect(() => decideQueue({ type: "Enqueue", callId: "c2", enqueuedAt: 2, maxSize: 1 }, full)).toThrow(
      expect.objectContaining({ name: "QueueFullError", maxSize: 1 }),
    );
  });

  it("a freed agent is offered the longest-waiting caller among the queues it serves (ties: group id, call id)", () => {
    const queueArb = fc
      .uniqueArray(fc.constantFrom(...CALLS), { maxLength: 3 })
      .chain((ids) =>
        fc.tuple(
          ...ids.map((callId) =>
            fc.integer({ min: 0, max: 3 }).map((enqueuedAt) => ({ callId, enqueuedAt })),
          ),
        ),
      )
      .map((entries): QueueState => ({ entries: [...entries].sort(byTime) }));
    const groupArb = fc.record({
      enabled: fc.boolean(),
      serves: fc.boolean(),
      queue: queueArb,
    });
    fc.assert(
      fc.property(
        fc.tuple(groupArb, groupArb, groupArb),
        fc.constantFrom<AgentStatus>("available", "onCall"),
        fc.boolean(),
        (gs, status, cooling) => {
          // Group ids in reverse of their declaration order: the tie-break is by id, not by order.
          const ids = ["gz", "gm", "ga"];
          const groups = Object.fromEntries(
            gs.map((g, i) => [
              ids[i]!,
              { groupId: ids[i]!, members: g.serves ? ["x", "ann"] : ["x"], queue: { enabled: g.enabled } },
            ]),
          );
          const queues: QueueView = Object.fromEntries(
            gs.map((g, i) => [ids[i]!, { state: g.queue, version: 1 }]),
          );
          const config = { groups } as unknown as Parameters<typeof nextCallerFor>[2];
          const heads = gs
            .map((g, i) => ({ groupId: ids[i]!, g }))
            .filter(({ g }) => g.enabled && g.serves && g.queue.entries.length > 0)
            .map(({ groupId, g }) => ({ groupId, ...g.queue.entries[0]! }))
            .sort(
              (a, b) =>
                a.enqueuedAt - b.enqueuedAt ||
                (a.groupId < b.groupId ? -1 : 1) ||
                (a.callId < b.callId ? -1 : 1),
            );
          const best = heads.reduce<(typeof heads)[number] | undefined>(
            (acc, h) => (!acc || byTime(h, acc) < 0 ? h : acc),
            undefined,
          );
          expect(nextCallerFor("ann", queues, config)).toStrictEqual(best);
          const agent: AgentState = { ...INITIAL_AGENT, status, ...(cooling ? { cooldownUntil: 50 } : {}) };
          const offerable = status === "available" && !cooling;
          expect(nextCallerFor("ann", queues, config, { state: agent, now: 10 })).toStrictEqual(
            offerable ? best : undefined,
          );
          // Once the cooldown is over the agent is offered the caller again.
          expect(nextCallerFor("ann", queues, config, { state: agent, now: 50 })).toStrictEqual(
            status === "available" ? best : undefined,
          );
        },
      ),
    );
  });

  it("waiting callers are paired in order with the longest-idle offerable members (ties: member order)", () => {
    const memberArb = fc.record({
      status: fc.constantFrom<AgentStatus | undefined>(
        "available",
        "available",
        "onCall",
        "onBreak",
        undefined,
      ),
      idleSince: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      cooling: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...CALLS), { maxLength: 4 }),
        fc.array(memberArb, { maxLength: 5 }),
        (callIds, ms) => {
          const queue: QueueState = { entries: callIds.map((callId, i) => ({ callId, enqueuedAt: i })) };
          const members = ms.map((m, i) => ({
            agentId: `m${i}`,
            state:
              m.status === undefined
                ? undefined
                : ({
                    ...INITIAL_AGENT,
                    status: m.status,
                    ...(m.idleSince !== undefined ? { idleSince: m.idleSince } : {}),
                    ...(m.cooling ? { cooldownUntil: 100 } : {}),
                  } as AgentState),
          }));
          const idle = members
            .map((m, order) => ({ ...m, order }))
            .filter((m) => m.state?.status === "available" && m.state.cooldownUntil === undefined)
            .sort((a, b) => (a.state!.idleSince ?? 0) - (b.state!.idleSince ?? 0) || a.order - b.order);
          const expected = callIds
            .slice(0, idle.length)
            .map((callId, i) => ({ callId, agentId: idle[i]!.agentId }));
          expect(matchWaitingCallers(queue, members, 10)).toStrictEqual(expected);
          // After the cooldown every available member can be paired.
          const later = members.filter((m) => m.state?.status === "available").length;
          expect(matchWaitingCallers(queue, members, 100)).toHaveLength(Math.min(later, callIds.length));
        },
      ),
    );
  });
});
