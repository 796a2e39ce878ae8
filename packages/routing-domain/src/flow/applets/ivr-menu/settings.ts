// The IVR menu applet's settings, as a flow holds them (the module that runs them is index.ts).
import type { Audio } from "../../../shared/audio.js";

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
