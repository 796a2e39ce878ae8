import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AgentBusyError,
  type AgentCommand,
  type AgentEvent,
  AgentInCooldownError,
  type AgentState,
  type AgentStatus,
  AgentUnavailableError,
  BUSY_STATUSES,
  callsInPeriod,
  decideAgent,
  evolveAgent,
  INITIAL_AGENT,
  InvalidAgentTransitionError,
  idleSeconds,
  inCooldown,
  isOfferable,
  MISSED_OFFERS_BREAK,
  StaleAgentCommandError,
} from "../src/index.js";
import { T0 } from "./support/world.js";

/**
 * The agent state machine against a model of its allowed transitions (fast-check `commands`): every command
 * is tried in every state the random sequences reach, and the decider must answer exactly what the model's
 * table says: these events, nothing (a duplicate or stale input), or this typed error. The model is written
 * from the table in the decider's documentation, not from its code.
 */

interface Model {
  now: number;
  status: AgentStatus;
  callId: string | undefined;
  idleSince: number | undefined;
  period: string;
  count: number;
  misses: number;
  cooldownUntil: number | undefined;
  breakReason: string | undefined;
}

type Outcome =
  | { readonly kind: "events"; readonly events: AgentEvent[] }
  | { readonly kind: "refused"; readonly error: abstract new (...args: never[]) => Error };

interface Real {
  state: AgentState;
}

const CALLS = ["c1", "c2"] as const;
const PERIODS = ["p1", "p2"] as const;

/** The model's answer to a command (the table), and how it moves. */
function expected(m: Model, c: AgentCommand): Outcome {
  const ev = (events: AgentEvent[]): Outcome => ({ kind: "events", events });
  const refused = (error: Extract<Outcome, { kind: "refused" }>["error"]): Outcome => ({
    kind: "refused",
    error,
  });
  const holding =
    m.status === "reserved" || m.status === "ringing" || m.status === "onCall" || m.status === "wrapUp";
  const offered =
    (m.status === "reserved" || m.status === "ringing") && "callId" in c && m.callId === c.callId;
  switch (c.type) {
    case "SignIn":
      if (m.status === "available") return ev([]);
      if (m.status === "signedOut" || m.status === "offline")
        return ev([{ type: "AgentSignedIn", data: { at: c.now } }]);
      return refused(InvalidAgentTransitionError);
    case "SignOut":
      if (m.status === "signedOut") return ev([]);
      if (m.status === "reserved" || m.status === "ringing" || m.status === "onCall")
        return refused(InvalidAgentTransitionError);
      return ev([{ type: "AgentSignedOut", data: { at: c.now } }]);
    case "StartBreak":
      if (m.status === "onBreak") return ev([]);
      if (m.status === "available" || m.status === "wrapUp")
        return ev([
          {
            type: "AgentBreakStarted",
            data: { at: c.now, ...(c.reason !== undefined ? { reason: c.reason } : {}) },
          },
        ]);
      return refused(InvalidAgentTransitionError);
    case "EndBreak":
      if (m.status === "onBreak") return ev([{ type: "AgentBreakEnded", data: { at: c.now } }]);
      return refused(InvalidAgentTransitionError);
    case "MarkOffline":
      if (m.status === "offline") return ev([]);
      if (m.status === "reserved" || m.status === "ringing" || m.status === "onCall")
        return refused(InvalidAgentTransitionError);
      return ev([{ type: "AgentWentOffline", data: { at: c.now } }]);
    case "Reserve":
      if (m.status === "available") {
        if (m.cooldownUntil !== undefined && c.now < m.cooldownUntil) return refused(AgentInCooldownError);
        return ev([{ type: "AgentReserved", data: { callId: c.callId, legId: c.legId, at: c.now } }]);
      }
      return refused(holding ? AgentBusyError : AgentUnavailableError);
    case "StartRinging":
      if (m.status === "reserved" && m.callId === c.callId)
        return ev([{ type: "AgentRinging", data: { callId: c.callId, at: c.now } }]);
      return ev([]);
    case "Answer":
      if (offered)
        return ev([{ type: "AgentAnswered", data: { callId: c.callId, at: c.now, periodKey: c.periodKey } }]);
      if (m.callId === c.callId) return ev([]);
      return refused(m.callId === undefined ? StaleAgentCommandError : AgentBusyError);
    case "Release": {
      if (!offered) return ev([]);
      const base = { callId: c.callId, at: c.now, reason: c.reason };
      if (!c.missed) return ev([{ type: "AgentReleased", data: base }]);
      const misses = m.misses + 1;
      const cooldown = c.missed.cooldownSec > 0 ? { cooldownUntil: c.now + c.missed.cooldownSec * 1000 } : {};
      const pause =
        c.missed.maxMissedOffers > 0 && misses >= c.missed.maxMissedOffers
          ? [{ type: "AgentBreakStarted" as const, data: { at: c.now, reason: MISSED_OFFERS_BREAK, misses } }]
          : [];
      return ev([{ type: "AgentReleased", data: { ...base, missed: true, misses, ...cooldown } }, ...pause]);
    }
    case "EndCall":
      if (m.status === "onCall" && m.callId === c.callId)
        return ev([
          {
            type: "AgentCallEnded",
            data: {
              callId: c.callId,
              at: c.now,
              ...(c.wrapUpSec > 0 ? { wrapUpEndsAt: c.now + c.wrapUpSec * 1000 } : {}),
            },
          },
        ]);
      return ev([]);
    case "EndWrapUp":
      if (m.status === "wrapUp" && m.callId === c.callId)
        return ev([{ type: "AgentWrapUpEnded", data: { callId: c.callId, at: c.now } }]);
      return ev([]);
  }
}

/** The model after one of its own events. */
function step(m: Model, e: AgentEvent): void {
  const available = (idleSince: number | undefined) => {
    m.status = "available";
    m.callId = undefined;
    m.idleSince = idleSince;
  };
  switch (e.type) {
    case "AgentSignedIn":
    case "AgentBreakEnded":
      available(e.data.at);
      m.misses = 0;
      m.cooldownUntil = undefined;
      m.breakReason = undefined;
      return;
    case "AgentSignedOut":
      m.status = "signedOut";
      m.callId = undefined;
      return;
    case "AgentWentOffline":
      m.status = "offline";
      m.callId = undefined;
      return;
    case "AgentBreakStarted":
      m.status = "onBreak";
      m.callId = undefined;
      m.breakReason = e.data.reason;
      return;
    case "AgentReserved":
      m.status = "reserved";
      m.callId = e.data.callId;
      return;
    case "AgentRinging":
      m.status = "ringing";
      return;
    case "AgentAnswered":
      m.status = "onCall";
      m.count = m.period === e.data.periodKey ? m.count + 1 : 1;
      m.period = e.data.periodKey;
      m.misses = 0;
      m.cooldownUntil = undefined;
      m.breakReason = undefined;
      return;
    case "AgentReleased":
      // Not answered: idle since before the offer, so idleSince stays.
      available(m.idleSince);
      if (e.data.missed) {
        m.misses = e.data.misses ?? m.misses + 1;
        m.cooldownUntil = e.data.cooldownUntil;
      }
      return;
    case "AgentCallEnded":
      if (e.data.wrapUpEndsAt !== undefined) m.status = "wrapUp";
      else available(e.data.at);
      return;
    case "AgentWrapUpEnded":
      available(e.data.at);
      return;
  }
}

/** Everything a router or the presence view reads from the state agrees with the model. */
function agree(m: Model, s: AgentState): void {
  expect(s.status).toBe(m.status);
  expect(s.callId).toBe(m.callId);
  expect(s.missedOffers ?? 0).toBe(m.misses);
  // Absent, not present-but-undefined: states travel as JSON and are compared strictly by the presence view.
  expect(s.cooldownUntil).toBe(m.cooldownUntil);
  expect(Object.hasOwn(s, "cooldownUntil")).toBe(m.cooldownUntil !== undefined);
  expect(s.breakReason).toBe(m.breakReason);
  expect(Object.hasOwn(s, "breakReason")).toBe(m.breakReason !== undefined);
  expect(Object.hasOwn(s, "callId")).toBe(m.callId !== undefined);
  expect(callsInPeriod(s, m.period)).toBe(m.period === "" ? 0 : m.count);
  for (const p of PERIODS) if (p !== m.period) expect(callsInPeriod(s, p)).toBe(0);
  expect(BUSY_STATUSES.has(s.status)).toBe(m.callId !== undefined && m.status !== "onBreak");
  if (m.status === "available") expect(s.idleSince).toBe(m.idleSince);
  for (const at of [m.now, m.now + 5_000, m.now + 60_000]) {
    const cooling = m.cooldownUntil !== undefined && at < m.cooldownUntil;
    expect(inCooldown(s, at)).toBe(cooling);
    expect(isOfferable(s, at)).toBe(m.status === "available" && !cooling);
    expect(idleSeconds(s, at)).toBe(
      m.status === "available" && m.idleSince !== undefined
        ? Math.max(0, Math.floor((at - m.idleSince) / 1000))
        : 0,
    );
  }
}

class Send implements fc.Command<Model, Real> {
  constructor(
    readonly delayMs: number,
    readonly make: (now: number) => AgentCommand,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const now = m.now + this.delayMs;
    m.now = now;
    const command = this.make(now);
    const want = expected(m, command);
    let got: AgentEvent[] | undefined;
    let error: unknown;
    try {
      got = decideAgent(command, r.state);
    } catch (e) {
      error = e;
    }
    if (want.kind === "refused") {
      expect(error, `${command.type} in ${m.status}`).toBeInstanceOf(want.error);
      expect((error as Error).name).toBe(want.error.name);
    } else {
      expect(error, `${command.type} in ${m.status}`).toBeUndefined();
      expect(got).toStrictEqual(want.events);
      for (const e of want.events) {
        step(m, e);
        r.state = evolveAgent(r.state, e);
      }
    }
    agree(m, r.state);
  }
  toString(): string {
    return JSON.stringify(this.make(this.delayMs));
  }
}

const call = fc.constantFrom(...CALLS);
const commandArb: fc.Arbitrary<Send> = fc
  .tuple(
    fc.integer({ min: 0, max: 12_000 }),
    fc.oneof(
      // Presence commands rarely, so that random runs get deep into offers and calls; the call-driven commands
      // often, with two calls: where stale and duplicate inputs happen.
      { arbitrary: fc.constant((now: number): AgentCommand => ({ type: "SignIn", now })), weight: 3 },
      { arbitrary: fc.constant((now: number): AgentCommand => ({ type: "SignOut", now })), weight: 1 },
      {
        arbitrary: fc.option(fc.constantFrom("lunch", MISSED_OFFERS_BREAK), { nil: undefined }).map(
          (reason) =>
            (now: number): AgentCommand => ({ type: "StartBreak", now, ...(reason ? { reason } : {}) }),
        ),
        weight: 1,
      },
      { arbitrary: fc.constant((now: number): AgentCommand => ({ type: "EndBreak", now })), weight: 2 },
      { arbitrary: fc.constant((now: number): AgentCommand => ({ type: "MarkOffline", now })), weight: 1 },
      {
        arbitrary: call.map(
          (callId) =>
            (now: number): AgentCommand => ({ type: "Reserve", callId, legId: `${callId}-leg`, now }),
        ),
        weight: 5,
      },
      {
        arbitrary: call.map(
          (callId) =>
            (now: number): AgentCommand => ({ type: "StartRinging", callId, now }),
        ),
        weight: 3,
      },
      {
        arbitrary: fc.tuple(call, fc.constantFrom(...PERIODS)).map(
          ([callId, periodKey]) =>
            (now: number): AgentCommand => ({ type: "Answer", callId, now, periodKey }),
        ),
        weight: 4,
      },
      {
        arbitrary: fc
          .tuple(
            call,
            fc.option(
              fc.record({
                maxMissedOffers: fc.integer({ min: 0, max: 3 }),
                cooldownSec: fc.constantFrom(0, 5, 10),
              }),
              { nil: undefined },
            ),
          )
          .map(
            ([callId, missed]) =>
              (now: number): AgentCommand => ({
                type: "Release",
                callId,
                now,
                reason: missed ? "noAnswer" : "anotherLegAnswered",
                ...(missed ? { missed } : {}),
              }),
          ),
        weight: 4,
      },
      {
        arbitrary: fc.tuple(call, fc.constantFrom(0, 0, 20)).map(
          ([callId, wrapUpSec]) =>
            (now: number): AgentCommand => ({ type: "EndCall", callId, now, wrapUpSec }),
        ),
        weight: 3,
      },
      {
        arbitrary: call.map(
          (callId) =>
            (now: number): AgentCommand => ({ type: "EndWrapUp", callId, now }),
        ),
        weight: 2,
      },
    ),
  )
  .map(([delay, make]) => new Send(delay, make));

const initialModel = (): Model => ({
  now: T0,
  status: "signedOut",
  callId: undefined,
  idleSince: undefined,
  period: "",
  count: 0,
  misses: 0,
  cooldownUntil: undefined,
  breakReason: undefined,
});

describe("agent state machine (model-based)", () => {
  it("every command in every reachable state does what the transition table says: events, nothing, or a typed refusal", () => {
    fc.assert(
      fc.property(fc.commands([commandArb], { maxCommands: 50, size: "max" }), (cmds) => {
        fc.modelRun(() => ({ model: initialModel(), real: { state: INITIAL_AGENT } }), cmds);
      }),
      { numRuns: 120 },
    );
  }, 30_000);
});
