// The Voicemail applet's settings, as a flow holds them (the module that runs them is index.ts).
import type { Audio } from "../../../shared/audio.js";

export interface VoicemailApplet {
  readonly kind: "voicemail";
  readonly greeting?: Audio;
  readonly maxLengthSec: number;
  /** Absent: the call ends after the message. */
  readonly next?: string;
}
