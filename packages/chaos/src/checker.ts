// The invariant checker: reads an event log (the PostgreSQL record of truth) and, when given, the copies of
// its events on the JetStream EVENTS stream, and reports every broken invariant with the streams involved.
// Pure: the log and the bus copies come in as data, so any deployment's log, a chaos run's, or a
// hand-planted one can be checked the same way.
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
  ReplayLog,
  replayCallDecisions,
} from "@switchyard/routing-domain";

/** The part of a recorded event the checker reads. */
export interface LoggedEvent {
  readonly streamId: string;
  readonly streamVersion: number;
  readonly type: string;
  readonly data: unknown;
  /** `causationId` (the input decided), and on a decision's first call event the router's `decisionInput`. */
  readonly metadata: { readonly causationId?: string; readonly decisionInput?: unknown };
  /** The writing transaction: events of one append share it. */
  readonly transactionId: bigint;
  /** Needed only to compare with the bus (the relay publishes each event with its id as message id). */
  readonly eventId?: string;
}

/** One message of the JetStream EVENTS stream, as the relay published it. */
export interface RelayedEvent {
  readonly streamSequence: number;
  /** `Nats-Msg-Id`. */
  readonly msgId: string | undefined;
  /** The payload's event id, stream and version (undefined: not an event message). */
  readonly id: string | undefined;
  readonly streamId: string | undefined;
  readonly version: number | undefined;
}

export interface CheckOptions {
  /** The EVENTS stream's messages: compared with the log (every event relayed exactly once, nothing else). */
  readonly bus?: readonly RelayedEvent[];
}

export const INVARIANTS = [
  "double-booking",
  "stuck-call",
  "stuck-agent",
  "version-gap",
  "decided-twice",
  "disallowed-order",
  "replay-mismatch",
  "lost-event",
  "duplicated-event",
  "phantom-event",
] as const;
export type Invariant = (typeof INVARIANTS)[number];

const TITLES: Record<Invariant, string> = {
  "double-booking": "agents reserved for two calls at once",
  "stuck-call": "calls without CallEnded",
  "stuck-agent": "agents reserved/ringing/on a call with no live call",
  "version-gap": "streams whose versions are not 1..n",
  "decided-twice": "inputs decided twice (a causation id in two appends of a stream)",
  "disallowed-order": "events in an order the domain does not allow",
  "replay-mismatch": "call decisions that, decided again from what they recorded reading, differ",
  "lost-event": "events in PostgreSQL never relayed to JetStream EVENTS",
  "duplicated-event": "events on JetStream EVENTS more than once (one message id, two sequences)",
  "phantom-event": "messages on JetStream EVENTS that PostgreSQL does not hold as they are",
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
  /** Call decisions re-decided: matched, without a recorded input, chosen through a member index (not replayable). */
  readonly decisions: {
    readonly replayed: number;
    readonly matched: number;
    readonly notRecorded: number;
    readonly notReplayable: number;
  };
  /** Messages read from JetStream EVENTS (undefined: the bus was not compared). */
  readonly busMessages: number | undefined;
  readonly violations: readonly Violation[];
  readonly counts: Readonly<Record<Invariant, number>>;
}

const CALL = "call-";
const AGENT = "agent-";

export function checkEventLog(log: Iterable<LoggedEvent>, options: CheckOptions = {}): CheckReport {
  const streams = new Map<string, LoggedEvent[]>();
  const all: LoggedEvent[] = [];
  let events = 0;
  for (const e of log) {
    events++;
    all.push(e);
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
  const replay = replayDecisions(streams);
  violations.push(...replay.problems);
  if (options.bus) violations.push(...compareWithBus(all, options.bus));
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
  return {
    events,
    calls: callStates.size,
    callsEnded,
    agents,
    reservations,
    decisions: replay.decisions,
    busMessages: options.bus?.length,
    violations,
    counts,
  };
}

/**
 * Every call's recorded decisions re-decided over the log (the routing domain's replay, as the admin API's
 * ReplayCall runs it): a decision the call decider no longer makes from what it recorded reading is a
 * violation; one that recorded no input (written by hand, or by an older router) or chose through a large
 * group's member index cannot be re-decided and is only counted.
 */
function replayDecisions(streams: ReadonlyMap<string, readonly LoggedEvent[]>) {
  const log = new ReplayLog((id) => streams.get(id));
  const problems: Violation[] = [];
  const decisions = { replayed: 0, matched: 0, notRecorded: 0, notReplayable: 0 };
  for (const [streamId, list] of streams) {
    if (!streamId.startsWith(CALL)) continue;
    let outcomes: ReturnType<typeof replayCallDecisions<LoggedEvent>>;
    try {
      outcomes = replayCallDecisions(list, log);
    } catch (error) {
      // The decider threw something other than a domain refusal: a bug, and this call cannot be replayed.
      problems.push({
        invariant: "replay-mismatch",
        streams: [streamId],
        detail: `the call decider failed on a recorded decision: ${(error as Error).message}`,
      });
      continue;
    }
    for (const o of outcomes) {
      if (o.result === "not-recorded") decisions.notRecorded++;
      else if (o.result === "not-replayable") decisions.notReplayable++;
      else {
        decisions.replayed++;
        if (o.result === "match") decisions.matched++;
        else {
          const input = o.decision.input;
          const read = input
            ? [
                ...Object.keys(input.reads.agents).map((a) => `${AGENT}${a}`),
                ...Object.keys(input.reads.queues).map((g) => `queue-${g}`),
                ...Object.keys(input.reads.groups).map((g) => `group-${g}`),
              ]
            : [];
          problems.push({
            invariant: "replay-mismatch",
            streams: [streamId, ...read],
            detail: `decision of ${input?.command.type} at v${o.decision.events[0]?.streamVersion} (input ${o.decision.causationId}): ${o.note}`,
          });
        }
      }
    }
  }
  return { problems, decisions };
}

/**
 * The relay publishes every committed event once, with its event id as message id (JetStream drops a
 * repeat inside the duplicate window): each event of the log must be on the bus exactly once, as it is in
 * the log, and the bus must hold nothing else.
 */
function compareWithBus(log: readonly LoggedEvent[], bus: readonly RelayedEvent[]): Violation[] {
  const problems: Violation[] = [];
  const byId = new Map<string, RelayedEvent[]>();
  for (const m of bus) {
    const id = m.id ?? m.msgId;
    if (id === undefined) {
      problems.push({
        invariant: "phantom-event",
        streams: [],
        detail: `EVENTS #${m.streamSequence} has neither an event id nor a message id`,
      });
      continue;
    }
    byId.set(id, [...(byId.get(id) ?? []), m]);
  }
  const inLog = new Set<string>();
  for (const e of log) {
    if (e.eventId === undefined) continue;
    inLog.add(e.eventId);
    const copies = byId.get(e.eventId) ?? [];
    if (copies.length === 0)
      problems.push({
        invariant: "lost-event",
        streams: [e.streamId],
        detail: `v${e.streamVersion} ${e.type} (event ${e.eventId}) is not on EVENTS`,
      });
    else if (copies.length > 1)
      problems.push({
        invariant: "duplicated-event",
        streams: [e.streamId],
        detail: `v${e.streamVersion} ${e.type} (event ${e.eventId}) is on EVENTS ${copies.length} times: ${copies.map((c) => `#${c.streamSequence} (message id ${c.msgId})`).join(", ")}`,
      });
    for (const c of copies)
      if (c.streamId !== e.streamId || c.version !== e.streamVersion)
        problems.push({
          invariant: "phantom-event",
          streams: [e.streamId, ...(c.streamId && c.streamId !== e.streamId ? [c.streamId] : [])],
          detail: `EVENTS #${c.streamSequence} carries event ${e.eventId} as ${c.streamId} v${c.version} (message id ${c.msgId}); PostgreSQL has it as ${e.streamId} v${e.streamVersion}`,
        });
  }
  for (const [id, copies] of byId)
    if (!inLog.has(id))
      for (const c of copies)
        problems.push({
          invariant: "phantom-event",
          streams: c.streamId ? [c.streamId] : [],
          detail: `EVENTS #${c.streamSequence} (event ${id}, ${c.streamId} v${c.version}) is not in PostgreSQL`,
        });
  return problems;
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
    `  call decisions re-decided: ${r.decisions.replayed} (${r.decisions.matched} match); not replayable: ${r.decisions.notRecorded} without a recorded input, ${r.decisions.notReplayable} chosen through a member index`,
    r.busMessages === undefined
      ? "  JetStream EVENTS: not compared"
      : `  JetStream EVENTS: ${r.busMessages} messages compared with the log`,
    ...INVARIANTS.map((i) => `  ${String(r.counts[i]).padStart(5)}  ${i}: ${TITLES[i]}`),
    r.violations.length === 0 ? "no violation" : `${r.violations.length} violations:`,
    ...r.violations.slice(0, limit).map((v) => `  ${v.invariant} [${v.streams.join(", ")}]: ${v.detail}`),
  ];
  if (r.violations.length > limit) lines.push(`  … and ${r.violations.length - limit} more`);
  return lines;
}
