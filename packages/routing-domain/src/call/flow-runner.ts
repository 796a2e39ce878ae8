// The flow runner: enters applets and hands the call's inputs to the applet the call is in. Applets reach it
// through the builder's FlowPort (b.goTo, b.leaveApplet), never by import.
import { appletModule } from "../flow/applets/registry.js";
import type { DecisionBuilder, FlowPort } from "./builder.js";
import { endCall } from "./end-call.js";
import type { TimerKind } from "./types.js";

const MAX_HOPS = 64;

function goTo(b: DecisionBuilder, appletId: string | undefined, endReason = "flowEnded"): void {
  if (appletId === undefined) {
    endCall(b, endReason);
    return;
  }
  const applet = b.ctx.config.flows[b.state.flowId]?.applets[appletId];
  if (!applet || ++b.hops > MAX_HOPS) {
    endCall(b, applet ? "flowLoop" : `unknown applet ${appletId}`);
    return;
  }
  b.emit({ type: "AppletEntered", data: { appletId, kind: applet.kind, at: b.now } });
  appletModule(applet.kind).enter(b, appletId, applet);
}

function leave(b: DecisionBuilder, reason: string): void {
  const run = b.state.applet;
  if (run) appletModule(run.kind).leave?.(b, run, reason);
}

export const flowRunner: FlowPort = { goTo, leave };

/** The applet the call is in: its module, run state and settings (`undefined` when gone from the config). */
function current(b: DecisionBuilder) {
  const run = b.state.applet;
  if (!run) return undefined;
  const settings = b.ctx.config.flows[b.state.flowId]?.applets[run.appletId];
  return { module: appletModule(run.kind), run, applet: settings?.kind === run.kind ? settings : undefined };
}

export function playbackFinished(b: DecisionBuilder, playbackId: string): void {
  const c = current(b);
  c?.module.playbackFinished?.(b, c.run, c.applet, playbackId);
}

export function digitReceived(b: DecisionBuilder, digit: string): void {
  const c = current(b);
  c?.module.digit?.(b, c.run, c.applet, digit);
}

export function recordingFinished(b: DecisionBuilder, recordingId: string): void {
  const c = current(b);
  c?.module.recordingFinished?.(b, c.run, c.applet, recordingId);
}

export function appletTimerFired(b: DecisionBuilder, kind: TimerKind): void {
  const c = current(b);
  c?.module.timerFired?.(b, c.run, c.applet, kind);
}
