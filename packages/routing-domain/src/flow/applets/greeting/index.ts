// Greeting: plays a message to the caller, then goes on (or ends the call when nothing follows).
import type { AppletModule } from "../applet.js";
import type { GreetingApplet } from "./settings.js";

export const greeting: AppletModule<GreetingApplet> = {
  kind: "greeting",
  waits: false,
  edges: (applet) => (applet.next === undefined ? [] : [{ label: "next", to: applet.next }]),
  audio: (applet) => [{ field: "audio", audio: applet.audio }],
  validate: () => [],
  enter(b, _appletId, applet) {
    b.emit({
      type: "PlaybackStarted",
      data: {
        playbackId: b.newId("play"),
        legId: b.state.callerLegId,
        audio: applet.audio,
        purpose: "greeting",
      },
    });
  },
  playbackFinished(b, run, applet, playbackId) {
    if (run.kind === "greeting" && run.playbackId === playbackId && applet) b.goTo(applet.next);
  },
};
