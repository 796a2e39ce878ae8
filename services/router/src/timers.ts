// Durable timers: messages on TIMERS nak-ed until due (JetStream 2.9 has no scheduled messages), then turned
// into an input: TimerFired to the call, EndWrapUp to the agent, or a cooldown's end (the agent's next
// queued caller).
import type { Bus, HandlerResult } from "@switchyard/bus";
import type { Clock } from "@switchyard/clock";
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
  readonly stats: { timersFired: number };
}): (t: TimerMessage) => Promise<HandlerResult> {
  const { bus, clock, matching, stats } = deps;
  return async (t) => {
    const wait = t.dueAt - clock.now();
    if (wait > 0) return { nak: Math.min(Math.max(clock.realDelay(wait), 5), 60_000) };
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
}
