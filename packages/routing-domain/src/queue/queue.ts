import { type AgentState, isOfferable } from "../agent/agent.js";
import type { ConfigSnapshot } from "../config/snapshot.js";
import { RoutingDomainError } from "../shared/errors.js";

export interface QueueEntry {
  readonly callId: string;
  readonly enqueuedAt: number;
}

/** A group's waiting callers, longest-waiting first (by enqueuedAt, then call id). */
export interface QueueState {
  readonly entries: readonly QueueEntry[];
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
      return { entries: [...entries.slice(0, lo), event.data, ...entries.slice(lo)] };
    }
    case "CallerLeftQueue":
      return { entries: state.entries.filter((e) => e.callId !== event.data.callId) };
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
 * The caller a freed agent should take: the longest-waiting caller among the queues of every group the agent
 * serves (ties: earlier group id, then call id). Undefined when none of them has anyone waiting, or — when
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
  let best: { groupId: string; callId: string; enqueuedAt: number } | undefined;
  for (const group of Object.values(config.groups).sort((a, b) => (a.groupId < b.groupId ? -1 : 1))) {
    if (!group.queue.enabled || !group.members.includes(agentId)) continue;
    const head = queues[group.groupId]?.state.entries[0];
    if (!head) continue;
    // Stryker disable next-line EqualityOperator: heads of different queues are different calls (a call waits in one queue), so before() is never 0 here
    if (!best || before(head, best) < 0) best = { groupId: group.groupId, ...head };
  }
  return best;
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
    .map((m, order) => ({ agentId: m.agentId, idleSince: m.state.idleSince ?? 0, order }))
    .sort((x, y) => x.idleSince - y.idleSince || x.order - y.order);
  return queue.entries.slice(0, idle.length).map((q, i) => ({ callId: q.callId, agentId: idle[i]!.agentId }));
}
