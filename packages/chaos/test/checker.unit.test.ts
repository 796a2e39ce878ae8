// The checker catches what it claims: each kind of violation planted in a log is reported with its streams,
// and logs the deciders themselves write are never reported.
import {
  type AgentCommand,
  type AgentEvent,
  agentDecider,
  decideAgent,
  evolveAgent,
  INITIAL_AGENT,
  type RecordedDecisionInput,
} from "@switchyard/routing-domain";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkEventLog, formatReport, type LoggedEvent, type RelayedEvent } from "../src/checker.js";
import { routedAndHungUp } from "./recorded-log.js";

type Spec = readonly [type: string, data?: unknown, cause?: string, tx?: number];

/** A stream's events, versions 1..n, each its own append unless `tx` says otherwise. */
function stream(streamId: string, specs: readonly Spec[], firstTx = 1): LoggedEvent[] {
  return specs.map(([type, data = {}, cause, tx], i) => ({
    streamId,
    streamVersion: i + 1,
    type,
    data,
    metadata: cause === undefined ? {} : { causationId: cause },
    transactionId: BigInt(tx ?? firstTx + i),
  }));
}

const leg = (callId: string) => `${callId}:leg-1`;
const callerLeg = (callId: string) => `${callId}:leg-0`;

/** A call that reached an agent and ended, as the router writes it. */
function answeredCall(callId: string, agentId: string): LoggedEvent[] {
  return stream(`call-${callId}`, [
    [
      "CallStarted",
      { callId, from: "+1", to: "+2", flowId: "f", configVersion: 1, callerLegId: callerLeg(callId), at: 1 },
    ],
    ["AppletEntered", { appletId: "c", kind: "connect", at: 1 }],
    [
      "LegOriginateRequested",
      {
        legId: leg(callId),
        role: "target",
        to: { kind: "phone", number: "+3" },
        agentId,
        callerId: "+2",
        timeoutSec: 15,
      },
    ],
    ["LegRinging", { legId: leg(callId), at: 2 }],
    ["LegAnswered", { legId: leg(callId), at: 3 }],
    ["LegsBridged", { legIds: [callerLeg(callId), leg(callId)], at: 3 }],
    ["LegHangupRequested", { legId: leg(callId), reason: "caller hung up" }],
    ["CallEnded", { reason: "caller hung up", at: 4 }],
    ["LegEnded", { legId: leg(callId), reason: "hungUp", at: 5 }],
  ]);
}

const agentServed = (agentId: string, callIds: readonly string[]): LoggedEvent[] =>
  stream(`agent-${agentId}`, [
    ["AgentSignedIn", { at: 0 }],
    ...callIds.flatMap((callId): Spec[] => [
      ["AgentReserved", { callId, legId: leg(callId), at: 1 }],
      ["AgentRinging", { callId, at: 2 }],
      ["AgentAnswered", { callId, at: 3, periodKey: "p" }],
      ["AgentCallEnded", { callId, at: 4 }],
    ]),
  ]);

describe("the invariant checker", () => {
  it("finds nothing wrong in calls and agents as the deciders write them", () => {
    const report = checkEventLog([
      ...answeredCall("a", "ana"),
      ...answeredCall("b", "ana"),
      ...agentServed("ana", ["a", "b"]),
    ]);
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({ calls: 2, callsEnded: 2, agents: 1, reservations: 2 });
  });

  it("reports an agent reserved for a second call while holding the first, with the three streams", () => {
    const agent = stream("agent-ana", [
      ["AgentSignedIn", { at: 0 }],
      ["AgentReserved", { callId: "a", legId: leg("a"), at: 1 }],
      ["AgentReserved", { callId: "b", legId: leg("b"), at: 2 }],
    ]);
    const report = checkEventLog([...answeredCall("a", "ana"), ...answeredCall("b", "ana"), ...agent]);
    expect(report.counts["double-booking"]).toBe(1);
    expect(report.violations.find((v) => v.invariant === "double-booking")?.streams).toEqual([
      "agent-ana",
      "call-a",
      "call-b",
    ]);
  });

  it("reports a call that never ended", () => {
    const started = answeredCall("a", "ana").slice(0, 6);
    const report = checkEventLog(started);
    expect(report.counts["stuck-call"]).toBe(1);
    expect(report.violations[0]?.streams).toEqual(["call-a"]);
  });

  it("reports an agent left on a call that ended, and one reserved for a call not in the log", () => {
    const onCall = stream("agent-ana", [
      ["AgentSignedIn", { at: 0 }],
      ["AgentReserved", { callId: "a", legId: leg("a"), at: 1 }],
      ["AgentAnswered", { callId: "a", at: 3, periodKey: "p" }],
    ]);
    const reserved = stream("agent-ben", [
      ["AgentSignedIn", { at: 0 }],
      ["AgentReserved", { callId: "ghost", legId: leg("ghost"), at: 1 }],
    ]);
    const report = checkEventLog([...answeredCall("a", "ana"), ...onCall, ...reserved]);
    expect(report.counts["stuck-agent"]).toBe(2);
    expect(report.violations.map((v) => v.streams)).toEqual([
      ["agent-ana", "call-a"],
      ["agent-ben", "call-ghost"],
    ]);
  });

  it("does not report an agent still reserved for a live call, nor one in wrap-up after it", () => {
    const live = answeredCall("a", "ana").slice(0, 4);
    const agent = stream("agent-ana", [
      ["AgentSignedIn", { at: 0 }],
      ["AgentReserved", { callId: "a", legId: leg("a"), at: 1 }],
    ]);
    const report = checkEventLog([...live, ...agent]);
    expect(report.counts["stuck-agent"]).toBe(0);
    expect(report.counts["stuck-call"]).toBe(1);
  });

  it("reports a stream whose versions skip one", () => {
    const call = answeredCall("a", "ana").filter((e) => e.streamVersion !== 4);
    const report = checkEventLog(call);
    expect(report.counts["version-gap"]).toBe(1);
    expect(report.violations.find((v) => v.invariant === "version-gap")?.detail).toContain("version 5");
  });

  it("reports an input whose events were appended twice (its causation id in two transactions)", () => {
    const call = stream("call-a", [
      ["CallStarted", { callId: "a", callerLegId: callerLeg("a"), at: 1 }, "m1", 10],
      ["AppletEntered", { appletId: "c", kind: "hangup", at: 1 }, "m1", 10],
      ["CallEnded", { reason: "hangup", at: 1 }, "m2", 11],
      ["LegEnded", { legId: callerLeg("a"), reason: "hungUp", at: 2 }, "m2", 12],
    ]);
    const report = checkEventLog(call);
    expect(report.counts["decided-twice"]).toBe(1);
    expect(report.violations[0]?.detail).toContain("m2");
  });

  it("reports events in an order the domain does not allow", () => {
    const call = stream("call-a", [
      ["AppletEntered", { appletId: "c", kind: "connect", at: 1 }],
      ["CallStarted", { callId: "a", callerLegId: callerLeg("a"), at: 1 }],
      ["LegAnswered", { legId: "nobody", at: 2 }],
      ["CallEnded", { reason: "x", at: 3 }],
      ["AppletEntered", { appletId: "d", kind: "hangup", at: 4 }],
    ]);
    const agent = stream("agent-ana", [
      ["AgentSignedIn", { at: 0 }],
      ["AgentAnswered", { callId: "a", at: 3, periodKey: "p" }],
    ]);
    const report = checkEventLog([...call, ...agent]);
    const order = report.violations.filter((v) => v.invariant === "disallowed-order");
    expect(order.map((v) => v.detail)).toEqual([
      "v1 AppletEntered: before CallStarted",
      "v3 LegAnswered: leg nobody was never originated",
      "v5 AppletEntered: after CallEnded",
      "v2 AgentAnswered while available",
    ]);
  });

  it("prints a count per invariant and each violation with its streams", () => {
    const report = checkEventLog(answeredCall("a", "ana").slice(0, 3));
    const text = formatReport(report).join("\n");
    expect(text).toContain("1  stuck-call");
    expect(text).toContain("0  double-booking");
    expect(text).toContain("stuck-call [call-a]");
  });

  const commands: fc.Arbitrary<AgentCommand> = fc.oneof(
    fc.constantFrom<AgentCommand>(
      { type: "SignIn", now: 1 },
      { type: "SignOut", now: 1 },
      { type: "StartBreak", now: 1 },
      { type: "EndBreak", now: 1 },
      { type: "MarkOffline", now: 1 },
    ),
    fc.constantFrom("a", "b").chain((callId) =>
      fc.constantFrom<AgentCommand>(
        { type: "Reserve", callId, legId: leg(callId), now: 1 },
        { type: "StartRinging", callId, now: 1 },
        { type: "Answer", callId, now: 1, periodKey: "p" },
        {
          type: "Release",
          callId,
          now: 1,
          reason: "noAnswer",
          missed: { maxMissedOffers: 2, cooldownSec: 0 },
        },
        { type: "Release", callId, now: 1, reason: "callEnded" },
        { type: "EndCall", callId, now: 1, wrapUpSec: 5 },
        { type: "EndCall", callId, now: 1, wrapUpSec: 0 },
        { type: "EndWrapUp", callId, now: 1 },
      ),
    ),
  );

  it("accepts every agent stream the agent decider can write (its transition table matches the decider's)", () => {
    fc.assert(
      fc.property(fc.array(commands, { maxLength: 40 }), (cmds) => {
        let state = agentDecider.initialState();
        const events: AgentEvent[] = [];
        for (const c of cmds) {
          try {
            for (const e of decideAgent(c, state)) {
              events.push(e);
              state = evolveAgent(state, e);
            }
          } catch {
            // A refused command writes nothing.
          }
        }
        const report = checkEventLog(
          stream(
            "agent-ana",
            events.map((e) => [e.type, e.data]),
          ),
        );
        expect(report.violations.filter((v) => v.invariant !== "stuck-agent")).toEqual([]);
      }),
    );
  });

  it("reports a reservation planted into any agent stream while the agent holds another call", () => {
    fc.assert(
      fc.property(fc.array(commands, { maxLength: 30 }), (cmds) => {
        let state = INITIAL_AGENT;
        const specs: Spec[] = [];
        let planted = false;
        for (const c of cmds) {
          try {
            for (const e of decideAgent(c, state)) {
              specs.push([e.type, e.data]);
              state = evolveAgent(state, e);
            }
          } catch {
            // refused: nothing written
          }
          if (!planted && state.callId !== undefined && state.status !== "wrapUp") {
            const other = state.callId === "a" ? "b" : "a";
            specs.push(["AgentReserved", { callId: other, legId: leg(other), at: 9 }]);
            planted = true;
            break;
          }
        }
        fc.pre(planted);
        expect(checkEventLog(stream("agent-ana", specs)).counts["double-booking"]).toBe(1);
      }),
    );
  });
});

describe("the invariant checker's replay of call decisions", () => {
  it("given a call routed and hung up by the call decider, when checked, then each decision is re-decided and matches", () => {
    const { log } = routedAndHungUp();
    const report = checkEventLog(log.events);
    expect(report.violations).toEqual([]);
    expect(report.decisions).toEqual({ replayed: 2, matched: 2, notRecorded: 0, notReplayable: 0 });
    expect(log.stream("call-c1").some((e) => e.type === "LegOriginateRequested")).toBe(true);
  });

  it("given a recorded decision's event changed (another agent rung), when checked, then a replay mismatch names the call", () => {
    const { log } = routedAndHungUp();
    const planted = log.events.map((e) =>
      e.type === "LegOriginateRequested"
        ? { ...e, data: { ...(e.data as object), agentId: "somebody-else" } }
        : e,
    );
    const report = checkEventLog(planted);
    expect(report.counts["replay-mismatch"]).toBe(1);
    const v = report.violations.find((x) => x.invariant === "replay-mismatch");
    expect(v?.streams[0]).toBe("call-c1");
    expect(v?.detail).toContain("StartCall");
    expect(v?.detail).toContain("different data");
  });

  it("given a decision's recorded reads changed (the agent as it was before signing in), when checked, then the replay decides otherwise and says so", () => {
    const { log } = routedAndHungUp();
    const planted = log.events.map((e) => {
      const input = e.metadata.decisionInput as RecordedDecisionInput | undefined;
      if (input?.command.type !== "StartCall") return e;
      const agents = Object.fromEntries(Object.keys(input.reads.agents).map((a) => [a, 0]));
      return {
        ...e,
        metadata: { ...e.metadata, decisionInput: { ...input, reads: { ...input.reads, agents } } },
      };
    });
    const report = checkEventLog(planted);
    expect(report.counts["replay-mismatch"]).toBe(1);
    expect(report.violations[0]?.streams).toContain("call-c1");
  });

  it("given a decision that read a version the log does not hold, when checked, then it is a replay mismatch", () => {
    const { log } = routedAndHungUp();
    const planted = log.events.map((e) => {
      const input = e.metadata.decisionInput as RecordedDecisionInput | undefined;
      if (input?.command.type !== "StartCall") return e;
      return {
        ...e,
        metadata: {
          ...e.metadata,
          decisionInput: { ...input, reads: { ...input.reads, configVersion: 999 } },
        },
      };
    });
    const report = checkEventLog(planted);
    expect(report.counts["replay-mismatch"]).toBe(1);
    expect(report.violations[0]?.detail).toContain("config version 999 is not in the log");
  });
});

describe("the invariant checker against the JetStream EVENTS stream", () => {
  it("given every event relayed once, when checked, then nothing is reported", () => {
    const { log } = routedAndHungUp();
    const report = checkEventLog(log.events, { bus: log.relayed() });
    expect(report.violations).toEqual([]);
    expect(report.busMessages).toBe(log.events.length);
  });

  it("given an event missing from the bus, when checked, then it is a lost event with its stream", () => {
    const { log } = routedAndHungUp();
    const bus = log.relayed().filter((m) => m.streamId !== "agent-g1a0" || m.version !== 2);
    const report = checkEventLog(log.events, { bus });
    expect(report.counts["lost-event"]).toBe(1);
    expect(report.violations[0]).toMatchObject({ invariant: "lost-event", streams: ["agent-g1a0"] });
    expect(report.violations[0]?.detail).toContain("v2 AgentReserved");
  });

  it("given an event on the bus twice (one message id at two sequences), when checked, then it is a duplicated event", () => {
    const { log } = routedAndHungUp();
    const bus = log.relayed();
    const again = { ...(bus[20] as RelayedEvent), streamSequence: bus.length + 1 };
    const report = checkEventLog(log.events, { bus: [...bus, again] });
    expect(report.counts["duplicated-event"]).toBe(1);
    expect(report.violations[0]?.streams).toEqual([again.streamId]);
    expect(report.violations[0]?.detail).toContain(`#21 (message id ${again.msgId}), #${bus.length + 1}`);
  });

  it("given a message PostgreSQL does not hold, or holds otherwise, when checked, then each is a phantom event", () => {
    const { log } = routedAndHungUp();
    const bus = log.relayed();
    const stranger: RelayedEvent = {
      streamSequence: bus.length + 1,
      msgId: "evt-x",
      id: "evt-x",
      streamId: "call-ghost",
      version: 1,
    };
    const moved = { ...(bus[3] as RelayedEvent), version: 99 };
    const report = checkEventLog(log.events, { bus: [...bus.slice(0, 3), moved, ...bus.slice(4), stranger] });
    expect(report.counts["phantom-event"]).toBe(2);
    expect(report.violations.map((v) => v.streams[0]).sort()).toEqual(["call-ghost", moved.streamId].sort());
  });

  it("prints the replay and bus counts", () => {
    const { log } = routedAndHungUp();
    const text = formatReport(checkEventLog(log.events, { bus: log.relayed() })).join("\n");
    expect(text).toContain("call decisions re-decided: 2 (2 match)");
    expect(text).toContain(`JetStream EVENTS: ${log.events.length} messages compared with the log`);
    expect(text).toContain("0  lost-event");
    expect(text).toContain("0  replay-mismatch");
  });
});
