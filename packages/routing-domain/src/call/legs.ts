import { missedOfferPolicy } from "../config/snapshot.js";
import type { DecisionBuilder } from "./builder.js";
import type { LegInfo } from "./types.js";

/** A leg that is up or being set up, and that nobody has asked to tear down yet. */
export const isLive = (leg: LegInfo | undefined): boolean =>
  leg !== undefined &&
  (leg.status === "originating" || leg.status === "ringing" || leg.status === "answered");

/**
 * Why an unanswered offer ended that counts against the agent: their phone rang out (gateway no-answer or our
 * ring timeout), was busy, or declined (reported as busy) or hung up while ringing. A failed line, or an offer
 * the call took back (answered elsewhere, caller gone), does not.
 */
const MISSED_REASONS: ReadonlySet<string> = new Set(["noAnswer", "ringTimeout", "busy", "hungUp"]);

/** The agent a leg held goes back: released if it never answered, call ended (maybe wrap-up) if it did. */
export function freeAgentOf(b: DecisionBuilder, leg: LegInfo, answered: boolean, reason: string): void {
  if (leg.agentId === undefined) return;
  const callId = b.state.callId;
  if (answered) {
    const wrapUpSec = b.ctx.config.agents[leg.agentId]?.wrapUpSec ?? 0;
    b.agentCommand(leg.agentId, { type: "EndCall", callId, now: b.now, wrapUpSec });
  } else {
    const run = b.state.applet?.kind === "connect" ? b.state.applet : undefined;
    const groupId = run?.legIds.includes(leg.legId) ? run.groupId : undefined;
    b.agentCommand(leg.agentId, {
      type: "Release",
      callId,
      now: b.now,
      reason,
      ...(MISSED_REASONS.has(reason) ? { missed: missedOfferPolicy(b.ctx.config, groupId) } : {}),
    });
  }
}

/** The agent a leg rang answered it: their call starts (and counts for Least Calls). */
export function agentAnswered(b: DecisionBuilder, leg: LegInfo): void {
  if (leg.agentId === undefined) return;
  b.agentCommand(leg.agentId, { type: "Answer", callId: b.state.callId, now: b.now, periodKey: b.periodKey });
}

/** Cancels a ringing leg or hangs up an answered one, and frees its agent. No-op for legs already going. */
export function cancelLeg(b: DecisionBuilder, legId: string, reason: string): void {
  const leg = b.state.legs[legId];
  if (!leg || !isLive(leg)) return;
  const answered = leg.status === "answered";
  b.emit(
    answered
      ? { type: "LegHangupRequested", data: { legId, reason } }
      : { type: "LegCancelRequested", data: { legId, reason } },
  );
  freeAgentOf(b, leg, answered, reason);
}
