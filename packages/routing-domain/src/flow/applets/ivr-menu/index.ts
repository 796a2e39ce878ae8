// IVR menu: plays a prompt and waits for a digit; a digit with a branch goes there, a timeout or an invalid
// digit replays the prompt (up to `retries` times) and then takes its own branch.
import type { DecisionBuilder } from "../../../call/builder.js";
import { schedule } from "../../../call/run.js";
import { type FlowIssue, settingIssue } from "../../issues.js";
import type { AppletModule } from "../applet.js";
import type { IvrMenuApplet } from "./settings.js";

const DTMF = /^[0-9*#]$/;

function playPrompt(b: DecisionBuilder, applet: IvrMenuApplet): void {
  b.emit({
    type: "PlaybackStarted",
    data: {
      playbackId: b.newId("play"),
      legId: b.state.callerLegId,
      audio: applet.prompt,
      purpose: "ivrPrompt",
    },
  });
}

function cancelTimeouts(b: DecisionBuilder): void {
  for (const [timerId, t] of Object.entries(b.state.timers)) {
    if (t.kind === "ivrTimeout") b.emit({ type: "TimerCancelled", data: { timerId } });
  }
}

function rejected(
  b: DecisionBuilder,
  applet: IvrMenuApplet,
  reason: "timeout" | "invalidDigit",
  digit?: string,
): void {
  const a = b.state.applet;
  if (a?.kind !== "ivrMenu") return;
  const willRetry = a.attempt <= applet.retries;
  b.emit({
    type: "IvrInputRejected",
    data: {
      appletId: a.appletId,
      reason,
      ...(digit !== undefined ? { digit } : {}),
      attempt: a.attempt,
      willRetry,
    },
  });
  if (willRetry) playPrompt(b, applet);
  else b.goTo(reason === "timeout" ? applet.timeoutBranch : applet.invalidBranch);
}

function validate(applet: IvrMenuApplet, appletId: string): FlowIssue[] {
  const issues: FlowIssue[] = [];
  const missing = (message: string) => issues.push({ code: "missingBranch", appletId, message });
  if (Object.keys(applet.branches).length === 0) missing("IVR menu has no digit branches");
  for (const digit of Object.keys(applet.branches)) {
    if (!DTMF.test(digit)) issues.push(settingIssue(appletId, `"${digit}" is not a DTMF digit`));
  }
  if (!(applet.timeoutSec > 0)) issues.push(settingIssue(appletId, "IVR timeout must be positive"));
  if (!(Number.isInteger(applet.retries) && applet.retries >= 0))
    issues.push(settingIssue(appletId, "IVR retries must be 0 or more"));
  if (!applet.timeoutBranch) missing("no timeout branch");
  if (!applet.invalidBranch) missing("no invalid-input branch");
  return issues;
}

export const ivrMenu: AppletModule<IvrMenuApplet> = {
  kind: "ivrMenu",
  waits: true,
  edges: (applet) => [
    ...Object.entries(applet.branches).map(([digit, to]) => ({ label: `digit ${digit}`, to })),
    { label: "timeout", to: applet.timeoutBranch },
    { label: "invalid", to: applet.invalidBranch },
  ],
  audio: (applet) => [{ field: "prompt", audio: applet.prompt }],
  validate,
  enter(b, _appletId, applet) {
    playPrompt(b, applet);
  },
  playbackFinished(b, run, applet, playbackId) {
    if (run.kind === "ivrMenu" && run.playbackId === playbackId && applet)
      schedule(b, "ivrTimeout", applet.timeoutSec);
  },
  digit(b, run, applet, digit) {
    if (run.kind !== "ivrMenu" || !applet) return;
    // Barge-in: the prompt's PlaybackFinished schedules the ivrTimeout, so no such timer means it still plays.
    const waiting = Object.values(b.state.timers).some((t) => t.kind === "ivrTimeout");
    if (run.playbackId !== undefined && !waiting) {
      b.emit({ type: "PlaybackStopped", data: { playbackId: run.playbackId, legId: b.state.callerLegId } });
    }
    cancelTimeouts(b);
    const next = applet.branches[digit];
    if (next !== undefined) {
      b.emit({ type: "IvrBranchChosen", data: { appletId: run.appletId, digit, next } });
      b.goTo(next);
    } else {
      rejected(b, applet, "invalidDigit", digit);
    }
  },
  timerFired(b, _run, applet, kind) {
    if (kind === "ivrTimeout" && applet) rejected(b, applet, "timeout");
  },
};
