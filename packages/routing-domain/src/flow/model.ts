import type { ConnectApplet } from "./applets/connect/settings.js";
import type { GreetingApplet } from "./applets/greeting/settings.js";
import type { HangupApplet } from "./applets/hangup/settings.js";
import type { IvrMenuApplet } from "./applets/ivr-menu/settings.js";
import type { TimeConditionApplet } from "./applets/time-condition/settings.js";
import type { VoicemailApplet } from "./applets/voicemail/settings.js";

export type {
  CallerIdOption,
  ConnectApplet,
  ConnectBranches,
  ConnectOutcome,
  ConnectTarget,
  FallbackOutcome,
  RecordOption,
} from "./applets/connect/settings.js";
export { branchFor, FALLBACK_OUTCOMES, QUEUE_OUTCOME_FALLS_BACK_TO } from "./applets/connect/settings.js";
export type { GreetingApplet } from "./applets/greeting/settings.js";
export type { HangupApplet } from "./applets/hangup/settings.js";
export type { IvrMenuApplet } from "./applets/ivr-menu/settings.js";
export type { OpeningRule, TimeConditionApplet, Weekday } from "./applets/time-condition/settings.js";
export type { VoicemailApplet } from "./applets/voicemail/settings.js";

/**
 * Every applet's settings; each kind's folder is in ./applets (its settings type in `settings.ts`, its module
 * in `index.ts`) and registered in ./applets/registry.ts.
 */
export type Applet =
  | GreetingApplet
  | IvrMenuApplet
  | ConnectApplet
  | VoicemailApplet
  | HangupApplet
  | TimeConditionApplet;
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
