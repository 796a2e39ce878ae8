import { type AgentState, isOfferable } from "../agent/agent.js";
import type { ConfigSnapshot } from "../config/snapshot.js";
import { RoutingDomainError } from "../shared/errors.js";

export interface QueueEntry {
  readonly callId: string;
  readonly enqueuedAt: number;
}

/**
 * How fast the queue has been moving: an exponentially weighted average of the time between callers
 * leaving it for an agent, counted only while someone was waiting (an empty queue's idle time is not
 * service). It already folds in how many agents are staffed and how long calls take.
 */
export interface QueuePace {
  /** When the queue last went from empty to waiting; absent while it is empty. */
  readonly waitingSince?: number;
  readonly lastServedAt?: number;
  readonly intervalMs: number;
  readonly samples: number;
}

/** A group's waiting callers, longest-waiting first (by enqueuedAt, then call id). */
export interface QueueState {
  readonly entries: readonly QueueEntry[];
  readonly pace?: QueuePace;
}

/** Weight of the newest interval in the average: about the last twenty departures count. */
const PACE_WEIGHT = 0.1;
/** Departures seen before an estimate is announced. */
const PACE_MIN_SAMPLES = 3;

/**
 * The expected wait of the caller at `position` (1-based), in seconds: position × the average time between
 * departures to agents. Undefined until the queue has served a few callers. Departures whose offer was then
 * missed (the caller went back to their place) count as service too, which makes the estimate optimistic
 * when agents miss offers; the statistics compare it with the waits that followed.
 */
export function expectedWaitSec(state: QueueState, position: number): number | undefined {
  const pace = state.pace;
  if (!pace || pace.samples < PACE_MIN_SAMPLES) return undefined;
  return Math.round((position * pace.intervalMs) / 1000);
}

/** What a waiting caller hears: the position, and the expected wait when the queue has one. */
export function positionAnnouncement(position: number, expectedWait?: number): string {
  const where = `You are number ${position} in the queue`;
  if (expectedWait === undefined) return where;
  const minutes = Math.round(expectedWait / 60);
  const wait =
    expectedWait < 60 ? "less than a minute" : minutes <= 1 ? "about 1 minute" : `about ${minutes} minutes`;
  return `${where}; your expected wait is ${wait}`;
}

function paced(state: QueueState, event: QueueEvent, entries: readonly QueueEntry[]): QueuePace | undefined {
  const pace = state.pace ?? { intervalMs: 0, samples: 0 };
  if (event.type === "CallerQueued") {
    return state.entries.length === 0 ? { ...pace, waitingSince: event.data.enqueuedAt } : state.pace;
  }
  let next: QueuePace = pace;
  if (event.data.reason === "agentOffered") {
    const from = Math.max(pace.lastServedAt ?? Number.NEGATIVE_INFINITY, pace.waitingSince ?? event.data.at);
    const interval = Math.max(0, event.data.at - from);
    next = {
      ...pace,
      lastServedAt: event.data.at,
      intervalMs:
        pace.samples === 0 ? interval : PACE_WEIGHT * interval + (1 - PACE_WEIGHT) * pace.intervalMs,
      samples: pace.samples + 1,
    };
  }
  if (entries.length > 0) return next;
  const { waitingSince: _gone, ...idle } = next;
  return idle;
}

export const EMPTY_QUEUE: QueueState = { entries: [] };
export const queueStreamId = (groupId: string): string => `queue-${groupId}`;

export type QueueCommand =
  | {
      readonly type: "Enqueue";
      readonly callId: string;
      readonly enqueuedAt: number;
      readonly maxSize: number;
    }
  | {
      readonly type: "Leave";
      readonly callId: string;
      readonly reason: QueueLeaveReason;
      readonly at: number;
    };

export type QueueLeaveReason = "agentOffered" | "maxWait" | "callerHungUp" | "callEnded";

export type QueueEvent =
  | { readonly type: "CallerQueued"; readonly data: { readonly callId: string; readonly enqueuedAt: number } }
  | {
      readonly type: "CallerLeftQueue";
      readonly data: { readonly callId: string; readonly reason: QueueLeaveReason; readonly at: number };
    };

export class QueueFullError extends RoutingDomainError {
  override readonly name = "QueueFullError";
  constructor(readonly maxSize: number) {
    super(`queue is full (${maxSize} callers)`);
  }
}

const before = (a: QueueEntry, b: QueueEntry): number =>
  a.enqueuedAt - b.enqueuedAt || (a.callId < b.callId ? -1 : a.callId > b.callId ? 1 : 0);

export function decideQueue(command: QueueCommand, state: QueueState): QueueEvent[] {
  switch (command.type) {
    case "Enqueue":
      if (state.entries.some((e) => e.callId === command.callId)) return [];
      if (state.entries.length >= command.maxSize) throw new QueueFullError(command.maxSize);
      return [{ type: "CallerQueued", data: { callId: command.callId, enqueuedAt: command.enqueuedAt } }];
    case "Leave":
      if (!state.entries.some((e) => e.callId === command.callId)) return [];
      return [
        { type: "CallerLeftQueue", data: { callId: command.callId, reason: command.reason, at: command.at } },
      ];
    default: {
      const unknown: never = command;
      throw new Error(`unknown queue command ${JSON.stringify(unknown)}`);
    }
  }
}

export function evolveQueue(state: QueueState, event: QueueEvent): QueueState {
  switch (event.type) {
    case "CallerQueued": {
      // Binary insertion (the entries are kept sorted): O(log n) to find the place, one copy.
      const entries = state.entries;
      let lo = 0;
      let hi = entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        // Stryker disable next-line EqualityOperator: before() is 0 only for the same call queued at the same time, which decideQueue never queues twice; on either side of it the entries are the same
        if (before(entries[mid]!, event.data) <= 0) lo = mid + 1;
        else hi = mid;
      }
      const next = [...entries.slice(0, lo), event.data, ...entries.slice(lo)];
      const pace = paced(state, event, next);
      return pace ? { entries: next, pace } : { entries: next };
    }
    case "CallerLeftQueue": {
      const next = state.entries.filter((e) => e.callId !== event.data.callId);
      const pace = paced(state, event, next);
      return pace ? { entries: next, pace } : { entries: next };
    }
    default: {
      const unknown: never = event;
      throw new Error(`unknown queue event ${JSON.stringify(unknown)}`);
    }
  }
}

export const queueDecider = {
  initialState: (): QueueState => EMPTY_QUEUE,
  decide: decideQueue,
  evolve: evolveQueue,
};

/** 1-based position of a call in the queue, or undefined when it is not queued. Callers behind one who left move up. */
export function positionOf(state: QueueState, callId: string): number | undefined {
  const i = state.entries.findIndex((e) => e.callId === callId);
  return i < 0 ? undefined : i + 1;
}

export interface QueueViewEntry {
  readonly state: QueueState;
  readonly version: number;
}
/** groupId → queue, as read by a router. */
export type QueueView = Readonly<Record<string, QueueViewEntry>>;

/**
 * The caller a freed agent should take: the longest-waiting caller among the queues of the highest priority
 * the agent serves that have someone waiting (ties: earlier group id, then call id). Undefined when none of them has anyone waiting, or — when
 * the agent's state is given — when the agent cannot be offered a call at `now` (paused, busy, cooling down
 * after a missed offer: the cooldown's end is the next chance).
 */
export function nextCallerFor(
  agentId: string,
  queues: QueueView,
  config: Pick<ConfigSnapshot, "groups">,
  agent?: { readonly state: AgentState; readonly now: number },
): { readonly groupId: string; readonly callId: string; readonly enqueuedAt: number } | undefined {
  if (agent && !isOfferable(agent.state, agent.now)) return undefined;
  let best: { groupId: string; callId: string; enqueuedAt: number; priority: number } | undefined;
  for (const group of Object.values(config.groups).sort((a, b) => (a.groupId < b.groupId ? -1 : 1))) {
    if (!group.queue.enabled || !group.members.includes(agentId)) continue;
    const head = queues[group.groupId]?.state.entries[0];
    if (!head) continue;
    const priority = group.queue.priority ?? 0;
    if (!best || priority > best.priority || (priority === best.priority && before(head, best) < 0))
      best = { groupId: group.groupId, ...head, priority };
  }
  if (!best) return undefined;
  const { priority: _p, ...next } = best;
  return next;
}

/** A waiting caller to offer to an idle agent (an `OfferAgent` input to the call). */
export interface QueueOffer {
  readonly callId: string;
  readonly agentId: string;
}

/**
 * Pairs a queue's waiting callers with the group's members who can be offered a call at `now` (the views
 * lag: a caller may have queued while an agent was being freed). Longest-waiting caller with the
 * longest-idle agent (ties: the group's member order); each pair is only an offer: the call's decision
 * reserves the agent with its expected version, or refuses.
 */
export function matchWaitingCallers(
  queue: QueueState,
  members: ReadonlyArray<{ readonly agentId: string; readonly state: AgentState | undefined }>,
  now: number,
): QueueOffer[] {
  // Stryker disable next-line ConditionalExpression: a shortcut; without it an empty queue pairs nobody all the same
  if (queue.entries.length === 0) return [];
  const idle = members
    .filter(
      (m): m is { agentId: string; state: AgentState } => m.state !== undefined && isOfferable(m.state, now),
    )
    .map((m) => ({ agentId: m.agentId, idleSince: m.state.idleSince ?? 0 }))
    // Array sort is stable: agents idle since the same moment keep the group's member order.
    .sort((x, y) => x.idleSince - y.idleSince);
  return queue.entries.slice(0, idle.length).map((q, i) => ({ callId: q.callId, agentId: idle[i]!.agentId }));
}
