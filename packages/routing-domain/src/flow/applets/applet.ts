// What one applet kind is: the rules of its settings and how a call runs through it. Each kind lives in its
// own folder (greeting/, ivr-menu/, connect/, voicemail/, hangup/, time-condition/): its settings type in
// `settings.ts` (which imports nothing of the call, so the flow model can list it), its module in
// `index.ts`. The call's decider only sequences them (enter one, hand it the call's inputs, follow its
// branch). Adding a kind: a folder here, its settings type in the `Applet` union and one registry line.
import type { DecisionBuilder } from "../../call/builder.js";
import type { AppletRun, TimerKind } from "../../call/types.js";
import type { AppletAudio, AppletEdge, FlowIssue, FlowValidationContext } from "../issues.js";

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
