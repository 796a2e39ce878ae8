import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventMetrics, METRIC_ATTRS, METRICS, type ObservedEvent } from "../src/index.js";
import { type CollectedPoint, type InMemoryTelemetry, startInMemoryTelemetry } from "../src/testing.js";

// The contact-centre gauges as a projection of the whole log: what a new relay leader reports after it
// replayed the log, what a former leader reports, and that a replay counts nothing twice. The SDK keeps
// the last value an instance observed, so each test waits in its own queue.

let otel: InMemoryTelemetry;
beforeAll(() => {
  otel = startInMemoryTelemetry("event-metrics-unit");
});
afterAll(async () => {
  await otel[Symbol.asyncDispose]();
});

function value(points: readonly CollectedPoint[], name: string, attrs: Record<string, string> = {}) {
  return points.find((p) => p.name === name && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))
    ?.value;
}

const T0 = 2_000_000;
/** What an earlier leader relayed (and counted): two agents, two calls, one of them still waiting in `q`. */
const history = (q: string): ObservedEvent[] => [
  { streamId: "agent-a1", type: "AgentSignedIn", data: {} },
  { streamId: "agent-a2", type: "AgentSignedIn", data: {} },
  { streamId: "call-h1", type: "CallStarted", data: { at: T0 - 60_000 } },
  { streamId: "call-h1", type: "RoutingDecided", data: { groupId: q } },
  { streamId: "call-h1", type: "CallerEnqueued", data: { groupId: q, enqueuedAt: T0 - 50_000 } },
  { streamId: "call-h2", type: "CallStarted", data: { at: T0 - 40_000 } },
  { streamId: "call-h2", type: "CallerEnqueued", data: { groupId: q, enqueuedAt: T0 - 30_000 } },
  { streamId: "call-h2", type: "CallerDequeued", data: { groupId: q, reason: "callEnded" } },
  { streamId: "call-h2", type: "CallEnded", data: { reason: "callerHungUp" } },
  { streamId: "agent-a2", type: "AgentBreakStarted", data: {} },
];

describe("EventMetrics rebuilt from the log", () => {
  it("a replay gives the state the live feed gave, counting nothing", async () => {
    const q = "replayed";
    const now = T0;
    using live = new EventMetrics(() => now);
    // The call counters have no queue attribute: the other tests of this file count in them too, in
    // whatever order they run. What this test's feed adds is read as a difference.
    const before = await otel.metrics();
    live.observe(history(q));
    const fed = await otel.metrics();
    using rebuilt = new EventMetrics(() => now);
    rebuilt.beginRebuild();
    rebuilt.replay(history(q));
    rebuilt.endRebuild();
    // The gauges are functions of this state alone.
    expect(rebuilt.state).toEqual(live.state);
    expect(rebuilt.state.waiting.get(q)?.size).toBe(1);
    const replayed = await otel.metrics();
    for (const [name, attrs] of [
      [METRICS.callsStarted.name, {}],
      [METRICS.callsEnded.name, { reason: "callerHungUp" }],
      [METRICS.queueWait.name, { queue: q, reason: "callEnded" }],
    ] as const) {
      const added = (value(fed, name, attrs) ?? 0) - (value(before, name, attrs) ?? 0);
      expect(added, name).toBe(1 + (name === METRICS.callsStarted.name ? 1 : 0));
      expect(value(replayed, name, attrs), name).toBe(value(fed, name, attrs));
    }
  });

  it("events relayed during the rebuild wait, then count at the time they were relayed", async () => {
    const q = "rebuilt";
    let now = T0;
    using m = new EventMetrics(() => now);
    m.standBy();
    m.beginRebuild();
    // The new leader relays while it replays: h1 is offered and answered 10 s after the rebuild began.
    now += 10_000;
    m.observe([
      { streamId: "call-h1", type: "CallerDequeued", data: { groupId: q, reason: "agentOffered" } },
      { streamId: "agent-a1", type: "AgentReserved", data: {} },
      { streamId: "call-h1", type: "ConnectCompleted", data: { outcome: "answered" } },
    ]);
    const during = await otel.metrics();
    expect(m.reporting).toBe(false);
    // Nothing from a partial state: no queue yet, the answered call not counted yet.
    expect(value(during, METRICS.queueLength.name, { queue: q })).toBeUndefined();
    expect(value(during, METRICS.callOutcomes.name, { outcome: "answered", group: q })).toBeUndefined();

    m.replay(history(q));
    now += 5_000; // the replay took a while
    m.endRebuild();
    expect(m.reporting).toBe(true);
    const after = await otel.metrics();
    // The live ConnectCompleted has the group and start time only the replay knew.
    expect(value(after, METRICS.callOutcomes.name, { outcome: "answered", group: q })).toBe(1);
    const answer = after.find(
      (p) => p.name === METRICS.answerTime.name && p.attributes[METRIC_ATTRS.group] === q,
    );
    expect(answer).toMatchObject({ value: 1, sum: 70 });
    const wait = after.find(
      (p) =>
        p.name === METRICS.queueWait.name &&
        p.attributes[METRIC_ATTRS.queue] === q &&
        p.attributes[METRIC_ATTRS.reason] === "agentOffered",
    );
    expect(wait).toMatchObject({ value: 1, sum: 60 });
    expect(value(after, METRICS.queueLength.name, { queue: q })).toBe(0);
    expect(value(after, METRICS.agentsByState.name, { state: "reserved" })).toBe(1);
    expect(value(after, METRICS.agentsByState.name, { state: "onBreak" })).toBe(1);
    expect(value(after, METRICS.agentsByState.name, { state: "available" })).toBe(0);
  });

  it("a state no agent is in any more reads 0, and a former leader reports zeros", async () => {
    const q = "standby";
    const now = T0;
    using m = new EventMetrics(() => now);
    m.observe(history(q));
    m.observe([{ streamId: "agent-a1", type: "AgentReserved", data: {} }]);
    expect(value(await otel.metrics(), METRICS.agentsByState.name, { state: "reserved" })).toBe(1);
    m.observe([{ streamId: "agent-a1", type: "AgentReleased", data: {} }]);
    const released = await otel.metrics();
    expect(value(released, METRICS.agentsByState.name, { state: "reserved" })).toBe(0);
    expect(value(released, METRICS.agentsByState.name, { state: "available" })).toBe(1);
    expect(value(released, METRICS.queueLength.name, { queue: q })).toBe(1);

    // Leadership moved: the series this instance reported stay, at 0, so a sum over relays counts the
    // new leader's values once.
    m.standBy();
    const standing = await otel.metrics();
    const ours = standing.filter(
      (p) =>
        p.name === METRICS.agentsByState.name ||
        (([METRICS.queueLength.name, METRICS.queueLongestWait.name] as string[]).includes(p.name) &&
          p.attributes[METRIC_ATTRS.queue] === q),
    );
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.filter((p) => p.value !== 0)).toEqual([]);
  });
});
