import type { Audio } from "../shared/audio.js";

/** Where a Connect applet rings. */
export type ConnectTarget =
  | { readonly kind: "number"; readonly number: string } // "Single Number"
  | { readonly kind: "agent"; readonly agentId: string }
  | { readonly kind: "group"; readonly groupId: string }
  | { readonly kind: "external"; readonly number: string } // any number, full E.164 with country code
  | { readonly kind: "sip"; readonly uri: string };

/** What the agent sees as the calling number. */
export type CallerIdOption =
  | { readonly kind: "business" }
  | { readonly kind: "caller" }
  | { readonly kind: "custom"; readonly number: string };

export type RecordOption = "inherit" | "on" | "off";

/**
 * How a Connect ends. `queueTimeout` (a queued caller waited the queue's maximum) and `queueFull` (the queue
 * had no room) take their own branch when the flow wires one, else the branch they took before they were
 * told apart (`noAnswer` and `allAgentsBusy`), so existing flows keep their meaning.
 */
export type ConnectOutcome =
  | "answered"
  | "noAnswer"
  | "busy"
  | "failed"
  | "allAgentsBusy"
  | "queueTimeout"
  | "queueFull";
export type FallbackOutcome = Exclude<ConnectOutcome, "answered">;
export const FALLBACK_OUTCOMES: readonly FallbackOutcome[] = [
  "noAnswer",
  "busy",
  "failed",
  "allAgentsBusy",
  "queueTimeout",
  "queueFull",
];
/** The outcome whose branch a queue outcome takes when the flow has no branch of its own for it. */
export const QUEUE_OUTCOME_FALLS_BACK_TO: Readonly<Partial<Record<FallbackOutcome, FallbackOutcome>>> = {
  queueTimeout: "noAnswer",
  queueFull: "allAgentsBusy",
};

export interface ConnectBranches {
  readonly noAnswer?: string;
  readonly busy?: string;
  readonly failed?: string;
  readonly allAgentsBusy?: string;
  /** A queued caller waited the queue's maximum (else the `noAnswer` branch). */
  readonly queueTimeout?: string;
  /** The queue was full (else the `allAgentsBusy` branch). */
  readonly queueFull?: string;
  /** Taken for any fallback outcome that has no branch of its own. */
  readonly fallback?: string;
}

export interface GreetingApplet {
  readonly kind: "greeting";
  readonly audio: Audio;
  /** Absent: the call ends after the greeting. */
  readonly next?: string;
}

export interface IvrMenuApplet {
  readonly kind: "ivrMenu";
  readonly prompt: Audio;
  /** DTMF digit (0-9, *, #) → applet id. */
  readonly branches: Readonly<Record<string, string>>;
  readonly timeoutSec: number;
  /** How many times the prompt is replayed after a timeout or an invalid digit before the branch below. */
  readonly retries: number;
  readonly timeoutBranch: string;
  readonly invalidBranch: string;
}

export interface ConnectApplet {
  readonly kind: "connect";
  readonly target: ConnectTarget;
  /** Default: the group's ring timeout, else 30 s. */
  readonly ringTimeoutSec?: number;
  /** Default: business number. */
  readonly callerId?: CallerIdOption;
  /** Default: the platform tone. `{ kind: "ringback" }` plays ringing instead. */
  readonly holdMusic?: Audio;
  /** Sequential strategy only: passes over the member list. Default: the group's setting, else 1. */
  readonly maxRingAttempts?: number;
  /** Played to the agent leg only, before the bridge. Default: none. */
  readonly whisper?: Audio;
  /** Default: inherit the account's (app-level) recording setting. */
  readonly record?: RecordOption;
  readonly branches: ConnectBranches;
}

export interface VoicemailApplet {
  readonly kind: "voicemail";
  readonly greeting?: Audio;
  readonly maxLengthSec: number;
  /** Absent: the call ends after the message. */
  readonly next?: string;
}

export interface HangupApplet {
  readonly kind: "hangup";
}

export type Applet = GreetingApplet | IvrMenuApplet | ConnectApplet | VoicemailApplet | HangupApplet;
export type AppletKind = Applet["kind"];

export interface Flow {
  readonly flowId: string;
  readonly name: string;
  readonly start: string;
  readonly applets: Readonly<Record<string, Applet>>;
  /**
   * The flow's (app-level) recording default, read by a Connect whose Record Call is `inherit`; absent: the
   * account's setting.
   */
  readonly recordCalls?: boolean;
}

/** Applets that wait for the caller or for time; a cycle must pass through one of these. */
export const WAITING_APPLETS: ReadonlySet<AppletKind> = new Set(["ivrMenu", "connect"]);

/** Every (label, target) edge leaving an applet. */
export function appletEdges(applet: Applet): Array<{ readonly label: string; readonly to: string }> {
  switch (applet.kind) {
    case "greeting":
    case "voicemail":
      return applet.next === undefined ? [] : [{ label: "next", to: applet.next }];
    case "ivrMenu":
      return [
        ...Object.entries(applet.branches).map(([digit, to]) => ({ label: `digit ${digit}`, to })),
        { label: "timeout", to: applet.timeoutBranch },
        { label: "invalid", to: applet.invalidBranch },
      ];
    case "connect":
      return Object.entries(applet.branches)
        .filter((entry): entry is [string, string] => typeof entry[1] === "string")
        .map(([label, to]) => ({ label, to }));
    case "hangup":
      return [];
    default: {
      const unknown: never = applet;
      throw new Error(`unknown applet ${JSON.stringify(unknown)}`);
    }
  }
}

/** The applet a Connect outcome continues to, or undefined when the flow has no branch for it. */
export function branchFor(applet: ConnectApplet, outcome: FallbackOutcome): string | undefined {
  const before = QUEUE_OUTCOME_FALLS_BACK_TO[outcome];
  return (
    applet.branches[outcome] ?? (before ? applet.branches[before] : undefined) ?? applet.branches.fallback
  );
}
