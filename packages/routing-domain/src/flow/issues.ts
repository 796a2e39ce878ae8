// The vocabulary of flow validation, below both the flow model and the applets: what an issue is, what a flow
// is checked against, an applet's edges and audio. It imports no applet and nothing of the call, so an
// applet's settings (its `settings.ts`) can use it and the model can list them without reaching the call.
import type { Audio } from "../shared/audio.js";

export type FlowIssueCode =
  | "missingStart"
  | "unknownApplet"
  | "unreachable"
  | "missingBranch"
  | "cycleWithoutWait"
  | "unknownAgent"
  | "unknownGroup"
  | "invalidNumber"
  | "invalidSipUri"
  | "invalidSetting"
  | "unknownAudio";

export interface FlowIssue {
  readonly code: FlowIssueCode;
  /** The applet the issue is about. */
  readonly appletId: string;
  /** The applet's field the issue is about, where one field is (e.g. `holdMusic` for an unknown audio file). */
  readonly field?: string;
  readonly message: string;
}

/**
 * What a flow is checked against: the configured agents and groups (a `ConfigSnapshot` is one; only their
 * ids are read) and, when the caller knows them, the uploaded audio files (absent: references to stored
 * audio are not checked).
 */
export interface FlowValidationContext {
  readonly agents: Readonly<Record<string, unknown>>;
  readonly groups: Readonly<Record<string, unknown>>;
  readonly audioFiles?: ReadonlySet<string>;
}

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

/** One issue about an applet's settings. */
export const settingIssue = (appletId: string, message: string, field?: string): FlowIssue => ({
  code: "invalidSetting",
  appletId,
  ...(field === undefined ? {} : { field }),
  message,
});
