// What a committed call decision makes happen outside the store: leg commands to the call's media gateway
// and durable timers. Every message id derives from the event that caused it, so a re-publish (a
// redelivered input whose decision was already stored) is dropped by JetStream.
import type { Clock } from "@switchyard/clock";
import {
  type CallInputMessage,
  callInputSubject,
  type LegCommandMessage,
  legCommandSubject,
  type TimerMessage,
  timerSubject,
} from "@switchyard/contracts";
import type { Effect } from "@switchyard/decision-runtime";
import { type CallEvent, legCommandOf } from "@switchyard/routing-domain";

export interface CallAddress {
  readonly callId: string;
  readonly callerLegId: string;
  readonly gatewayId: string;
}

/** Leg commands and timers of a call's events (each with the id it was stored under). */
export function callEffects(
  clock: Clock,
  call: CallAddress,
  events: ReadonlyArray<{ readonly eventId: string; readonly event: CallEvent }>,
): Effect[] {
  const out: Effect[] = [];
  const at = clock.now();
  for (const { eventId, event } of events) {
    const command = legCommandOf(event);
    if (command) {
      const message: LegCommandMessage = {
        commandId: eventId,
        callId: call.callId,
        command,
        callerLegId: call.callerLegId,
        at,
      };
      out.push({ subject: legCommandSubject(call.gatewayId), payload: message, msgId: eventId });
    }
    if (event.type === "TimerScheduled") {
      const timer: TimerMessage = {
        timerId: event.data.timerId,
        callId: call.callId,
        dueAt: event.data.dueAt,
      };
      out.push({ subject: timerSubject(call.callId), payload: timer, msgId: event.data.timerId });
    }
  }
  return out;
}

/** An offer of a freed agent to a queued caller: just another input to the call (the decision checks it). */
export function offerAgent(clock: Clock, callId: string, agentId: string, messageId: string): Effect {
  const message: CallInputMessage = {
    messageId,
    callId,
    input: { type: "OfferAgent", agentId },
    at: clock.now(),
  };
  return { subject: callInputSubject(callId), payload: message, msgId: messageId };
}
