// Connect: rings an agent, a group (by its strategy, with a queue), a number or a SIP URI, with ring timeout,
// caller ID, hold music, whisper and recording; an answer bridges the caller, anything else takes the
// outcome's branch. Settings and their rules in settings.ts; the run in connect.ts, and in callback.ts a
// queued caller's call back.
import { endCall } from "../../../call/end-call.js";
import { cancelLeg } from "../../../call/legs.js";
import type { AppletModule } from "../applet.js";
import {
  attemptFailed as callbackAttemptFailed,
  callbackDigit,
  callbackPlaybackFinished,
  callbackRetryGroup,
  offerCallback,
} from "./callback.js";
import {
  attemptFailed,
  bridgeAgent,
  completeConnect,
  enqueue,
  enterConnect,
  maybeAnnounce,
} from "./connect.js";
import { type ConnectApplet, connectEdges, validateConnect } from "./settings.js";

export const connect: AppletModule<ConnectApplet> = {
  kind: "connect",
  waits: true,
  edges: connectEdges,
  audio: (applet) => [
    ...(applet.holdMusic ? [{ field: "holdMusic", audio: applet.holdMusic }] : []),
    ...(applet.whisper ? [{ field: "whisper", audio: applet.whisper }] : []),
  ],
  validate: validateConnect,
  enter: enterConnect,
  playbackFinished(b, run, _applet, playbackId) {
    callbackPlaybackFinished(b, playbackId);
    if (run.kind === "connect" && run.phase === "whisper" && run.whisperPlaybackId === playbackId) {
      const winner = run.legIds.find((id) => b.state.legs[id]?.status === "answered");
      if (winner !== undefined) bridgeAgent(b, winner);
    }
  },
  digit(b, _run, _applet, digit) {
    // A queued caller's digit is the callback prompts'.
    callbackDigit(b, digit);
  },
  timerFired(b, run, _applet, kind) {
    if (run.kind !== "connect") return;
    switch (kind) {
      case "ringTimeout":
        if (run.phase !== "ringing") return;
        for (const legId of run.legIds) cancelLeg(b, legId, "ringTimeout");
        attemptFailed(b);
        return;
      case "queueMaxWait":
        // While a freed agent is being offered the call, the offer decides; a failed offer re-checks the deadline.
        if (run.queue?.waiting) completeConnect(b, "queueTimeout", "max queue wait reached");
        return;
      case "queuePosition":
        maybeAnnounce(b, true);
        return;
      case "callbackOffer":
        offerCallback(b);
        return;
      case "callbackRetry": {
        const retry = callbackRetryGroup(b);
        if (retry) enqueue(b, retry.group, retry.enqueuedAt);
        return;
      }
      case "callbackRingTimeout":
        if (callbackAttemptFailed(b, "the customer did not answer")) endCall(b, "callbackFailed");
        return;
      default:
        return;
    }
  },
  leave(b, run, reason) {
    if (run.kind !== "connect" || !run.queue?.waiting) return;
    b.queueCommand(run.queue.groupId, {
      type: "Leave",
      callId: b.state.callId,
      reason: reason === "callerHungUp" ? "callerHungUp" : "callEnded",
      at: b.now,
    });
    b.emit({ type: "CallerDequeued", data: { groupId: run.queue.groupId, reason: "callEnded" } });
  },
};
