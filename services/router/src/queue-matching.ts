// Matching waiting callers with agents who can take them: when an agent is freed (their next queued
// caller, `nextCallerFor`) and when a queue changes (idle members paired with waiting callers,
// `matchWaitingCallers`). Both only publish `OfferAgent` inputs (the freed agent is the trigger); the call's
// decision runs the group's strategy over the members free at that moment, reserves the chosen agent(s)
// under their expected versions, or refuses the offer.
import type { Bus } from "@switchyard/bus";
import type { Clock } from "@switchyard/clock";
import { type EventMessage, type TimerMessage, timerSubject } from "@switchyard/contracts";
import type { Effect, StreamCache } from "@switchyard/decision-runtime";
import {
  type AgentState,
  agentIdOfStream,
  agentStreamId,
  isOfferable,
  matchWaitingCallers,
  nextCallerFor,
  type QueueState,
  type QueueView,
  queueStreamId,
} from "@switchyard/routing-domain";
import type { ConfigSource } from "./decision-context.js";
import { offerAgent } from "./effects.js";
import type { PresenceView } from "./presence-view.js";

/** Agent events after which the agent may take a queued caller. */
const AVAILABLE_AFTER = new Set(["AgentReleased", "AgentWrapUpEnded", "AgentSignedIn", "AgentBreakEnded"]);

export interface QueueMatching {
  /** EVENTS `evt.agent.>`: wrap-up and cooldown timers, and the freed agent's next caller. */
  onAgentEvent(e: EventMessage): Promise<void>;
  /** EVENTS `evt.queue.>`: idle members paired with the queue's waiting callers. */
  onQueueEvent(e: EventMessage): Promise<void>;
  /** A cooldown-end timer fired: the agent's next queued caller. */
  offerNextCaller(agentId: string, messageId: string): Promise<void>;
}

export function queueMatching(deps: {
  readonly bus: Bus;
  readonly cache: StreamCache;
  readonly config: ConfigSource;
  readonly presence: PresenceView;
  readonly clock: Clock;
  readonly stats: { offers: number };
}): QueueMatching {
  const { bus, cache, config, presence, clock, stats } = deps;
  const publish = (e: Effect) => bus.publish(e.subject, e.payload, { msgId: e.msgId });
  const offer = (callId: string, agentId: string, messageId: string) => {
    stats.offers++;
    return publish(offerAgent(clock, callId, agentId, messageId));
  };

  /**
   * Offers the agent the longest-waiting caller of their queues, if the agent (read from the store: the event
   * that freed them may have paused them in the same transaction) can be offered a call now.
   */
  async function offerNextCaller(agentId: string, messageId: string): Promise<void> {
    const [cfg, agent] = await Promise.all([
      config.atLeast(0),
      cache.load<AgentState>(agentStreamId(agentId), { fresh: true }),
    ]);
    const queues: Record<string, { state: QueueState; version: number }> = {};
    await Promise.all(
      Object.values(cfg.groups)
        .filter((g) => g.queue.enabled && g.members.includes(agentId))
        .map(async (g) => {
          queues[g.groupId] = await cache.load<QueueState>(queueStreamId(g.groupId), { fresh: true });
        }),
    );
    const next = nextCallerFor(agentId, queues as QueueView, cfg, { state: agent.state, now: clock.now() });
    if (next) await offer(next.callId, agentId, messageId);
  }

  async function onAgentEvent(e: EventMessage): Promise<void> {
    const agentId = agentIdOfStream(e.streamId);
    // The consumer is filtered to agents' events.
    if (agentId === undefined) return;
    if (e.type === "AgentCallEnded") {
      const data = e.data as { callId: string; wrapUpEndsAt?: number };
      if (data.wrapUpEndsAt !== undefined) {
        const timer: TimerMessage = {
          timerId: `wrapup:${e.id}`,
          callId: data.callId,
          dueAt: data.wrapUpEndsAt,
          agentId,
        };
        await bus.publish(timerSubject(data.callId), timer, { msgId: timer.timerId });
        return;
      }
    } else if (!AVAILABLE_AFTER.has(e.type)) {
      return;
    }
    const cooldownUntil = (e.data as { cooldownUntil?: number }).cooldownUntil;
    if (e.type === "AgentReleased" && cooldownUntil !== undefined) {
      // A missed offer with a cooldown: the agent's next chance at a queued caller is its end.
      const timer: TimerMessage = {
        timerId: `cooldown:${e.id}`,
        callId: (e.data as { callId: string }).callId,
        dueAt: cooldownUntil,
        agentId,
        kind: "cooldownEnd",
      };
      await bus.publish(timerSubject(timer.callId), timer, { msgId: timer.timerId });
    }
    await offerNextCaller(agentId, `offer:${e.id}`);
  }

  async function onQueueEvent(e: EventMessage): Promise<void> {
    const groupId = e.streamId.slice("queue-".length);
    // Position announcements are not sent from here: each waiting caller's queuePosition timer computes
    // the position when it is due. Only the pairing of idle members with waiting callers remains.
    const [queue, cfg] = await Promise.all([
      cache.load<QueueState>(e.streamId, { fresh: true }),
      config.atLeast(0),
    ]);
    const now = clock.now();
    const index = presence.memberIndex(groupId, cfg);
    let members: Array<{ agentId: string; state: AgentState | undefined }>;
    if (index) {
      // A large group: the longest idle first from its index, only as many as there are callers.
      members = [];
      for (const agentId of index.byIdle()) {
        if (members.length >= queue.state.entries.length) break;
        const state = presence.entry(agentId)?.state;
        if (state && isOfferable(state, now)) members.push({ agentId, state });
      }
    } else {
      members = (cfg.groups[groupId]?.members ?? []).map((agentId) => ({
        agentId,
        state: presence.entry(agentId)?.state,
      }));
    }
    const offers = matchWaitingCallers(queue.state, members, now);
    // Each offer runs the group's strategy in the call's decision, which may ring a member other than the
    // one paired here. A free member left over who also serves other queues takes the longest-waiting
    // caller among them (else an agent freed for this group's caller, and not chosen, would sit idle while
    // another of its queues has callers).
    const paired = new Set(offers.map((o) => o.agentId));
    const spare = members.filter(
      (m) =>
        !paired.has(m.agentId) &&
        m.state !== undefined &&
        isOfferable(m.state, now) &&
        Object.values(cfg.groups).some(
          (g) => g.groupId !== groupId && g.queue.enabled && g.members.includes(m.agentId),
        ),
    );
    await Promise.all([
      ...offers.map((o) => offer(o.callId, o.agentId, `offer:${e.id}:${o.agentId}`)),
      ...spare.map((m) => offerNextCaller(m.agentId, `offer:${e.id}:next:${m.agentId}`)),
    ]);
  }

  return { onAgentEvent, onQueueEvent, offerNextCaller };
}
