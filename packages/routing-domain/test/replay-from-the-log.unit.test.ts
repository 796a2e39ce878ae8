// Re-deciding a call from the event log (the admin API's ReplayCall and `switchyard check`): what a support
// engineer is told when a call's history is replayed — every decision matches, or exactly which event of
// which decision differs and why.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  agentStreamId,
  CONFIG_STREAM,
  EXTERNAL_LEGS_STREAM,
  type LogEvent,
  queueStreamId,
  ReadNotInLogError,
  type RecordedDecisionInput,
  ReplayLog,
  replayCallDecisions,
  storedDecisions,
  streamsReadBy,
} from "../src/index.js";
import { connectToGroup, group } from "./support/fixtures.js";
import { LoggedWorld } from "./support/logged-world.js";
import { randomWorld, rng, simulate } from "./support/simulate.js";
import { AGENTS, BUSINESS, CALLER, sec } from "./support/world.js";

/** ann and bob in "sales" (queue on); c1 rings ann, c2 queues, ann answers c1 and hangs up, c2 gets her. */
function history(): LoggedWorld {
  const w = new LoggedWorld([
    ...AGENTS,
    group("sales", "longestIdle", ["ann"], { queue: { enabled: true, maxWaitSec: 300 } }),
    {
      type: "DefineFlow",
      flow: {
        flowId: "main",
        name: "Main",
        start: "connect",
        applets: connectToGroup("sales"),
      },
    },
    { type: "DefineNumber", number: BUSINESS, flowId: "main" },
  ]);
  w.signIn(["ann"]);
  w.start("c1", CALLER, BUSINESS, sec(1));
  w.start("c2", CALLER, BUSINESS, sec(2));
  w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(5) });
  w.run("c1", { type: "LegEnded", legId: w.callState("c1").callerLegId, reason: "hungUp", now: sec(60) });
  w.agent("ann", { type: "EndWrapUp", callId: "c1", now: sec(70) });
  w.run("c2", { type: "OfferAgent", agentId: "ann", now: sec(70) });
  return w;
}

/** The call's log with one decision's events changed by `edit` (the n-th decision, from 0). */
function edited(
  events: readonly LogEvent[],
  n: number,
  edit: (events: LogEvent[]) => LogEvent[],
): LogEvent[] {
  const decisions = storedDecisions(events);
  return decisions.flatMap((d, i) => (i === n ? edit([...d.events]) : d.events));
}

describe("replaying a call from the event log", () => {
  it("given random calls written to a log, when each call's decisions are replayed from the log alone, then every one matches", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const r = rng(seed);
        const { world, agents } = randomWorld(r, undefined, (commands) => new LoggedWorld(commands));
        simulate(world, agents, r, { calls: 3, concurrent: 2, maxSteps: 60 });
        const log = new ReplayLog((id) => world.log().get(id));
        for (const [callId, events] of world.callLogs) {
          const outcomes = replayCallDecisions(events, log);
          expect(outcomes.length).toBe(
            world.calls.get(callId)!.steps.filter((s) => s.decision.call.events.length > 0).length,
          );
          expect(outcomes.filter((o) => o.result !== "match")).toEqual([]);
          // The streams a replay must load are the ones the decisions read, and the log has each of them.
          const streams = streamsReadBy(storedDecisions(events));
          expect(streams).toContain(CONFIG_STREAM);
          expect(streams).toEqual([...streams].sort());
          // (The external legs' stream may be read before it has events: at version 0, its empty state.)
          for (const id of streams) expect(world.log().has(id) || id === EXTERNAL_LEGS_STREAM, id).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("a decision whose recorded event has other data is a mismatch that names the event, its version and the replayed event", () => {
    const w = history();
    const events = w.callLogs.get("c1")!;
    // The first decision: CallStarted, AppletEntered, RoutingDecided, ...; change the CallStarted's caller.
    const tampered = edited(events, 0, ([first, ...rest]) => [
      { ...first!, data: { ...(first!.data as object), from: "+15550000000" } },
      ...rest,
    ]);
    const [first, ...rest] = replayCallDecisions(tampered, new ReplayLog((id) => w.log().get(id)));
    expect(first).toMatchObject({
      result: "mismatch",
      note: "event 1 of the decision (CallStarted, version 1) has different data",
      difference: { index: 0, replayed: { type: "CallStarted", data: { from: CALLER } } },
    });
    // Later decisions are replayed over the recorded history, mismatch or not.
    expect(rest.map((o) => o.result)).toEqual(rest.map(() => "match"));
  });

  it("names an event the replay did not decide, one it decided in addition, and one of another type", () => {
    const w = history();
    const events = w.callLogs.get("c1")!;
    const log = new ReplayLog((id) => w.log().get(id));
    const last = storedDecisions(events)[0]!.events.at(-1)!;
    const extra: LogEvent = {
      ...last,
      streamVersion: last.streamVersion + 1,
      type: "LegRinging",
      data: { legId: "x", at: 1 },
    };
    const more = replayCallDecisions(
      edited(events, 0, (es) => [...es, extra]),
      log,
    )[0]!;
    expect(more.result).toBe("mismatch");
    expect(more.note).toMatch(
      /^the replay decided (\d+) events, (\d+) were recorded: LegRinging \(version \d+\) is missing$/,
    );
    const [, decided, recorded] = /decided (\d+) events, (\d+) were/.exec(more.note)!;
    expect(Number(recorded)).toBe(Number(decided) + 1);
    expect(more.difference).toEqual({ index: storedDecisions(events)[0]!.events.length });

    const fewer = replayCallDecisions(
      edited(events, 0, (es) => es.slice(0, -1)),
      log,
    )[0]!;
    expect(fewer.result).toBe("mismatch");
    expect(fewer.note).toBe(
      `the replay decided ${storedDecisions(events)[0]!.events.length} events, ${storedDecisions(events)[0]!.events.length - 1} were recorded: it adds ${last.type}`,
    );
    expect(fewer.difference).toMatchObject({
      index: storedDecisions(events)[0]!.events.length - 1,
      replayed: { type: last.type },
    });

    const other = replayCallDecisions(
      edited(events, 0, ([e, ...es]) => [{ ...e!, type: "CallEnded", data: { reason: "x", at: 1 } }, ...es]),
      log,
    )[0]!;
    expect(other.note).toBe("event 1 of the decision: recorded CallEnded, replayed CallStarted");
  });

  it("a decision stored without its input is reported as not recorded; one chosen through a member index as not replayable", () => {
    const w = history();
    const events = w.callLogs.get("c1")!;
    const withoutInput = edited(events, 1, ([e, ...es]) => [
      { ...e!, metadata: { causationId: e!.metadata.causationId } },
      ...es,
    ]);
    const outcomes = replayCallDecisions(withoutInput, new ReplayLog((id) => w.log().get(id)));
    expect(outcomes[1]).toMatchObject({ result: "not-recorded", note: "no decision input recorded" });
    expect(outcomes[0]!.result).toBe("match");
    expect(outcomes[2]!.result).toBe("match");

    const indexed = edited(events, 0, ([e, ...es]) => {
      const input = e!.metadata.decisionInput as RecordedDecisionInput;
      return [
        {
          ...e!,
          metadata: {
            ...e!.metadata,
            decisionInput: { ...input, reads: { ...input.reads, indexedGroups: ["big", "sales"] } },
          },
        },
        ...es,
      ];
    });
    expect(replayCallDecisions(indexed, new ReplayLog((id) => w.log().get(id)))[0]).toMatchObject({
      result: "not-replayable",
      note: "chosen through the member index of big, sales",
    });
  });

  it("a decision that read a stream version or config version the log does not hold is a mismatch saying which", () => {
    const w = history();
    const events = w.callLogs.get("c1")!;
    const reading = (patch: (input: RecordedDecisionInput) => RecordedDecisionInput) =>
      edited(events, 0, ([e, ...es]) => [
        {
          ...e!,
          metadata: {
            ...e!.metadata,
            decisionInput: patch(e!.metadata.decisionInput as RecordedDecisionInput),
          },
        },
        ...es,
      ]);
    const agentVersion = w.log().get(agentStreamId("ann"))!.length;
    const tooFar = reading((i) => ({
      ...i,
      reads: { ...i.reads, agents: { ...i.reads.agents, ann: agentVersion + 5 } },
    }));
    expect(replayCallDecisions(tooFar, new ReplayLog((id) => w.log().get(id)))[0]).toEqual(
      expect.objectContaining({
        result: "mismatch",
        note: `the StartCall could not be decided again: agent-ann has ${agentVersion} events, the decision read version ${agentVersion + 5}`,
        difference: { index: 0 },
      }),
    );
    const noConfig = reading((i) => ({ ...i, reads: { ...i.reads, configVersion: 999 } }));
    expect(replayCallDecisions(noConfig, new ReplayLog((id) => w.log().get(id)))[0]!.note).toBe(
      "the StartCall could not be decided again: config version 999 is not in the log",
    );
  });

  it("a stream read at an earlier version after a later one gives that earlier state (states are kept per version)", () => {
    const w = history();
    const log = new ReplayLog((id) => w.log().get(id));
    const annEvents = w.log().get(agentStreamId("ann"))!.length;
    const at = (version: number) =>
      log.contextAt({
        command: { type: "QueueChanged", now: 0 },
        reads: {
          configVersion: 0,
          agents: { ann: version },
          queues: { sales: 1 },
          groups: {},
          indexedGroups: [],
        },
      });
    const late = at(annEvents).presence.ann!;
    const early = at(1).presence.ann!;
    expect(late.version).toBe(annEvents);
    expect(early).toEqual({ state: expect.objectContaining({ status: "available" }), version: 1 });
    expect(late.state).not.toEqual(early.state);
    expect(at(1).queues.sales!.state.entries).toHaveLength(1);
    expect(at(1).config.version).toBe(0);
    expect(() => log.config(999)).toThrow(ReadNotInLogError);
    // Every config version the log went through can be read back.
    const versions = w.log().get(CONFIG_STREAM)!.length;
    expect(log.config(w.config.version)).toEqual(w.config);
    expect(versions).toBeGreaterThan(0);
    // A stream the log does not have reads as empty: version 0 is its initial state, any later one is not there.
    const empty = new ReplayLog(() => undefined);
    expect(
      empty.contextAt({
        command: { type: "QueueChanged", now: 0 },
        reads: { configVersion: 0, agents: { zed: 0 }, queues: {}, groups: {}, indexedGroups: [] },
      }).presence.zed!.state.status,
    ).toBe("signedOut");
    expect(() =>
      empty.contextAt({
        command: { type: "QueueChanged", now: 0 },
        reads: { configVersion: 0, agents: { zed: 1 }, queues: {}, groups: {}, indexedGroups: [] },
      }),
    ).toThrow("agent-zed has 0 events, the decision read version 1");
  });

  it("splits a call's events into decisions by causation id, and lists the streams they read", () => {
    const w = history();
    const events = w.callLogs.get("c2")!;
    const decisions = storedDecisions(events);
    expect(decisions.map((d) => d.events.length).reduce((a, b) => a + b, 0)).toBe(events.length);
    for (const d of decisions) {
      expect(new Set(d.events.map((e) => e.metadata.causationId))).toEqual(new Set([d.causationId]));
      expect(d.input).toBe(d.events[0]!.metadata.decisionInput);
    }
    expect(new Set(decisions.map((d) => d.causationId)).size).toBe(decisions.length);
    expect(streamsReadBy(decisions)).toEqual(
      [agentStreamId("ann"), CONFIG_STREAM, queueStreamId("sales")].sort(),
    );
    // Events without a causation id are one decision each, named after their version; no input, no reads.
    const bare = events.map((e) => ({ ...e, metadata: {} }));
    expect(storedDecisions(bare).map((d) => d.causationId)).toEqual(
      events.map((e) => `event-${e.streamVersion}`),
    );
    expect(streamsReadBy(storedDecisions(bare))).toEqual([]);
  });
});
