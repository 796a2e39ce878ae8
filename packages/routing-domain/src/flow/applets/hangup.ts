// Hangup: ends the call.
import { endCall } from "../../call/end-call.js";
import type { AppletModule } from "./applet.js";

export interface HangupApplet {
  readonly kind: "hangup";
}

export const hangup: AppletModule<HangupApplet> = {
  kind: "hangup",
  waits: false,
  edges: () => [],
  audio: () => [],
  validate: () => [],
  enter(b) {
    endCall(b, "hangupApplet");
  },
};
