// Hangup: ends the call.
import { endCall } from "../../../call/end-call.js";
import type { AppletModule } from "../applet.js";
import type { HangupApplet } from "./settings.js";

export const hangup: AppletModule<HangupApplet> = {
  kind: "hangup",
  // Stryker disable next-line BooleanLiteral: a hangup has no edges, so it is in no cycle, the only place waits is read
  waits: false,
  edges: () => [],
  audio: () => [],
  validate: () => [],
  enter(b) {
    endCall(b, "hangupApplet");
  },
};
