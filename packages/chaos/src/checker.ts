// The invariant checker: reads an event log (the PostgreSQL record of truth, nothing else) and reports every
// broken invariant with the streams involved. Pure: the log comes in as data, so any deployment's log, a
// chaos run's, or a hand-planted one can be checked the same way.
import {
  type AgentEvent,
  type AgentState,
  type AgentStatus,
  type CallEvent,
  type CallState,
  evolveAgent,
  evolveCall,
  INITIAL_AGENT,
  INITIAL_CALL,
} from "@switchyard/routing-domain";

/** The part of a recorded event the checker reads. */
export interface LoggedEvent {
  readonly streamId: string;
  readonly streamVersion: number;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: { readonly causationId?: string };
  /** The writing transaction: events of one append share it. */
  readonly transactionId: bigint;
}

export const INVARIANTS = [
  "double-booking",
  "stuck-call",
  "stuck-agent",
  "version-gap",
  "decided-twice",
  "disallowed-order",
] as const;
export type Invariant = (typeof INVARIANTS)[number];

const TITLES: Record<Invariant, string> = {
  "double-booking": "agents reserved for two calls at once",
  "stuck-call": "calls without CallEnded",
  "stuck-agent": "agents reserved/ringing/on a call with no live call",
  "version-gap": "streams whose versions are not 1..n",
  "decided-twice": "inputs decided twice (a causation id in two appends of a stream)",
  "disallowed-order": "events in an order the domain does not allow",
};

export interface Violation {
  readonly invariant: Invariant;
  /** Stream ids involved (the agent's, and the calls'). */
  readonly streams: readonly string[];
  readonly detail: string;
}

export interface CheckReport {
  readonly events: number;
  readonly calls: number;
  readonly callsEnded: number;
  readonly agents: number;
  readonly reservations: number;
  readonly violations: readonly Violation[];
  readonly counts: Readonly<Record<Invariant, number>>;
}

const CALL = "call-";
const AGENT = "agent-";

export function checkEventLog(log: Iterable<LoggedEvent>): CheckReport {
  const streams = new Map<string, LoggedEvent[]>();
  let events = 0;
  for (const e of log) {
    events++;
    const s = streams.get(e.streamId);
    if (s) s.push(e);
    else streams.set(e.streamId, [e]);
  }
  const violations: Violation[] = [];
  const callStates = new Map<string, CallState>();
  let reservations = 0;
  let agents = 0;
  for (const [streamId, list] of streams) {
    list.sort((a, b) => a.streamVersion - b.streamVersion);
    violations.push(...versionGaps(streamId, list), ...decidedTwice(streamId, list));
    if (streamId.startsWith(CALL)) {
      const { state, problems } = replayCall(streamId, list);
      callStates.set(streamId.slice(CALL.length), state);
      violations.push(...problems);
    }
  }
  const ended = (callId: string | undefined) =>
    callId === undefined || callStates.get(callId)?.status !== "active";
  for (const [streamId, list] of streams) {
    if (!streamId.startsWith(AGENT)) continue;
    agents++;
    const { state, problems, reserved } = replayAgent(streamId, list);
    reservations += reserved;
    violations.push(...problems);
    if (HOLDING.has(state.status) && ended(state.callId))
      violations.push({
        invariant: "stuck-agent",
        streams: [streamId, ...(state.callId ? [`${CALL}${state.callId}`] : [])],
        detail: `left ${state.status} for call ${state.callId ?? "(none)"}, which is ${state.callId && callStates.has(state.callId) ? "ended" : "not in the log"}`,
      });
  }
  let callsEnded = 0;
  for (const [callId, state] of callStates) {
    if (state.status === "ended") callsEnded++;
    else
      violations.push({
        invariant: "stuck-call",
        streams: [`${CALL}${callId}`],
        detail: `no CallEnded after ${state.version} events`,
      });
  }
  const counts = Object.fromEntries(INVARIANTS.map((i) => [i, 0])) as Record<Invariant, number>;
  for (const v of violations) counts[v.invariant]++;
  return { events, calls: callStates.size, callsEnded, agents, reservations, violations, counts };
}

/** Statuses in which an agent must be tied to a live call (wrap-up ends by its own timer after the call). */
const HOLDING: ReadonlySet<AgentStatus> = new Set(["reserved", "ringing", "onCall"]);

function versionGaps(streamId: string, list: readonly LoggedEvent[]): Violation[] {
  const bad = list.findIndex((e, i) => e.streamVersion !== i + 1);
  if (bad < 0) return [];
  return [
    {
      invariant: "version-gap",
      streams: [streamId],
      detail: `event ${bad + 1} of ${list.length} has version ${list[bad]?.streamVersion}`,
    },
  ];
}

/** Events of one decision share a causation id and one append; the same id in two appends is a re-decision. */
function decidedTwice(streamId: string, list: readonly LoggedEvent[]): Violation[] {
  const appends = new Map<string, Set<bigint>>();
  for (const e of list) {
    const cause = e.metadata.causationId;
    if (cause === undefined) continue;
    const txs = appends.get(cause) ?? new Set<bigint>();
    txs.add(e.transactionId);
    appends.set(cause, txs);
  }
  return [...appends]
    .filter(([, txs]) => txs.size > 1)
    .map(([cause, txs]) => ({
      invariant: "decided-twice" as const,
      streams: [streamId],
      detail: `input ${cause} decided in ${txs.size} appends`,
    }));
}

function replayCall(
  streamId: string,
  list: readonly LoggedEvent[],
): { state: CallState; problems: Violation[] } {
  const problems: Violation[] = [];
  const wrong = (e: LoggedEvent, why: string) =>
    problems.push({
      invariant: "disallowed-order",
      streams: [streamId],
      detail: `v${e.streamVersion} ${e.type}: ${why}`,
    });
  let state = INITIAL_CALL;
  for (const e of list) {
    const event = { type: e.type, data: e.data } as CallEvent;
    if (state.status === "none" && e.type !== "CallStarted") wrong(e, "before CallStarted");
    else if (state.status === "active" && e.type === "CallStarted") wrong(e, "a second CallStarted");
    else if (state.status === "ended" && !AFTER_END.has(e.type)) wrong(e, "after CallEnded");
    else if (state.status === "ended" && e.type === "LegAnswered") {
      const leg = state.legs[(e.data as { legId: string }).legId];
      if (leg?.status === "hangingUp") wrong(e, "an answer recorded for a leg already being hung up");
    }
    const legId = (e.data as { legId?: unknown } | null)?.legId;
    if (
      typeof legId === "string" &&
      e.type !== "LegOriginateRequested" &&
      e.type !== "HoldMusicStarted" &&
      state.legs[legId] === undefined
    )
      wrong(e, `leg ${legId} was never originated`);
    if (e.type === "LegAnswered" && typeof legId === "string" && state.legs[legId]?.status === "ended")
      wrong(e, `leg ${legId} answered after it ended`);
    try {
      state = evolveCall(state, event);
    } catch (error) {
      wrong(e, `the call's evolve refuses it (${(error as Error).message})`);
    }
  }
  return { state, problems };
}

/**
 * After CallEnded the call decider records only stray legs: an answer that raced the teardown (then hung up)
 * and the end of a leg still up.
 */
const AFTER_END: ReadonlySet<string> = new Set(["LegAnswered", "LegHangupRequested", "LegEnded"]);

type AgentType = AgentEvent["type"];

/** From which statuses each agent event may follow (the agent decider's "applies when" column). */
const ALLOWED_FROM: Record<AgentType, readonly AgentStatus[]> = {
  AgentSignedIn: ["signedOut", "offline"],
  AgentSignedOut: ["available", "onBreak", "offline", "wrapUp"],
  AgentBreakStarted: ["available", "wrapUp"],
  AgentBreakEnded: ["onBreak"],
  AgentWentOffline: ["available", "onBreak", "signedOut", "wrapUp"],
  AgentReserved: ["available"],
  AgentRinging: ["reserved"],
  AgentAnswered: ["reserved", "ringing"],
  AgentReleased: ["reserved", "ringing"],
  AgentCallEnded: ["onCall"],
  AgentWrapUpEnded: ["wrapUp"],
};
/** Call-driven events must name the call the agent holds. */
const FOR_HELD_CALL: ReadonlySet<AgentType> = new Set([
  "AgentRinging",
  "AgentAnswered",
  "AgentReleased",
  "AgentCallEnded",
  "AgentWrapUpEnded",
]);

function replayAgent(
  streamId: string,
  list: readonly LoggedEvent[],
): { state: AgentState; problems: Violation[]; reserved: number } {
  const problems: Violation[] = [];
  let state = INITIAL_AGENT;
  let reserved = 0;
  for (const e of list) {
    const type = e.type as AgentType;
    const allowed = ALLOWED_FROM[type];
    const callId = (e.data as { callId?: string } | null)?.callId;
    if (type === "AgentReserved") {
      reserved++;
      if (state.callId !== undefined && state.status !== "available" && state.callId !== callId)
        problems.push({
          invariant: "double-booking",
          streams: [streamId, `${CALL}${state.callId}`, `${CALL}${callId}`],
          detail: `v${e.streamVersion} reserved for call ${callId} while ${state.status} for call ${state.callId}`,
        });
      else if (state.status !== "available")
        problems.push({
          invariant: "disallowed-order",
          streams: [streamId, `${CALL}${callId}`],
          detail: `v${e.streamVersion} reserved while ${state.status}`,
        });
    } else if (allowed === undefined) {
      problems.push({
        invariant: "disallowed-order",
        streams: [streamId],
        detail: `v${e.streamVersion} unknown agent event ${e.type}`,
      });
      continue;
    } else if (!allowed.includes(state.status))
      problems.push({
        invariant: "disallowed-order",
        streams: [streamId, ...(callId ? [`${CALL}${callId}`] : [])],
        detail: `v${e.streamVersion} ${type} while ${state.status}`,
      });
    else if (FOR_HELD_CALL.has(type) && callId !== state.callId)
      problems.push({
        invariant: "disallowed-order",
        streams: [streamId, `${CALL}${callId}`],
        detail: `v${e.streamVersion} ${type} for call ${callId} while holding call ${state.callId}`,
      });
    state = evolveAgent(state, { type, data: e.data } as AgentEvent);
  }
  return { state, problems, reserved };
}

/** The checker's report as text: counts per invariant, then each violation with its streams. */
export function formatReport(r: CheckReport, limit = 50): string[] {
  const lines = [
    `invariant checker: ${r.events} events, ${r.calls} calls (${r.callsEnded} ended), ${r.agents} agents, ${r.reservations} reservations`,
    ...INVARIANTS.map((i) => `  ${String(r.counts[i]).padStart(5)}  ${i}: ${TITLES[i]}`),
    r.violations.length === 0 ? "no violation" : `${r.violations.length} violations:`,
    ...r.violations.slice(0, limit).map((v) => `  ${v.invariant} [${v.streams.join(", ")}]: ${v.detail}`),
  ];
  if (r.violations.length > limit) lines.push(`  … and ${r.violations.length - limit} more`);
  return lines;
}
