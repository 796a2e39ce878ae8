import type { ExternalLegsEvent, ExternalLegsState } from "../account/external-legs.js";
import type { AgentEvent, PresenceView } from "../agent/agent.js";
import type { ConfigSnapshot, Strategy } from "../config/snapshot.js";
import type { AppletKind, CallerIdOption, ConnectOutcome, ConnectTarget } from "../flow/model.js";
import type { QueueEvent, QueueView } from "../queue/queue.js";
import type { Audio, Contact } from "../shared/audio.js";
import type { GroupEvent, GroupView } from "../strategies/group-state.js";
import type { MemberIndex } from "../strategies/indexed.js";
import type { CandidateReport, SequentialProgress, TieBreak } from "../strategies/strategies.js";

export const callStreamId = (callId: string): string => `call-${callId}`;
/** The call whose stream this is, or undefined for another stream. */
export const callIdOfStream = (streamId: string): string | undefined =>
  streamId.startsWith("call-") ? streamId.slice("call-".length) : undefined;

/** `customer`: the number a callback dials once an agent has answered it. */
export type LegRole = "caller" | "target" | "consult" | "customer";
export type LegFailure = "busy" | "noAnswer" | "failed";
export type LegEndReason = LegFailure | "hungUp" | "cancelled";
export type TimerKind =
  | "ringTimeout"
  | "ivrTimeout"
  | "queueMaxWait"
  | "queuePosition"
  | "transferRingTimeout"
  | "callbackOffer"
  | "callbackRetry"
  | "callbackRingTimeout";

export type TransferTarget =
  | { readonly kind: "agent"; readonly agentId: string }
  | { readonly kind: "group"; readonly groupId: string }
  | { readonly kind: "number"; readonly number: string };

export interface CallerIdChoice {
  readonly number: string;
  readonly source: "business" | "caller" | "custom";
  readonly reason: string;
}

/** The "why this agent" record: everything a routing decision looked at, and what it chose. */
export interface RoutingDecision {
  readonly appletId: string;
  readonly target: ConnectTarget | TransferTarget;
  readonly purpose: "connect" | "queueOffer" | "transfer";
  readonly strategy?: Strategy;
  readonly groupId?: string;
  readonly configVersion: number;
  readonly seed: string;
  readonly candidates: readonly CandidateReport[];
  /** Members looked at but not listed in `candidates` (a large group's record is kept small). */
  readonly candidatesOmitted?: number;
  readonly chosen: readonly string[];
  readonly reason: string;
  readonly tieBreak?: TieBreak;
  readonly sequential?: SequentialProgress;
  /** The ring plan: */
  readonly legs: ReadonlyArray<{ readonly legId: string; readonly to: Contact; readonly agentId?: string }>;
  readonly ringTimeoutSec: number;
  readonly callerId: CallerIdChoice;
  readonly holdMusic: Audio;
  readonly whisper?: Audio;
  readonly recording: { readonly enabled: boolean; readonly reason: string };
}

/** The ring plan part of a routing decision: what the media side must do to offer the call. */
export type RingPlan = Pick<
  RoutingDecision,
  "legs" | "ringTimeoutSec" | "callerId" | "holdMusic" | "whisper" | "recording"
>;

export type CallEvent =
  | {
      readonly type: "CallStarted";
      readonly data: {
        readonly callId: string;
        readonly from: string;
        readonly to: string;
        readonly flowId: string;
        readonly callerLegId: string;
        readonly configVersion: number;
        readonly at: number;
      };
    }
  | {
      readonly type: "AppletEntered";
      readonly data: { readonly appletId: string; readonly kind: AppletKind; readonly at: number };
    }
  | {
      readonly type: "PlaybackStarted";
      readonly data: {
        readonly playbackId: string;
        readonly legId: string;
        readonly audio: Audio;
        readonly purpose: "greeting" | "ivrPrompt" | "voicemailGreeting" | "callbackPrompt";
      };
    }
  /** A prompt cut short (barge-in: the caller pressed a digit while it played); no PlaybackFinished follows. */
  | {
      readonly type: "PlaybackStopped";
      readonly data: { readonly playbackId: string; readonly legId: string };
    }
  | {
      readonly type: "IvrInputRejected";
      readonly data: {
        readonly appletId: string;
        readonly reason: "timeout" | "invalidDigit";
        readonly digit?: string;
        readonly attempt: number;
        readonly willRetry: boolean;
      };
    }
  | {
      /**
       * An applet that chooses by a rule (not by the caller's input) took a branch, and why: the answer to
       * "why did this call go there?".
       */
      readonly type: "AppletBranchTaken";
      readonly data: {
        readonly appletId: string;
        readonly branch: string;
        readonly next: string;
        readonly reason: string;
      };
    }
  | {
      readonly type: "IvrBranchChosen";
      readonly data: { readonly appletId: string; readonly digit: string; readonly next: string };
    }
  | {
      readonly type: "TimerScheduled";
      readonly data: { readonly timerId: string; readonly kind: TimerKind; readonly dueAt: number };
    }
  | { readonly type: "TimerCancelled"; readonly data: { readonly timerId: string } }
  | {
      readonly type: "TimerElapsed";
      readonly data: { readonly timerId: string; readonly kind: TimerKind; readonly at: number };
    }
  | { readonly type: "RoutingDecided"; readonly data: RoutingDecision }
  | {
      readonly type: "LegOriginateRequested";
      readonly data: {
        readonly legId: string;
        readonly role: LegRole;
        readonly to: Contact;
        readonly agentId?: string;
        readonly callerId: string;
        readonly timeoutSec: number;
      };
    }
  | { readonly type: "LegRinging"; readonly data: { readonly legId: string; readonly at: number } }
  | { readonly type: "LegAnswered"; readonly data: { readonly legId: string; readonly at: number } }
  | {
      readonly type: "LegEnded";
      readonly data: { readonly legId: string; readonly reason: LegEndReason; readonly at: number };
    }
  | {
      readonly type: "LegCancelRequested";
      readonly data: { readonly legId: string; readonly reason: string };
    }
  | {
      readonly type: "LegHangupRequested";
      readonly data: { readonly legId: string; readonly reason: string };
    }
  | { readonly type: "HoldMusicStarted"; readonly data: { readonly legId: string; readonly audio: Audio } }
  | { readonly type: "HoldMusicStopped"; readonly data: { readonly legId: string } }
  | {
      readonly type: "WhisperRequested";
      readonly data: { readonly playbackId: string; readonly legId: string; readonly audio: Audio };
    }
  | {
      readonly type: "LegsBridged";
      readonly data: { readonly legIds: readonly [string, string]; readonly at: number };
    }
  | { readonly type: "LegsUnbridged"; readonly data: { readonly legIds: readonly [string, string] } }
  | {
      readonly type: "RecordingStarted";
      readonly data: {
        readonly recordingId: string;
        readonly legIds: readonly string[];
        readonly reason: string;
        /** A new segment of the call's recording (after a transfer): the recording id it continues. */
        readonly continues?: string;
      };
    }
  | { readonly type: "RecordingStopped"; readonly data: { readonly recordingId: string } }
  | {
      readonly type: "ConnectCompleted";
      readonly data: {
        readonly appletId: string;
        readonly outcome: ConnectOutcome;
        readonly reason: string;
        readonly next?: string;
      };
    }
  | {
      readonly type: "CallerEnqueued";
      readonly data: { readonly groupId: string; readonly enqueuedAt: number; readonly position: number };
    }
  | {
      readonly type: "QueuePositionAnnounced";
      readonly data: {
        readonly playbackId: string;
        readonly legId: string;
        readonly position: number;
        readonly at: number;
        /** The queue's estimate for this position (see expectedWaitSec); absent without enough history. */
        readonly expectedWaitSec?: number;
      };
    }
  | {
      readonly type: "CallerDequeued";
      readonly data: { readonly groupId: string; readonly reason: "agentOffered" | "maxWait" | "callEnded" };
    }
  | {
      readonly type: "VoicemailRecordingStarted";
      readonly data: {
        readonly recordingId: string;
        readonly legId: string;
        readonly maxLengthSec: number;
      };
    }
  | {
      readonly type: "VoicemailRecorded";
      readonly data: { readonly recordingId: string; readonly at: number };
    }
  | {
      readonly type: "TransferRequested";
      readonly data: {
        readonly transferId: string;
        readonly mode: "warm" | "blind";
        readonly target: TransferTarget;
        readonly agentLegId: string;
      };
    }
  | {
      readonly type: "TransferCompleted";
      readonly data: { readonly transferId: string; readonly agentLegId: string };
    }
  | {
      readonly type: "TransferFailed";
      readonly data: { readonly transferId: string; readonly reason: string; readonly returnedTo?: string };
    }
  /** The interactive part of a callback offer: the caller's progress through the prompts. */
  | {
      readonly type: "CallbackStep";
      readonly data: {
        readonly phase: "offered" | "confirming" | "entering";
        readonly number?: string;
        readonly digits?: string;
      };
    }
  /** The caller accepted a callback to `number` and keeps their place in the queue. */
  | { readonly type: "CallbackRequested"; readonly data: { readonly number: string; readonly at: number } }
  | {
      readonly type: "CallbackAttemptFailed";
      readonly data: { readonly attempt: number; readonly reason: string; readonly willRetry: boolean };
    }
  | {
      /** A leg the decision wanted that the account's dial policy refuses (it is never originated). */
      readonly type: "DialRefused";
      readonly data: {
        readonly to: Contact;
        readonly agentId?: string;
        readonly purpose: "connect" | "transfer";
        readonly reason: string;
      };
    }
  | { readonly type: "CallEnded"; readonly data: { readonly reason: string; readonly at: number } };

export type CallEventType = CallEvent["type"];

interface At {
  /** The router's clock reading for this input (epoch ms). */
  readonly now: number;
  /** Tie-break seed for any routing this input causes; default derived from the call id and version. */
  readonly seed?: string;
}

export type CallCommand =
  | ({ readonly type: "StartCall"; readonly callId: string; readonly from: string; readonly to: string } & At)
  | ({ readonly type: "LegRinging"; readonly legId: string } & At)
  | ({ readonly type: "LegAnswered"; readonly legId: string } & At)
  | ({ readonly type: "LegEnded"; readonly legId: string; readonly reason: LegEndReason } & At)
  | ({ readonly type: "PlaybackFinished"; readonly playbackId: string } & At)
  | ({ readonly type: "DtmfReceived"; readonly digit: string } & At)
  | ({ readonly type: "RecordingFinished"; readonly recordingId: string } & At)
  | ({ readonly type: "TimerFired"; readonly timerId: string } & At)
  | ({ readonly type: "OfferAgent"; readonly agentId: string } & At)
  | ({ readonly type: "QueueChanged" } & At)
  | ({
      readonly type: "RequestTransfer";
      readonly transferId: string;
      readonly mode: "warm" | "blind";
      readonly target: TransferTarget;
      /** What the target sees as the calling number, as for a Connect; absent: the business number. */
      readonly callerId?: CallerIdOption;
    } & At)
  | ({ readonly type: "CompleteTransfer"; readonly transferId: string } & At)
  | ({ readonly type: "CancelTransfer"; readonly transferId: string } & At)
  | ({ readonly type: "HangUp"; readonly reason: string } & At);

export type CallCommandType = CallCommand["type"];

export interface LegInfo {
  readonly legId: string;
  readonly role: LegRole;
  readonly agentId?: string;
  readonly status: "originating" | "ringing" | "answered" | "cancelling" | "hangingUp" | "ended";
  readonly endReason?: LegEndReason;
  /** The number, for a leg to a phone number (an external leg under the dial policy's caps). */
  readonly phoneNumber?: string;
}

export interface ConnectRun {
  readonly kind: "connect";
  readonly appletId: string;
  readonly phase: "routing" | "ringing" | "whisper" | "bridged" | "queued";
  readonly groupId?: string;
  readonly strategy?: Strategy;
  readonly sequential?: SequentialProgress;
  /** Target legs of the current attempt. */
  readonly legIds: readonly string[];
  /** How each attempt's legs failed (decides noAnswer vs busy vs failed). */
  readonly failures: readonly LegFailure[];
  readonly agentLegId?: string;
  readonly whisperPlaybackId?: string;
  readonly plan?: RoutingDecision;
  readonly queue?: {
    readonly groupId: string;
    readonly enqueuedAt: number;
    readonly waiting: boolean;
    readonly lastAnnouncedPosition?: number;
    readonly lastAnnouncedAt?: number;
    readonly callback?: CallbackRun;
  };
}

/**
 * A queued caller's callback: offered (the prompt played), confirming the number, entering another number,
 * or requested (the caller hung up and keeps their place; `attempts` failed calls back so far).
 */
export interface CallbackRun {
  readonly phase: "offered" | "confirming" | "entering" | "requested";
  readonly number?: string;
  readonly digits?: string;
  readonly attempts: number;
  readonly goodbyePlaybackId?: string;
  readonly customerLegId?: string;
}

export type AppletRun =
  | { readonly kind: "greeting"; readonly appletId: string; readonly playbackId?: string }
  | {
      readonly kind: "ivrMenu";
      readonly appletId: string;
      readonly attempt: number;
      readonly playbackId?: string;
    }
  | ConnectRun
  | {
      readonly kind: "voicemail";
      readonly appletId: string;
      readonly playbackId?: string;
      readonly recordingId?: string;
    }
  | PassingRun;

/**
 * The run of an applet that holds nothing while the call is in it (it hands the call on, or ends it, as it is
 * entered): every applet kind without a run of its own above.
 */
export interface PassingRun {
  readonly kind: Exclude<AppletKind, "greeting" | "ivrMenu" | "connect" | "voicemail">;
  readonly appletId: string;
}

export interface TransferRun {
  readonly transferId: string;
  readonly mode: "warm" | "blind";
  readonly target: TransferTarget;
  /** Agent A's leg (the one transferring). */
  readonly fromLegId: string;
  readonly phase: "ringing" | "consulting";
  readonly legIds: readonly string[];
  readonly consultLegId?: string;
  readonly timerId?: string;
  /** Agent A left before B answered: B goes straight to the caller. */
  readonly fromLegGone: boolean;
  /** The latest ring decision of the transfer. */
  readonly plan?: RoutingDecision;
  /** Agents rung for the transfer so far (a group target tries each member once). */
  readonly tried?: readonly string[];
}

export interface CallState {
  readonly status: "none" | "active" | "ended";
  /** Number of events applied: the call stream's version. */
  readonly version: number;
  readonly callId: string;
  readonly from: string;
  readonly to: string;
  readonly flowId: string;
  readonly configVersion: number;
  readonly callerLegId: string;
  readonly applet?: AppletRun;
  readonly legs: Readonly<Record<string, LegInfo>>;
  readonly timers: Readonly<Record<string, { readonly kind: TimerKind; readonly dueAt: number }>>;
  readonly bridge?: readonly [string, string];
  readonly holdMusic: readonly string[];
  readonly recordingId?: string;
  readonly transfer?: TransferRun;
  /** The agent leg currently connected to the caller (after a Connect answered or a transfer completed). */
  readonly agentLegId?: string;
  readonly endReason?: string;
}

export const INITIAL_CALL: CallState = {
  status: "none",
  version: 0,
  // The ids of a call not yet started are never read: every command but StartCall is refused (CallNotFoundError)
  // on it, and CallStarted sets them.
  // Stryker disable next-line StringLiteral: never read (above)
  callId: "",
  // Stryker disable next-line StringLiteral: never read (above)
  from: "",
  // Stryker disable next-line StringLiteral: never read (above)
  to: "",
  flowId: "",
  configVersion: 0,
  callerLegId: "",
  legs: {},
  timers: {},
  holdMusic: [],
};

/** Everything a router needs besides the call's own state. */
export interface DecisionContext {
  readonly config: ConfigSnapshot;
  readonly presence: PresenceView;
  readonly queues: QueueView;
  readonly groups: GroupView;
  /**
   * Ordered indexes of a large group's available members, kept by the presence view: the strategy then
   * looks only at the candidates it needs (same choice as over every member; see `selectIndexed`).
   */
  readonly memberIndex?: (groupId: string) => MemberIndex | undefined;
  /**
   * The account's external legs (present when the dial policy caps them): read only when a decision dials
   * or ends a phone leg, so other decisions never conflict on the account's one stream.
   */
  readonly externalLegs?: () => { readonly state: ExternalLegsState; readonly version: number };
}

export interface StreamWrite<E> {
  readonly streamId: string;
  /** 0: the stream must not exist yet. */
  readonly expectedVersion: number;
  readonly events: readonly E[];
}

/** What one command decided: the call's events plus the agent, queue and group streams it touches. */
export interface CallDecision {
  readonly call: StreamWrite<CallEvent>;
  readonly agents: ReadonlyArray<StreamWrite<AgentEvent> & { readonly agentId: string }>;
  readonly queues: ReadonlyArray<StreamWrite<QueueEvent> & { readonly groupId: string }>;
  readonly groups: ReadonlyArray<StreamWrite<GroupEvent> & { readonly groupId: string }>;
  /** The account's external legs, when the decision started or ended one under capped dialling. */
  readonly externalLegs?: StreamWrite<ExternalLegsEvent>;
}
