// Small helpers of the call decider that connect.ts, callback.ts and transfer.ts share; a leaf module, so
// the applets that use them need not import each other.
import type { DecisionBuilder } from "./builder.js";
import type { ConnectRun, TimerKind } from "./types.js";

export function connectRun(b: DecisionBuilder): ConnectRun | undefined {
  return b.state.applet?.kind === "connect" ? b.state.applet : undefined;
}

export function schedule(b: DecisionBuilder, kind: TimerKind, seconds: number): void {
  b.emit({
    type: "TimerScheduled",
    data: { timerId: b.newId("timer"), kind, dueAt: b.now + seconds * 1000 },
  });
}
