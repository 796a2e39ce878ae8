import type { Audio, Contact } from "../shared/audio.js";
import type { CallEvent } from "./types.js";

/**
 * What a media gateway is told to do. Derived from call events only, so a gateway can be driven purely from
 * the event stream; the router gives each command an id derived from its event's id (idempotent retries).
 */
export type LegCommand =
  | {
      readonly kind: "originate";
      readonly legId: string;
      readonly to: Contact;
      readonly callerId: string;
      readonly timeoutSec: number;
    }
  | { readonly kind: "cancel"; readonly legId: string; readonly reason: string }
  | { readonly kind: "hangup"; readonly legId: string; readonly reason: string }
  | { readonly kind: "playHoldMusic"; readonly legId: string; readonly audio: Audio }
  | { readonly kind: "stopHoldMusic"; readonly legId: string }
  | { readonly kind: "play"; readonly legId: string; readonly playbackId: string; readonly audio: Audio }
  | { readonly kind: "stopPlayback"; readonly legId: string; readonly playbackId: string }
  | {
      readonly kind: "announcePosition";
      readonly legId: string;
      readonly playbackId: string;
      readonly position: number;
      readonly expectedWaitSec?: number;
    }
  | { readonly kind: "bridge"; readonly legIds: readonly [string, string] }
  | { readonly kind: "unbridge"; readonly legIds: readonly [string, string] }
  | { readonly kind: "startRecording"; readonly recordingId: string; readonly legIds: readonly string[] }
  | { readonly kind: "stopRecording"; readonly recordingId: string }
  | {
      readonly kind: "recordVoicemail";
      readonly recordingId: string;
      readonly legId: string;
      readonly maxLengthSec: number;
    };

/** The media effect of one call event, if it has one. */
export function legCommandOf(event: CallEvent): LegCommand | undefined {
  switch (event.type) {
    case "LegOriginateRequested": {
      const { legId, to, callerId, timeoutSec } = event.data;
      return { kind: "originate", legId, to, callerId, timeoutSec };
    }
    case "LegCancelRequested":
      return { kind: "cancel", ...event.data };
    case "LegHangupRequested":
      return { kind: "hangup", ...event.data };
    case "HoldMusicStarted":
      return { kind: "playHoldMusic", ...event.data };
    case "HoldMusicStopped":
      return { kind: "stopHoldMusic", ...event.data };
    case "PlaybackStarted":
      return {
        kind: "play",
        legId: event.data.legId,
        playbackId: event.data.playbackId,
        audio: event.data.audio,
      };
    case "PlaybackStopped":
      return { kind: "stopPlayback", legId: event.data.legId, playbackId: event.data.playbackId };
    case "WhisperRequested":
      return { kind: "play", ...event.data };
    case "QueuePositionAnnounced":
      return {
        kind: "announcePosition",
        legId: event.data.legId,
        playbackId: event.data.playbackId,
        position: event.data.position,
        ...(event.data.expectedWaitSec === undefined ? {} : { expectedWaitSec: event.data.expectedWaitSec }),
      };
    case "LegsBridged":
      return { kind: "bridge", legIds: event.data.legIds };
    case "LegsUnbridged":
      return { kind: "unbridge", legIds: event.data.legIds };
    case "RecordingStarted":
      return { kind: "startRecording", recordingId: event.data.recordingId, legIds: event.data.legIds };
    case "RecordingStopped":
      return { kind: "stopRecording", ...event.data };
    case "VoicemailRecordingStarted":
      return { kind: "recordVoicemail", ...event.data };
    default:
      return undefined;
  }
}

export function legCommandsFrom(events: readonly CallEvent[]): LegCommand[] {
  return events.flatMap((e) => {
    const c = legCommandOf(e);
    return c ? [c] : [];
  });
}
