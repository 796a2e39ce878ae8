import type { Audio, Contact, LegEndReason } from "@switchyard/routing-domain";

/**
 * A media driver is the only code that touches telephony. It addresses calls by **channel id**: for a leg it
 * originated, the channel id is the leg id it was given; for an inbound call it is the driver's own id for
 * the inbound channel (the gateway learns the call's caller leg id later and translates).
 *
 * Every method resolves once the driver has accepted the request (the SIP request was sent, the media
 * operation was started), not when it completed: completion arrives as a {@link DriverEvent}. Requests for
 * a channel that is unknown or already gone are ignored (a redelivered command must be harmless).
 */
export interface MediaDriver {
  /** Subscribes to the driver's facts; returns the unsubscribe function. Events arrive in order. */
  onEvent(listener: (event: DriverEvent) => void): () => void;

  /**
   * Places an outbound leg (SIP INVITE with the caller id as From/P-Asserted-Identity). Facts: `ringing`
   * (180/183), `answered` (200), or `ended` with busy (486/600/603), failed (4xx/5xx/unreachable),
   * noAnswer (nothing final within `timeoutSec`, the driver's own guard; the router's ring timeout normally
   * cancels earlier).
   */
  originate(request: OriginateRequest): Promise<void>;
  /** Abandons a leg not yet answered (CANCEL); fact: `ended{cancelled}`. On an answered leg: hangs up. */
  cancel(channelId: string, reason: string): Promise<void>;
  /** Ends an answered leg (BYE); fact: `ended{hungUp}`. */
  hangup(channelId: string, reason: string): Promise<void>;

  /** Plays audio to this leg only (a whisper, greeting, IVR prompt); fact: `playbackFinished`. */
  play(channelId: string, playbackId: string, audio: Audio): Promise<void>;
  /**
   * Cuts a playback short (IVR barge-in: the caller pressed a digit during the prompt). No fact: the stopped
   * playback never reports `playbackFinished`. Unknown or already finished playbacks are ignored.
   */
  stopPlayback(channelId: string, playbackId: string): Promise<void>;
  /** Tells a queued caller their position (TTS or number prompts); fact: `playbackFinished`. */
  /** Tells a waiting caller their place in the queue and, when known, the expected wait. */
  announcePosition(
    channelId: string,
    playbackId: string,
    position: number,
    expectedWaitSec?: number,
  ): Promise<void>;
  /** Loops audio to this leg until stopped, bridged, or the leg ends. No fact. */
  startHoldMusic(channelId: string, audio: Audio): Promise<void>;
  stopHoldMusic(channelId: string): Promise<void>;

  /** Connects two answered legs' media (a leg already bridged elsewhere is unbridged first). */
  bridge(a: string, b: string): Promise<void>;
  unbridge(a: string, b: string): Promise<void>;

  /** Records the legs' mixed audio until `stopRecording` or until every leg ended. No fact. */
  startRecording(recordingId: string, channelIds: readonly string[]): Promise<void>;
  stopRecording(recordingId: string): Promise<void>;
  /** Records one leg (a voicemail) until it hangs up or `maxLengthSec` passes; fact: `recordingFinished`. */
  recordVoicemail(recordingId: string, channelId: string, maxLengthSec: number): Promise<void>;

  /**
   * Whether a channel is still up (not ended). A restarted gateway asks this for every leg it owned: a leg
   * whose channel is gone is reported ended `failed`, one that survived (a media server that outlived the
   * gateway process) is driven on. Without it, every channel is assumed to have died with the process.
   * Channel ids must therefore not be reused across driver restarts.
   */
  channelExists?(channelId: string): boolean | Promise<boolean>;

  /**
   * Stops taking new inbound calls (the gateway drains before it shuts down): from now on a new call is
   * refused before it is answered or reported (SIP: 503 with Retry-After, so the carrier tries another
   * gateway); calls already up are unaffected. A driver without it has new calls hung up by the gateway as
   * they are reported.
   */
  refuseNewCalls?(): void;

  /**
   * Leg commands the gateway executes at once across calls unless configured (default 16). A driver whose
   * phones are code and whose results must be reproducible (the simulator) asks for 1.
   */
  readonly commandConcurrency?: number;

  /** Stops every timer and releases every channel; no facts are emitted afterwards. */
  close(): Promise<void>;
}

export interface OriginateRequest {
  readonly channelId: string;
  readonly to: Contact;
  /** E.164 number or SIP URI presented to the called party. */
  readonly callerId: string;
  readonly timeoutSec: number;
}

/** What the driver reports. `at` is the platform clock reading when it happened. */
export type DriverEvent =
  | {
      readonly type: "inboundCall";
      readonly channelId: string;
      readonly from: string;
      /** The business number (or SIP URI) that was dialled. */
      readonly to: string;
      /** The trunk the call came in on (a SIP driver's configured trunk name). */
      readonly trunk?: string;
      readonly at: number;
    }
  | { readonly type: "ringing"; readonly channelId: string; readonly at: number }
  | { readonly type: "answered"; readonly channelId: string; readonly at: number }
  | {
      readonly type: "ended";
      readonly channelId: string;
      /**
       * The domain's reasons. A called party that declines (SIP 603) is reported as `busy` because the domain
       * treats a decline like a busy line (fallback "busy"); `detail` keeps the difference for logs.
       */
      readonly reason: LegEndReason;
      readonly detail?: string;
      readonly at: number;
    }
  | { readonly type: "dtmf"; readonly channelId: string; readonly digit: string; readonly at: number }
  | {
      readonly type: "playbackFinished";
      readonly channelId: string;
      readonly playbackId: string;
      readonly at: number;
    }
  | {
      readonly type: "recordingFinished";
      readonly channelId: string;
      readonly recordingId: string;
      readonly at: number;
    }
  | AgentTransferEvent;

/**
 * An agent's phone asks for a transfer of the call it is on: a REFER (blind, `target` = the Refer-To user
 * part) or DTMF codes (warm start with the dialled target digits, then complete or cancel). The gateway turns
 * it into the call's `RequestTransfer` / `CompleteTransfer` / `CancelTransfer` input.
 */
export type AgentTransferEvent =
  | {
      readonly type: "agentTransfer";
      readonly channelId: string;
      readonly action: "start";
      readonly mode: "warm" | "blind";
      readonly target: string;
      readonly at: number;
    }
  | {
      readonly type: "agentTransfer";
      readonly channelId: string;
      readonly action: "complete" | "cancel";
      readonly at: number;
    };

export type DriverEventType = DriverEvent["type"];
