// Voicemail: an optional greeting, then records the caller's message (up to a maximum length) and goes on.
import type { DecisionBuilder } from "../../../call/builder.js";
import { settingIssue } from "../../issues.js";
import type { AppletModule } from "../applet.js";
import type { VoicemailApplet } from "./settings.js";

function startRecording(b: DecisionBuilder, maxLengthSec: number): void {
  b.emit({
    type: "VoicemailRecordingStarted",
    data: { recordingId: b.newId("vm"), legId: b.state.callerLegId, maxLengthSec },
  });
}

export const voicemail: AppletModule<VoicemailApplet> = {
  kind: "voicemail",
  waits: false,
  edges: (applet) => (applet.next === undefined ? [] : [{ label: "next", to: applet.next }]),
  audio: (applet) => (applet.greeting ? [{ field: "greeting", audio: applet.greeting }] : []),
  validate: (applet, appletId) =>
    applet.maxLengthSec > 0 ? [] : [settingIssue(appletId, "voicemail max length must be positive")],
  enter(b, _appletId, applet) {
    if (applet.greeting) {
      b.emit({
        type: "PlaybackStarted",
        data: {
          playbackId: b.newId("play"),
          legId: b.state.callerLegId,
          audio: applet.greeting,
          purpose: "voicemailGreeting",
        },
      });
    } else {
      startRecording(b, applet.maxLengthSec);
    }
  },
  playbackFinished(b, run, applet, playbackId) {
    if (run.kind !== "voicemail" || run.playbackId !== playbackId || !applet) return;
    if (run.recordingId === undefined) startRecording(b, applet.maxLengthSec);
  },
  recordingFinished(b, run, applet, recordingId) {
    if (run.kind !== "voicemail" || run.recordingId !== recordingId) return;
    b.emit({ type: "VoicemailRecorded", data: { recordingId, at: b.now } });
    b.goTo(applet?.next, "voicemailDone");
  },
  leave(b, run) {
    // The caller hung up while recording: what was recorded is the message.
    if (run.kind === "voicemail" && run.recordingId !== undefined) {
      b.emit({ type: "VoicemailRecorded", data: { recordingId: run.recordingId, at: b.now } });
    }
  },
};
