// The Greeting applet's settings, as a flow holds them (the module that runs them is index.ts).
import type { Audio } from "../../../shared/audio.js";

export interface GreetingApplet {
  readonly kind: "greeting";
  readonly audio: Audio;
  /** Absent: the call ends after the greeting. */
  readonly next?: string;
}
