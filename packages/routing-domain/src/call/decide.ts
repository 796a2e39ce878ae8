import { UnknownFlowError, UnknownNumberError } from "../config/decider.js";
import {
  attemptFailed as callbackAttemptFailed,
  customerAnswered,
} from "../flow/applets/connect/callback.js";
import {
  attemptFailed,
  bridgeAgent,
  connectRun,
  maybeAnnounce,
  offerAgent,
  targetAnswered,
} from "../flow/applets/connect/connect.js";
import { DecisionBuilder } from "./builder.js";
import { endCall } from "./end-call.js";
import { CallAlreadyStartedError, CallNotFoundError, CallNotQueuedError } from "./errors.js";
import { evolveCall } from "./evolve.js";
import {
  appletTimerFired,
  digitReceived,
  flowRunner,
  playbackFinished,
  recordingFinished,
} from "./flow-runner.js";
import { freeAgentOf } from "./legs.js";
import {
  cancelTransferCommand,
  completeTransferCommand,
  consultAnswered,
  requestTransfer,
  transferLegEnded,
  transferRingTimedOut,
} from "./transfer.js";
import type { CallCommand, CallDecision, CallState, DecisionContext, LegEndReason } from "./types.js";
import { INITIAL_CALL } from "./types.js";

/**
 * The call's decider (a process manager over the flow). Pure: everything it needs arrives in the command
 * (`now`, `seed`), the call's state and the context (config snapshot, presence, queues, group cursors).
 * Throws a typed error when the command is refused; returns no events when the command is stale.
 */
export function decideCall(command: CallCommand, state: CallState, ctx: DecisionContext): CallDecision {
  const seed =
    command.seed ?? `${command.type === "StartCall" ? command.callId : state.callId}:${state.version}`;
  const b = new DecisionBuilder(state, ctx, command.now, seed, flowRunner);
  handle(b, command);
  return b.decision();
}

function handle(b: DecisionBuilder, command: CallCommand): void {
  const s = b.state;
  if (command.type === "StartCall") {
    if (s.status !== "none") throw new CallAlreadyStartedError(s.callId);
    const number = b.ctx.config.numbers[command.to];
    if (!number) throw new UnknownNumberError(command.to);
    const flow = b.ctx.config.flows[number.flowId];
    if (!flow) throw new UnknownFlowError(number.flowId);
    b.emit({
      type: "CallStarted",
      data: {
        callId: command.callId,
        from: command.from,
        to: command.to,
        flowId: flow.flowId,
        callerLegId: b.newId("leg", command.callId),
        configVersion: b.ctx.config.version,
        at: command.now,
      },
    });
    b.goTo(flow.start);
    return;
  }
  if (s.status === "none") throw new CallNotFoundError(command.type);
  if (s.status === "ended") {
    afterEnd(b, command);
    return;
  }
  switch (command.type) {
    case "LegRinging": {
      const leg = s.legs[command.legId];
      if (leg?.status !== "originating") return;
      b.emit({ type: "LegRinging", data: { legId: leg.legId, at: b.now } });
      if (leg.agentId !== undefined) {
        b.agentCommand(leg.agentId, { type: "StartRinging", callId: s.callId, now: b.now });
      }
      return;
    }
    case "LegAnswered": {
      const leg = s.legs[command.legId];
      if (!leg) return;
      if (leg.status === "cancelling") {
        // Answered as we cancelled it (another leg won, or the caller left): hang it straight up.
        b.emit(
          { type: "LegAnswered", data: { legId: leg.legId, at: b.now } },
          { type: "LegHangupRequested", data: { legId: leg.legId, reason: "lostRace" } },
        );
        return;
      }
      if (leg.status !== "originating" && leg.status !== "ringing") return;
      const run = connectRun(b);
      if (leg.role === "target" && run?.phase === "ringing" && run.legIds.includes(leg.legId)) {
        targetAnswered(b, leg.legId);
        return;
      }
      if (leg.role === "customer" && leg.legId === connectRun(b)?.queue?.callback?.customerLegId) {
        const agentLegId = customerAnswered(b, leg.legId);
        if (agentLegId !== undefined) bridgeAgent(b, agentLegId);
        else endCall(b, "agentHungUp");
        return;
      }
      if (
        leg.role === "consult" &&
        s.transfer?.phase === "ringing" &&
        s.transfer.legIds.includes(leg.legId)
      ) {
        consultAnswered(b, leg.legId);
        return;
      }
      b.emit(
        { type: "LegAnswered", data: { legId: leg.legId, at: b.now } },
        { type: "LegHangupRequested", data: { legId: leg.legId, reason: "notExpected" } },
      );
      // The agent was never told of an answer (no `Answer` went to them), so they are still reserved for this
      // call: release them. `EndCall` would be ignored by a reserved agent, and the leg's end is skipped (it
      // is being hung up), so the agent would stay reserved.
      freeAgentOf(b, leg, false, "notExpected");
      return;
    }
    case "LegEnded":
      legEnded(b, command.legId, command.reason);
      return;
    case "PlaybackFinished":
      playbackFinished(b, command.playbackId);
      return;
    case "DtmfReceived":
      digitReceived(b, command.digit);
      return;
    case "RecordingFinished":
      recordingFinished(b, command.recordingId);
      return;
    case "TimerFired":
      timerFired(b, command.timerId);
      return;
    case "OfferAgent": {
      const run = connectRun(b);
      if (!run?.queue?.waiting) throw new CallNotQueuedError(s.callId);
      offerAgent(b, command.agentId);
      return;
    }
    case "QueueChanged":
      maybeAnnounce(b, false);
      return;
    case "RequestTransfer":
      requestTransfer(b, command.transferId, command.mode, command.target, command.callerId);
      return;
    case "CompleteTransfer":
      completeTransferCommand(b, command.transferId);
      return;
    case "CancelTransfer":
      cancelTransferCommand(b, command.transferId);
      return;
    case "HangUp":
      endCall(b, command.reason);
      return;
    default: {
      const unknown: never = command;
      throw new Error(`unknown call command ${JSON.stringify(unknown)}`);
    }
  }
}

/** After the call ended only stray legs matter: an answer that raced the teardown is hung up. */
function afterEnd(b: DecisionBuilder, command: CallCommand): void {
  if (command.type === "LegAnswered") {
    const leg = b.state.legs[command.legId];
    if (leg && leg.status !== "ended" && leg.status !== "hangingUp") {
      b.emit(
        { type: "LegAnswered", data: { legId: leg.legId, at: b.now } },
        { type: "LegHangupRequested", data: { legId: leg.legId, reason: "callEnded" } },
      );
    }
  } else if (command.type === "LegEnded") {
    const leg = b.state.legs[command.legId];
    if (leg && leg.status !== "ended") {
      b.emit({ type: "LegEnded", data: { legId: leg.legId, reason: command.reason, at: b.now } });
    }
  }
}

function timerFired(b: DecisionBuilder, timerId: string): void {
  const timer = b.state.timers[timerId];
  // Cancelled, superseded or already handled: a stale timer changes nothing.
  if (!timer) return;
  b.emit({ type: "TimerElapsed", data: { timerId, kind: timer.kind, at: b.now } });
  if (timer.kind === "transferRingTimeout") transferRingTimedOut(b);
  else appletTimerFired(b, timer.kind);
}

function legEnded(b: DecisionBuilder, legId: string, reason: LegEndReason): void {
  const before = b.state.legs[legId];
  if (!before || before.status === "ended") return;
  const wasConnectedAgent = legId === b.state.agentLegId;
  b.emit({ type: "LegEnded", data: { legId, reason, at: b.now } });
  const callback = connectRun(b)?.queue?.callback;
  if (before.role === "caller") {
    // A caller waiting for a callback hung up as agreed (or before the goodbye ended): they keep their place.
    if (callback?.phase !== "requested") endCall(b, "callerHungUp");
    return;
  }
  if (before.role === "customer" && before.status === "answered") {
    endCall(b, "callerHungUp");
    return;
  }
  // Legs we were already cancelling or hanging up: their agent was freed when we asked.
  if (before.status === "cancelling" || before.status === "hangingUp") return;
  freeAgentOf(b, before, before.status === "answered", reason);
  if (transferLegEnded(b, legId, reason)) return;
  if (callback?.phase === "requested" && callback.customerLegId !== undefined) {
    // The customer's line did not answer, or the agent left while it rang: this call back failed.
    const why = before.role === "customer" ? `the customer's line: ${reason}` : `the agent left (${reason})`;
    if (callbackAttemptFailed(b, why)) endCall(b, "callbackFailed");
    return;
  }
  if (wasConnectedAgent) {
    // The connected agent hung up: the conversation is over.
    endCall(b, "agentHungUp");
    return;
  }
  const run = connectRun(b);
  if (run && (run.phase === "ringing" || run.phase === "whisper") && run.legIds.includes(legId)) {
    attemptFailed(b);
  }
}

export const callDecider = {
  initialState: (): CallState => INITIAL_CALL,
  decide: decideCall,
  evolve: evolveCall,
};
