// Durable timers: messages on TIMERS nak-ed until due (JetStream 2.9 has no scheduled messages), then turned
// into an input: TimerFired to the call, EndWrapUp to the agent, or a cooldown's end (the agent's next
// queued caller).
//
// A call timer of a call this process knows has ended is acked as it is: an ended call has no timers left,
// so its TimerFired would only be a decision that changes nothing (an input published, consumed, a round of
// the runtime, acked). Known from the stream cache, which holds only committed states and is never ahead of
// the log, and `ended` is final, so a cache behind the log cannot make a live timer look stale; a call it
// does not hold is fired as before.
//
// On a virtual clock (simulations, tests) a timer must fire at its due time exactly, and a nak-ed message
// would keep the platform busy (unacknowledged) so that time could never move to it: there the timer not yet
// due is taken off the stream and becomes a sleep on the clock, which wakes it at its due time. That holds
// it in this process's memory only, which a single-process simulation can afford; production stays on
// JetStream's redeliveries.
import type { Bus, HandlerResult } from "@switchyard/bus";
import { type Clock, isVirtualClock } from "@switchyard/clock";
import {
  type AgentInputMessage,
  agentInputSubject,
  type CallInputMessage,
  callInputSubject,
  type TimerMessage,
} from "@switchyard/contracts";
import type { QueueMatching } from "./queue-matching.js";

export function timerHandler(deps: {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly matching: QueueMatching;
  /** True when the call is known to have ended (false when unknown). */
  readonly callEnded: (callId: string) => boolean;
  readonly stats: { timersFired: number; timersOfEndedCalls: number };
}): (t: TimerMessage) => Promise<HandlerResult> {
  const { bus, clock, matching, stats, callEnded } = deps;
  const ofEndedCall = (t: TimerMessage): boolean => {
    if (t.agentId !== undefined || !callEnded(t.callId)) return false;
    stats.timersOfEndedCalls++;
    return true;
  };
  const fire = async (t: TimerMessage): Promise<undefined> => {
    if (ofEndedCall(t)) return undefined;
    stats.timersFired++;
    if (t.kind === "cooldownEnd" && t.agentId !== undefined) {
      await matching.offerNextCaller(t.agentId, `offer:${t.timerId}`);
      return undefined;
    }
    if (t.agentId !== undefined) {
      const message: AgentInputMessage = {
        messageId: `wrapup:${t.timerId}`,
        agentId: t.agentId,
        input: { type: "EndWrapUp", callId: t.callId },
        at: clock.now(),
      };
      await bus.publish(agentInputSubject(t.agentId), message, { msgId: message.messageId });
      return undefined;
    }
    const message: CallInputMessage = {
      messageId: `timer:${t.timerId}`,
      callId: t.callId,
      input: { type: "TimerFired", timerId: t.timerId },
      at: clock.now(),
    };
    await bus.publish(callInputSubject(t.callId), message, { msgId: message.messageId });
    return undefined;
  };
  if (isVirtualClock(clock)) {
    const virtual = clock;
    return async (t) => {
      const wait = t.dueAt - virtual.now();
      if (wait <= 0) return fire(t);
      // Fired from the clock: held from its wake-up until its input is published, retried (in real time, the
      // clock waiting) if the publish fails.
      void virtual.sleep(wait).then(() =>
        virtual.run(async () => {
          for (let attempt = 1; ; attempt++) {
            try {
              return await fire(t);
            } catch (err) {
              if (attempt >= 10) throw err;
              await new Promise((r) => setTimeout(r, 50 * attempt));
            }
          }
        }),
      );
      return undefined;
    };
  }
  return async (t) => {
    const wait = t.dueAt - clock.now();
    if (wait > 0) {
      if (ofEndedCall(t)) return undefined;
      return { nak: Math.min(Math.max(clock.realDelay(wait), 5), 60_000) };
    }
    return fire(t);
  };
}
