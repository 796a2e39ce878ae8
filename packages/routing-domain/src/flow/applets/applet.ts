// What one applet kind is: the rules of its settings and how a call runs through it. Each kind lives in its
// own module (greeting.ts, ivr-menu.ts, connect/, voicemail.ts, hangup.ts, …) and is registered in
// registry.ts; the call's decider only sequences them (enter one, hand it the call's inputs, follow its
// branch). Adding a kind: a module here, its settings type in the `Applet` union and one registry line.
import type { DecisionBuilder } from "../../call/builder.js";
import type { AppletRun, TimerKind } from "../../call/types.js";
import type { Audio } from "../../shared/audio.js";
import type { FlowIssue, FlowValidationContext } from "../validate.js";

/** A (label, target) edge leaving an applet. */
export interface AppletEdge {
  readonly label: string;
  readonly to: string;
  /** The settings field that holds it, where the label does not say (for an issue about it). */
  readonly field?: string;
}

/** An audio field of an applet's settings, with the audio it holds. */
export interface AppletAudio {
  readonly field: string;
  readonly audio: Audio;
}

/**
 * The call's inputs reach the applet the call is in, with its settings from the call's configuration
 * (`undefined` when they are gone from it) and its run state.
 */
export interface AppletModule<A extends { readonly kind: string }> {
  readonly kind: A["kind"];
  /** Stops to wait for the caller or for time: a cycle of applets through it does not spin. */
  readonly waits: boolean;
  edges(applet: A): AppletEdge[];
  audio(applet: A): AppletAudio[];
  /** Problems with the applet's own settings; the flow checks its edges, reachability and cycles. */
  validate(applet: A, appletId: string, config: FlowValidationContext): FlowIssue[];
  enter(b: DecisionBuilder, appletId: string, applet: A): void;
  playbackFinished?(b: DecisionBuilder, run: AppletRun, applet: A | undefined, playbackId: string): void;
  digit?(b: DecisionBuilder, run: AppletRun, applet: A | undefined, digit: string): void;
  recordingFinished?(b: DecisionBuilder, run: AppletRun, applet: A | undefined, recordingId: string): void;
  timerFired?(b: DecisionBuilder, run: AppletRun, applet: A | undefined, kind: TimerKind): void;
  /** The call ends while in this applet: let go of what it holds. */
  leave?(b: DecisionBuilder, run: AppletRun, reason: string): void;
}

/** One issue about an applet's settings. */
export const settingIssue = (appletId: string, message: string, field?: string): FlowIssue => ({
  code: "invalidSetting",
  appletId,
  ...(field === undefined ? {} : { field }),
  message,
});
