import type { DecisionBuilder } from "./builder.js";
import { cancelLeg, isLive } from "./legs.js";

/** Tears the whole call down: timers, what the current applet holds, recording, every leg and every agent. */
export function endCall(b: DecisionBuilder, reason: string): void {
  for (const timerId of Object.keys(b.state.timers)) b.emit({ type: "TimerCancelled", data: { timerId } });
  b.leaveApplet(reason);
  if (b.state.recordingId !== undefined) {
    b.emit({ type: "RecordingStopped", data: { recordingId: b.state.recordingId } });
  }
  for (const leg of Object.values(b.state.legs)) {
    if (leg.role === "caller") {
      if (isLive(leg)) b.emit({ type: "LegHangupRequested", data: { legId: leg.legId, reason } });
    } else {
      cancelLeg(b, leg.legId, reason);
    }
  }
  b.emit({ type: "CallEnded", data: { reason, at: b.now } });
}
