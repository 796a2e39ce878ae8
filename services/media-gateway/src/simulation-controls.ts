import type { Random } from "@switchyard/clock";
import type { Audio, Contact } from "@switchyard/routing-domain";
import type { MediaDriver } from "./driver.js";

/**
 * Digits a party presses: `afterSec` after the phone answered (outbound) or the call started (inbound), or
 * `whenPrompted`: after the next prompt played to the leg finished (greetings, IVR menus, whispers — not
 * hold music or position announcements), plus `afterSec` (default 0.5 s).
 */
export type DtmfScript =
  | { readonly digits: string; readonly afterSec: number; readonly whenPrompted?: false }
  | { readonly digits: string; readonly whenPrompted: true; readonly afterSec?: number };

/** What a called phone does with one call attempt. Times are platform seconds. */
export type PhoneBehaviour =
  | {
      readonly kind: "answer";
      /** Answers this long after the INVITE (default 2 s); never if the originate timeout passes first. */
      readonly afterSec?: number;
      /** Hangs up this long after it was first bridged to another leg (talk time). */
      readonly talkSec?: number;
      /** Hangs up this long after answering, bridged or not. */
      readonly hangUpAfterAnswerSec?: number;
      readonly dtmf?: readonly DtmfScript[];
      /** 180 Ringing after this long (default 0.1 s). */
      readonly ringingAfterSec?: number;
    }
  /** Rings until cancelled or until the gateway's own originate timeout (then `noAnswer`). */
  | { readonly kind: "noAnswer"; readonly ringingAfterSec?: number }
  /** 486 Busy Here at once, without ringing. */
  | { readonly kind: "busy" }
  /** Rings, then the person declines (603 Decline, reported as `busy`) after `afterSec` (default 1 s). */
  | { readonly kind: "reject"; readonly afterSec?: number; readonly ringingAfterSec?: number }
  /** The attempt fails (404/503/unreachable) after `afterSec` (default 0). */
  | { readonly kind: "fail"; readonly afterSec?: number; readonly detail?: string };

export interface PhoneAttempt {
  /** 1 for the first call this phone receives. */
  readonly attempt: number;
  readonly channelId: string;
  readonly to: Contact;
  readonly callerId: string;
  /** Platform time of the INVITE. */
  readonly at: number;
  readonly rng: Random;
}

/**
 * One behaviour for every call, a queue (one per call, the last one repeats), or a function of the attempt
 * (e.g. answer with a probability drawn from the injected rng).
 */
export type PhoneScript =
  | PhoneBehaviour
  | readonly PhoneBehaviour[]
  | ((attempt: PhoneAttempt) => PhoneBehaviour);

/** A caller dialling a business number. Times are platform seconds from the moment the call arrives. */
export interface InboundCallScript {
  readonly from: string;
  /** The business number (or SIP URI) dialled. */
  readonly to: string;
  readonly dtmf?: readonly DtmfScript[];
  /** Hangs up after waiting this long without having been bridged to anyone (abandon). */
  readonly patienceSec?: number;
  /** Hangs up this long after first being bridged (talk time). */
  readonly talkSec?: number;
  /** Hangs up this long after the call arrived, whatever happens. */
  readonly hangUpAfterSec?: number;
  /** When asked to leave a voicemail, speaks this long and hangs up (default: until the maximum length). */
  readonly voicemailSec?: number;
  /**
   * What the agent who first answers this caller does: transfers them, from their phone, after talking this
   * long (as a REFER or the DTMF transfer codes would). The caller's talk time then starts again when they are
   * put through to someone (`talkAfterTransferSec`).
   */
  readonly agentTransfer?: ScriptedTransfer;
  /**
   * Once put on hold by a transfer, the caller's talk time is this, from being bridged again (to the
   * transfer's target, or back to the first agent when it failed).
   */
  readonly talkAfterTransferSec?: number;
}

/** A transfer an answering agent's phone starts (see `InboundCallScript.agentTransfer`). */
export interface ScriptedTransfer {
  /** Seconds after the agent was bridged to the caller. */
  readonly afterSec: number;
  readonly mode: "warm" | "blind";
  /** As the phone names it (the gateway's transfer codes, else a number). */
  readonly target: string;
  /** Warm: the agent completes this long after the target answered and was bridged to them (default 0). */
  readonly consultSec?: number;
}

/** Contact → the key phones are scripted under: the number, or the SIP URI. */
export function contactKey(contact: Contact): string {
  return contact.kind === "phone" ? contact.number : contact.uri;
}

/** How long a playback lasts in platform ms (the simulation's stand-in for the audio file's length). */
export type PlaybackDuration = (audio: Audio, purpose: "play" | "position") => number;

export const defaultPlaybackDuration: PlaybackDuration = (audio, purpose) => {
  if (purpose === "position") return 3_000;
  switch (audio.kind) {
    case "tts":
      // About 150 words a minute.
      return Math.max(1_000, audio.text.split(/\s+/).filter(Boolean).length * 400);
    case "url":
      return 3_000;
    case "defaultTone":
    case "ringback":
      return 2_000;
    case "stored":
      // Only when a driver plays stored audio without its source: the simulated driver plays the file's own
      // length from its StoredAudioSource.
      return 3_000;
    default: {
      const unknown: never = audio;
      throw new Error(`unknown audio ${JSON.stringify(unknown)}`);
    }
  }
};

export type MediaLogKind =
  | "inbound"
  | "originated"
  | "ringing"
  | "answered"
  | "ended"
  | "holdMusicStarted"
  | "holdMusicStopped"
  | "playbackStarted"
  | "playbackFinished"
  | "playbackStopped"
  | "positionAnnounced"
  | "bridged"
  | "unbridged"
  | "recordingStarted"
  | "recordingStopped"
  | "voicemailStarted"
  | "voicemailFinished"
  | "dtmf"
  | "transferRequested"
  | "ignored";

/** One line of what happened on a channel, in the order it happened (`seq` is global to the driver). */
export interface MediaLogEntry {
  readonly seq: number;
  /** Platform time. */
  readonly at: number;
  readonly channelId: string;
  readonly kind: MediaLogKind;
  readonly audio?: Audio;
  /** How long a stored audio file plays (its real length), on its playbackStarted / holdMusicStarted. */
  readonly durationMs?: number;
  readonly playbackId?: string;
  readonly position?: number;
  /** The other leg of a bridge. */
  readonly peer?: string;
  readonly recordingId?: string;
  readonly digit?: string;
  readonly reason?: string;
  readonly detail?: string;
}

/**
 * A driver whose phones and callers are code (the simulator): what tests, the demo and `simulate` drive it
 * with. The gateway offers these only when its driver has them; it does not know which driver that is.
 */
export interface SimulationControls {
  placeInboundCall(script: InboundCallScript): string;
  setPhone(numberOrUri: string, script: PhoneScript): void;
  mediaLog(channelId?: string): MediaLogEntry[];
}

export function hasSimulationControls(driver: MediaDriver): driver is MediaDriver & SimulationControls {
  const d = driver as Partial<SimulationControls>;
  return (
    typeof d.placeInboundCall === "function" &&
    typeof d.setPhone === "function" &&
    typeof d.mediaLog === "function"
  );
}
