import type { DecisionBuilder } from "./builder.js";
import { enterConnect } from "./connect.js";
import { cancelLeg, isLive } from "./legs.js";

const MAX_HOPS = 64;

/** Enters an applet of the call's flow; `undefined` (no branch) ends the call. */
export function goTo(b: DecisionBuilder, appletId: string | undefined, endReason = "flowEnded"): void {
  if (appletId === undefined) {
    endCall(b, endReason);
    return;
  }
  const applet = b.ctx.config.flows[b.state.flowId]?.applets[appletId];
  if (!applet || ++b.hops > MAX_HOPS) {
    endCall(b, applet ? "flowLoop" : `unknown applet ${appletId}`);
    return;
  }
  b.emit({ type: "AppletEntered", data: { appletId, kind: applet.kind, at: b.now } });
  const caller = b.state.callerLegId;
  switch (applet.kind) {
    case "greeting":
      b.emit({
        type: "PlaybackStarted",
        data: { playbackId: b.newId("play"), legId: caller, audio: applet.audio, purpose: "greeting" },
      });
      return;
    case "ivrMenu":
      b.emit({
        type: "PlaybackStarted",
        data: { playbackId: b.newId("play"), legId: caller, audio: applet.prompt, purpose: "ivrPrompt" },
      });
      return;
    case "connect":
      enterConnect(b, appletId, applet);
      return;
    case "voicemail":
      if (applet.greeting) {
        b.emit({
          type: "PlaybackStarted",
          data: {
            playbackId: b.newId("play"),
            legId: caller,
            audio: applet.greeting,
            purpose: "voicemailGreeting",
          },
        });
      } else {
        startVoicemail(b, applet.maxLengthSec);
      }
      return;
    case "hangup":
      endCall(b, "hangupApplet");
      return;
    default: {
      const unknown: never = applet;
      throw new Error(`unknown applet ${JSON.stringify(unknown)}`);
    }
  }
}

export function startVoicemail(b: DecisionBuilder, maxLengthSec: number): void {
  b.emit({
    type: "VoicemailRecordingStarted",
    data: { recordingId: b.newId("vm"), legId: b.state.callerLegId, maxLengthSec },
  });
}

/** Tears the whole call down: timers, queue place, recording, every leg and every agent it holds. */
export function endCall(b: DecisionBuilder, reason: string): void {
  for (const timerId of Object.keys(b.state.timers)) b.emit({ type: "TimerCancelled", data: { timerId } });
  const applet = b.state.applet;
  if (applet?.kind === "connect" && applet.queue?.waiting) {
    b.queueCommand(applet.queue.groupId, {
      type: "Leave",
      callId: b.state.callId,
      reason: reason === "callerHungUp" ? "callerHungUp" : "callEnded",
      at: b.now,
    });
    b.emit({ type: "CallerDequeued", data: { groupId: applet.queue.groupId, reason: "callEnded" } });
  }
  if (applet?.kind === "voicemail" && applet.recordingId !== undefined) {
    b.emit({ type: "VoicemailRecorded", data: { recordingId: applet.recordingId, at: b.now } });
  }
  if (b.state.recordingId !== undefined) {
    b.emit({ type: "RecordingStopped", data: { recordingId: b.state.recordingId } });
  }
  for (const leg of Object.values(b.state.legs)) {
    if (leg.role === "caller") {
      if (isLive(leg)) b.emit({ type: "LegHangupRequested", data: { legId: leg.legId, reason } });
    } else {
      cancelLeg(b, leg.legId, reason);
    }
  }
  b.emit({ type: "CallEnded", data: { reason, at: b.now } });
}
