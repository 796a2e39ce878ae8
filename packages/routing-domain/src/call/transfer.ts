import { UnknownAgentError, UnknownGroupError } from "../config/decider.js";
import type { GroupConfig } from "../config/snapshot.js";
import { connectRun, resolveCallerId, schedule } from "../flow/applets/connect/connect.js";
import type { CallerIdOption } from "../flow/model.js";
import { type Audio, type Contact, DEFAULT_HOLD_MUSIC } from "../shared/audio.js";
import { assertE164 } from "../shared/validation.js";
import { type CandidateReport, memberSnapshots, type StrategyResult } from "../strategies/strategies.js";
import type { DecisionBuilder } from "./builder.js";
import { dialable } from "./dial.js";
import { endCall } from "./end-call.js";
import {
  CallNotFoundError,
  NoConnectedAgentError,
  TransferInProgressError,
  TransferNotFoundError,
} from "./errors.js";
import { advanceCursor, chooseGroupMembers } from "./group-selection.js";
import { agentAnswered, cancelLeg, isLive } from "./legs.js";
import type { RoutingDecision, TransferTarget } from "./types.js";

const DEFAULT_TRANSFER_RING_SEC = 30;

/** The group's strategy for a transfer, over the members not yet rung for it. Advances the Round-robin cursor. */
function chooseTransferMembers(
  b: DecisionBuilder,
  group: GroupConfig,
  tried: readonly string[],
): StrategyResult {
  const result = chooseGroupMembers(b, group, { maxRingAttempts: 1, exclude: tried });
  if (result.chosen.length > 0) advanceCursor(b, group, result.cursor);
  return result;
}

/** Rings the transfer's legs: reserves their agents, records the decision, originates, starts the ring timer. */
function ringTransfer(
  b: DecisionBuilder,
  decision: (legs: RoutingDecision["legs"]) => RoutingDecision,
  targets: ReadonlyArray<{ readonly to: Contact; readonly agentId?: string }>,
  ringTimeoutSec: number,
): void {
  const s = b.state;
  const legs = targets.map((t) => ({ legId: b.newId("leg"), ...t }));
  for (const leg of legs) {
    if (leg.agentId !== undefined) {
      b.agentCommand(leg.agentId, { type: "Reserve", callId: s.callId, legId: leg.legId, now: b.now });
    }
  }
  const decided = decision(legs);
  b.emit({ type: "RoutingDecided", data: decided });
  for (const leg of legs) {
    b.emit({
      type: "LegOriginateRequested",
      data: {
        legId: leg.legId,
        role: "consult",
        to: leg.to,
        ...(leg.agentId !== undefined ? { agentId: leg.agentId } : {}),
        callerId: decided.callerId.number,
        timeoutSec: ringTimeoutSec,
      },
    });
  }
  schedule(b, "transferRingTimeout", ringTimeoutSec);
}

/**
 * The transfer's ring attempt ended unanswered (`reason`). A group whose strategy rings one member at a time
 * (every strategy but Simultaneous) goes on to the next member it has not rung, with the group's ring timeout
 * each, as a Connect does; when nobody is left the transfer fails.
 */
function nextTransferAttempt(b: DecisionBuilder, reason: string): void {
  const t = b.state.transfer!;
  const target = t.target;
  const planned = t.plan;
  const group = target.kind === "group" ? b.ctx.config.groups[target.groupId] : undefined;
  if (!group || group.strategy === "simultaneous") {
    transferFailed(b, reason);
    return;
  }
  if (!planned) throw new Error(`transfer ${t.transferId} has no ring plan`);
  const tried = t.tried ?? [];
  const result = chooseTransferMembers(b, group, tried);
  const { allowed, refusals } = dialable(
    b,
    result.chosen.map((agentId) => ({ to: b.ctx.config.agents[agentId]!.contact, agentId })),
    "transfer",
  );
  if (result.chosen.length > 0 && allowed.length === 0) {
    transferFailed(b, `${reason}; the account's dial policy refuses the next member: ${refusals.join("; ")}`);
    return;
  }
  if (result.chosen.length === 0) {
    transferFailed(b, `${reason}; no other member of group ${group.groupId} can take it (${result.reason})`);
    return;
  }
  for (const legId of t.legIds) cancelLeg(b, legId, "ringTimeout");
  if (t.timerId && b.state.timers[t.timerId])
    b.emit({ type: "TimerCancelled", data: { timerId: t.timerId } });
  ringTransfer(
    b,
    (legs) => ({
      ...planned,
      seed: b.seed,
      candidates: result.candidates,
      chosen: result.chosen,
      reason: `${reason} (${tried.join(", ")}); next: ${result.reason}`,
      legs,
      ...(result.tieBreak ? { tieBreak: result.tieBreak } : {}),
    }),
    allowed,
    group.ringTimeoutSec,
  );
}

/**
 * Agent A (connected to the caller) transfers to an agent, a group or a number. Warm: the caller holds
 * (with hold music) while A consults B; A completes by dropping. Blind: A drops at once.
 */
export function requestTransfer(
  b: DecisionBuilder,
  transferId: string,
  mode: "warm" | "blind",
  target: TransferTarget,
  callerIdOption?: CallerIdOption,
): void {
  const s = b.state;
  if (s.status !== "active") throw new CallNotFoundError("RequestTransfer");
  if (s.transfer) throw new TransferInProgressError(s.transfer.transferId);
  const fromLegId = s.agentLegId;
  if (fromLegId === undefined || !s.bridge?.includes(fromLegId)) throw new NoConnectedAgentError(s.callId);
  const cfg = b.ctx.config;
  if (target.kind === "number") assertE164(target.number, "transfer target");
  if (callerIdOption?.kind === "custom") assertE164(callerIdOption.number, "transfer caller ID");
  if (target.kind === "agent" && !cfg.agents[target.agentId]) throw new UnknownAgentError(target.agentId);
  if (target.kind === "group" && !cfg.groups[target.groupId]) throw new UnknownGroupError(target.groupId);

  // Who to ring for B.
  let candidates: readonly CandidateReport[] = [];
  let chosen: readonly string[] = [];
  let reason: string;
  let targets: Array<{ to: Contact; agentId?: string }> = [];
  let ringTimeoutSec = DEFAULT_TRANSFER_RING_SEC;
  let extra: Partial<RoutingDecision> = {};
  switch (target.kind) {
    case "number":
      targets = [{ to: { kind: "phone", number: target.number } }];
      reason = "transfer to a number";
      break;
    case "agent": {
      const agent = cfg.agents[target.agentId]!;
      const [m] = memberSnapshots([agent.agentId], b.ctx.presence, b.now, b.periodKey);
      const status = b.agentState(agent.agentId).status;
      const available = status === "available";
      candidates = [
        {
          agentId: agent.agentId,
          status,
          idleSec: Math.floor(m!.idleMs / 1000),
          callsInPeriod: m!.callsInPeriod,
          chosen: available,
          reason: available ? "the transfer's agent, available" : `the transfer's agent is ${status}`,
        },
      ];
      chosen = available ? [agent.agentId] : [];
      targets = available ? [{ to: agent.contact, agentId: agent.agentId }] : [];
      reason = available ? `agent ${agent.agentId} is available` : `agent ${agent.agentId} is ${status}`;
      break;
    }
    case "group": {
      const group = cfg.groups[target.groupId]!;
      ringTimeoutSec = group.ringTimeoutSec;
      // Stryker disable next-line ArrayDeclaration: excluding an id that is no member changes no choice (it only takes the member list instead of the index, which choose alike)
      const result = chooseTransferMembers(b, group, []);
      candidates = result.candidates;
      chosen = result.chosen;
      reason = result.reason;
      targets = result.chosen.map((agentId) => ({ to: cfg.agents[agentId]!.contact, agentId }));
      extra = {
        strategy: group.strategy,
        groupId: group.groupId,
        ...(result.tieBreak ? { tieBreak: result.tieBreak } : {}),
      };
      break;
    }
    default: {
      const unknown: never = target;
      throw new Error(`unknown transfer target ${JSON.stringify(unknown)}`);
    }
  }

  const caller = s.callerLegId;
  const planned = connectRun(b)?.plan?.holdMusic;
  const holdMusic: Audio = planned && planned.kind !== "ringback" ? planned : DEFAULT_HOLD_MUSIC;
  // As a Connect: the business number unless the transfer asks otherwise (the caller's own number only with
  // pass-through on the account).
  const callerId = resolveCallerId(b, callerIdOption);
  const decision = (legs: RoutingDecision["legs"]): RoutingDecision => ({
    appletId: connectRun(b)?.appletId ?? "",
    target,
    purpose: "transfer",
    ...extra,
    configVersion: cfg.version,
    seed: b.seed,
    candidates,
    chosen,
    reason,
    legs,
    ringTimeoutSec,
    callerId,
    holdMusic,
    recording: { enabled: s.recordingId !== undefined, reason: "recording continues across the transfer" },
  });
  b.emit({ type: "TransferRequested", data: { transferId, mode, target, agentLegId: fromLegId } });
  const dial = dialable(b, targets, "transfer");
  if (dial.refusals.length > 0 && dial.allowed.length === 0)
    reason = `the account's dial policy refuses it: ${dial.refusals.join("; ")}`;
  targets = dial.allowed;
  if (targets.length === 0) {
    // Nobody to ring: the caller stays with A, who is never dropped for a transfer that cannot happen.
    b.emit(
      { type: "RoutingDecided", data: decision([]) },
      {
        type: "TransferFailed",
        data: { transferId, reason: `nobody to transfer to: ${reason}`, returnedTo: fromLegId },
      },
    );
    return;
  }
  // The caller is put on hold (with hold music); a blind transfer drops A at once.
  b.emit(
    { type: "LegsUnbridged", data: { legIds: [caller, fromLegId] } },
    { type: "HoldMusicStarted", data: { legId: caller, audio: holdMusic } },
  );
  if (mode === "blind") cancelLeg(b, fromLegId, "blindTransfer");
  ringTransfer(b, decision, targets, ringTimeoutSec);
}

/** B answered: consult with A (warm), or straight to the caller when A is gone (blind). */
export function consultAnswered(b: DecisionBuilder, legId: string): void {
  const t = b.state.transfer!;
  b.emit({ type: "LegAnswered", data: { legId, at: b.now } });
  if (t.timerId && b.state.timers[t.timerId])
    b.emit({ type: "TimerCancelled", data: { timerId: t.timerId } });
  const leg = b.state.legs[legId]!;
  agentAnswered(b, leg);
  if (t.fromLegGone) {
    completeTransfer(b, legId);
  } else {
    b.emit({ type: "LegsBridged", data: { legIds: [t.fromLegId, legId], at: b.now } });
  }
  for (const other of t.legIds) if (other !== legId) cancelLeg(b, other, "anotherLegAnswered");
}

/** A drops (or is gone); the caller is bridged to B. */
export function completeTransfer(b: DecisionBuilder, consultLegId: string): void {
  const t = b.state.transfer!;
  const caller = b.state.callerLegId;
  if (b.state.bridge) b.emit({ type: "LegsUnbridged", data: { legIds: b.state.bridge } });
  cancelLeg(b, t.fromLegId, "transferCompleted");
  if (b.state.holdMusic.includes(caller)) b.emit({ type: "HoldMusicStopped", data: { legId: caller } });
  b.emit({ type: "LegsBridged", data: { legIds: [caller, consultLegId], at: b.now } });
  // The recording follows the call: its segment with A ends and a new one names B's leg (see the README).
  const recordingId = b.state.recordingId;
  if (recordingId !== undefined) {
    b.emit(
      { type: "RecordingStopped", data: { recordingId } },
      {
        type: "RecordingStarted",
        data: {
          recordingId: b.newId("rec"),
          legIds: [caller, consultLegId],
          reason: "recording continues across the transfer",
          continues: recordingId,
        },
      },
    );
  }
  b.emit({ type: "TransferCompleted", data: { transferId: t.transferId, agentLegId: consultLegId } });
}

/** The transfer's ring timer ran out: the next member of a one-at-a-time group, or the transfer fails. */
export function transferRingTimedOut(b: DecisionBuilder): void {
  if (b.state.transfer?.phase === "ringing") nextTransferAttempt(b, "transfer target did not answer");
}

/** B declined, did not answer or hung up: the caller returns to A (or the call ends when A is gone). */
export function transferFailed(b: DecisionBuilder, reason: string): void {
  const t = b.state.transfer!;
  for (const legId of t.legIds) cancelLeg(b, legId, "transferFailed");
  if (t.timerId && b.state.timers[t.timerId])
    b.emit({ type: "TimerCancelled", data: { timerId: t.timerId } });
  const caller = b.state.callerLegId;
  const a = b.state.legs[t.fromLegId];
  if (b.state.bridge) b.emit({ type: "LegsUnbridged", data: { legIds: b.state.bridge } });
  if (!t.fromLegGone && a && isLive(a)) {
    b.emit({ type: "TransferFailed", data: { transferId: t.transferId, reason, returnedTo: t.fromLegId } });
    if (b.state.holdMusic.includes(caller)) b.emit({ type: "HoldMusicStopped", data: { legId: caller } });
    b.emit({ type: "LegsBridged", data: { legIds: [caller, t.fromLegId], at: b.now } });
    return;
  }
  b.emit({ type: "TransferFailed", data: { transferId: t.transferId, reason } });
  endCall(b, "transferFailed");
}

/** A leg involved in a transfer ended on its own. Returns false when the leg is not part of the transfer. */
export function transferLegEnded(b: DecisionBuilder, legId: string, reason: string): boolean {
  const t = b.state.transfer;
  if (!t) return false;
  if (legId === t.fromLegId) {
    // Agent A left: completing a consult, or turning a still-ringing warm transfer into a blind one.
    if (t.phase === "consulting" && t.consultLegId !== undefined) completeTransfer(b, t.consultLegId);
    return true;
  }
  if (!t.legIds.includes(legId)) return false;
  if (t.phase === "consulting") {
    if (legId === t.consultLegId) transferFailed(b, `transfer target hung up (${reason})`);
    return true;
  }
  if (!t.legIds.some((id) => isLive(b.state.legs[id]))) nextTransferAttempt(b, `transfer target ${reason}`);
  return true;
}

export function completeTransferCommand(b: DecisionBuilder, transferId: string): void {
  const t = b.state.transfer;
  if (!t || t.transferId !== transferId) throw new TransferNotFoundError(transferId);
  if (t.phase === "consulting" && t.consultLegId !== undefined) {
    completeTransfer(b, t.consultLegId);
    return;
  }
  // A completes before B answered: A drops now and B will be put straight through.
  cancelLeg(b, t.fromLegId, "transferCompleted");
}

export function cancelTransferCommand(b: DecisionBuilder, transferId: string): void {
  const t = b.state.transfer;
  if (!t || t.transferId !== transferId || t.fromLegGone) throw new TransferNotFoundError(transferId);
  transferFailed(b, "cancelled by the transferring agent");
}
