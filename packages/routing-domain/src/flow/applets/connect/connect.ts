import { BUSY_STATUSES } from "../../../agent/agent.js";
import type { DecisionBuilder } from "../../../call/builder.js";
import { dialable } from "../../../call/dial.js";
import { endCall } from "../../../call/end-call.js";
import { NoAgentForQueueOfferError } from "../../../call/errors.js";
import { advanceCursor, chooseGroupMembers } from "../../../call/group-selection.js";
import { agentAnswered, cancelLeg, isLive } from "../../../call/legs.js";
import { connectRun, schedule } from "../../../call/run.js";
import type { CallerIdChoice, ConnectRun, LegFailure, RoutingDecision } from "../../../call/types.js";
import type { GroupConfig } from "../../../config/snapshot.js";
import { expectedWaitSec, positionOf, QueueFullError } from "../../../queue/queue.js";
import { type Audio, type Contact, DEFAULT_HOLD_MUSIC } from "../../../shared/audio.js";
import { type MemberSnapshot, memberSnapshots, type StrategyResult } from "../../../strategies/strategies.js";
import { branchFor, type CallerIdOption, type ConnectApplet, type FallbackOutcome } from "../../model.js";
import { dialCustomer, isCallbackRequested, scheduleCallbackOffer } from "./callback.js";

const DEFAULT_RING_TIMEOUT_SEC = 30;

interface ConnectSettings {
  readonly ringTimeoutSec: number;
  readonly maxRingAttempts: number;
  readonly callerId: CallerIdChoice;
  readonly holdMusic: Audio;
  readonly whisper?: Audio;
  readonly recording: { readonly enabled: boolean; readonly reason: string };
}

export function connectApplet(b: DecisionBuilder, appletId: string): ConnectApplet | undefined {
  const applet = b.ctx.config.flows[b.state.flowId]?.applets[appletId];
  return applet?.kind === "connect" ? applet : undefined;
}

export { connectRun, schedule } from "../../../call/run.js";

/** The caller ID shown to the target, and why (e.g. pass-through disabled). Connect and transfers alike. */
export function resolveCallerId(b: DecisionBuilder, requested: CallerIdOption | undefined): CallerIdChoice {
  const option = requested ?? { kind: "business" };
  const business = b.state.to;
  switch (option.kind) {
    case "business":
      return { number: business, source: "business", reason: "business number (default)" };
    case "caller":
      return b.ctx.config.account.callerIdPassThrough
        ? {
            number: b.state.from,
            source: "caller",
            reason: "caller's number: pass-through enabled on the account",
          }
        : {
            number: business,
            source: "business",
            reason: "caller's number requested but caller ID pass-through is disabled on the account",
          };
    case "custom":
      return { number: option.number, source: "custom", reason: "custom number configured on the applet" };
    default: {
      const unknown: never = option;
      throw new Error(`unknown caller ID option ${JSON.stringify(unknown)}`);
    }
  }
}

export function connectSettings(
  b: DecisionBuilder,
  applet: ConnectApplet,
  group?: GroupConfig,
): ConnectSettings {
  const record = applet.record ?? "inherit";
  const flowLevel = b.ctx.config.flows[b.state.flowId]?.recordCalls;
  const appLevel = flowLevel ?? b.ctx.config.account.recordCalls;
  const inherited =
    flowLevel === undefined ? "the account's app-level setting" : "the flow's app-level setting";
  return {
    ringTimeoutSec: applet.ringTimeoutSec ?? group?.ringTimeoutSec ?? DEFAULT_RING_TIMEOUT_SEC,
    maxRingAttempts: applet.maxRingAttempts ?? group?.maxRingAttempts ?? 1,
    callerId: resolveCallerId(b, applet.callerId),
    holdMusic: applet.holdMusic ?? DEFAULT_HOLD_MUSIC,
    ...(applet.whisper ? { whisper: applet.whisper } : {}),
    recording:
      record === "inherit"
        ? { enabled: appLevel, reason: `inherited from ${inherited} (${appLevel ? "on" : "off"})` }
        : { enabled: record === "on", reason: `set to ${record} on the applet` },
  };
}

/** Entering a Connect applet: decide who to ring (or queue, or fall back) and ring them. */
export function enterConnect(b: DecisionBuilder, appletId: string, applet: ConnectApplet): void {
  const target = applet.target;
  const cfg = b.ctx.config;
  const base = {
    appletId,
    target,
    purpose: "connect" as const,
    configVersion: cfg.version,
    seed: b.seed,
  };
  switch (target.kind) {
    case "number":
    case "external":
    case "sip": {
      const to: Contact =
        target.kind === "sip" ? { kind: "sip", uri: target.uri } : { kind: "phone", number: target.number };
      const settings = connectSettings(b, applet);
      ring(b, { ...base, candidates: [], chosen: [], reason: `${target.kind} target` }, settings, [{ to }]);
      return;
    }
    case "agent": {
      const agent = cfg.agents[target.agentId];
      const settings = connectSettings(b, applet);
      if (!agent) {
        completeConnect(b, "failed", `agent ${target.agentId} is no longer configured`);
        return;
      }
      const [member] = memberSnapshots([agent.agentId], b.ctx.presence, b.now, b.periodKey) as [
        MemberSnapshot,
      ];
      // Stryker disable next-line ConditionalExpression: memberSnapshots sets cooldownUntil only for an available agent
      const cooling = member.status === "available" && member.cooldownUntil !== undefined;
      const available = member.status === "available" && !cooling;
      const why = cooling
        ? `in cooldown after a missed offer until ${member.cooldownUntil}`
        : (member.status as string);
      const result: StrategyResult = {
        strategy: "simultaneous",
        chosen: available ? [agent.agentId] : [],
        candidates: [
          {
            agentId: agent.agentId,
            status: member.status,
            idleSec: Math.floor(member.idleMs / 1000),
            callsInPeriod: member.callsInPeriod,
            chosen: available,
            reason: available ? "the applet's agent, available" : `the applet's agent is ${why}`,
          },
        ],
        reason: available ? `agent ${agent.agentId} is available` : `agent ${agent.agentId} is ${why}`,
      };
      const { strategy: _s, ...rest } = result;
      if (!available) {
        b.emit({ type: "RoutingDecided", data: { ...base, ...rest, ...planFields(settings), legs: [] } });
        const busy = member.status !== "unknown" && BUSY_STATUSES.has(member.status);
        completeConnect(b, busy ? "busy" : "noAnswer", `agent ${agent.agentId} is ${why}`);
        return;
      }
      ring(b, { ...base, ...rest }, settings, [{ to: agent.contact, agentId: agent.agentId }]);
      return;
    }
    case "group": {
      const group = cfg.groups[target.groupId];
      if (!group) {
        completeConnect(b, "failed", `group ${target.groupId} is no longer configured`);
        return;
      }
      const settings = connectSettings(b, applet, group);
      routeGroup(b, applet, group, settings, undefined);
      return;
    }
    // Stryker disable next-line ConditionalExpression,BlockStatement: the exhaustive switch's never branch; TypeScript proves it unreachable
    default: {
      const unknown: never = target;
      throw new Error(`unknown target ${JSON.stringify(unknown)}`);
    }
  }
}

function planFields(settings: ConnectSettings) {
  return {
    ringTimeoutSec: settings.ringTimeoutSec,
    callerId: settings.callerId,
    holdMusic: settings.holdMusic,
    ...(settings.whisper ? { whisper: settings.whisper } : {}),
    recording: settings.recording,
  };
}

/** Runs the group's strategy (first attempt, or the next Sequential step) and rings, queues or falls back. */
function routeGroup(
  b: DecisionBuilder,
  applet: ConnectApplet,
  group: GroupConfig,
  settings: ConnectSettings,
  run: ConnectRun | undefined,
): void {
  const result = chooseGroupMembers(b, group, {
    maxRingAttempts: settings.maxRingAttempts,
    sequential: run?.sequential,
  });
  const appletId = run?.appletId ?? (b.state.applet?.appletId as string);
  const { cursor: newCursor, exhausted, ...decided } = result;
  const base = {
    appletId,
    target: applet.target,
    purpose: "connect" as const,
    configVersion: b.ctx.config.version,
    seed: b.seed,
    groupId: group.groupId,
    ...decided,
  };
  const waiting = b.queueState(group.groupId).entries.length;
  if (result.chosen.length > 0 && run === undefined && group.queue.enabled && waiting > 0) {
    // Callers are already waiting: a new caller must not jump the queue. Freed agents are offered to the
    // longest-waiting caller (OfferAgent), so this caller joins behind them.
    b.emit({
      type: "RoutingDecided",
      data: {
        ...base,
        chosen: [],
        candidates: result.candidates.map((c) =>
          c.chosen
            ? { ...c, chosen: false, reason: `${c.reason}; but ${waiting} caller(s) already queued` }
            : c,
        ),
        reason: `${waiting} caller(s) already waiting in the queue of group ${group.groupId}: joining behind them`,
        ...planFields(settings),
        legs: [],
      },
    });
    enqueue(b, group, b.now, settings);
    return;
  }
  if (result.chosen.length > 0) {
    advanceCursor(b, group, newCursor);
    ring(
      b,
      base,
      settings,
      result.chosen.map((agentId) => ({ to: b.ctx.config.agents[agentId]!.contact, agentId })),
    );
    return;
  }
  b.emit({ type: "RoutingDecided", data: { ...base, ...planFields(settings), legs: [] } });
  if (exhausted) {
    completeConnect(b, outcomeOf(connectRun(b)?.failures ?? []), result.reason);
    return;
  }
  // Nobody can take the call now: queue it, or "all agents busy".
  const queue = group.queue;
  if (!queue.enabled) {
    completeConnect(
      b,
      "allAgentsBusy",
      `no agent of group ${group.groupId} is available and its queue is off`,
    );
    return;
  }
  enqueue(b, group, b.now, settings);
}

export function enqueue(
  b: DecisionBuilder,
  group: GroupConfig,
  enqueuedAt: number,
  _settings?: ConnectSettings,
): void {
  const queue = group.queue;
  try {
    b.queueCommand(group.groupId, {
      type: "Enqueue",
      callId: b.state.callId,
      enqueuedAt,
      maxSize: queue.maxSize,
    });
  } catch (error) {
    // Stryker disable next-line ConditionalExpression: Enqueue refuses only with QueueFullError; the rethrow is for a refusal added later
    if (error instanceof QueueFullError) {
      completeConnect(b, "queueFull", `queue of group ${group.groupId} is full (${queue.maxSize} callers)`);
      return;
    }
    throw error;
  }
  const position = positionOf(b.queueState(group.groupId), b.state.callId)!;
  if (isCallbackRequested(b)) {
    // Waiting for a callback: back in their place, with no line to play to and no max wait.
    b.emit({ type: "CallerEnqueued", data: { groupId: group.groupId, enqueuedAt, position } });
    return;
  }
  b.emit(
    { type: "CallerEnqueued", data: { groupId: group.groupId, enqueuedAt, position } },
    { type: "HoldMusicStarted", data: { legId: b.state.callerLegId, audio: queue.holdMusic } },
  );
  if (queue.announcePosition) {
    announce(b, group.groupId, position);
    schedule(b, "queuePosition", queue.announceEverySec);
  }
  if (!Object.values(b.state.timers).some((t) => t.kind === "queueMaxWait")) {
    b.emit({
      type: "TimerScheduled",
      data: {
        // Stryker disable next-line StringLiteral: the kind in an id is for people reading the stream; ids stay unique through the decision's counter (DecisionBuilder.newId)
        timerId: b.newId("timer"),
        kind: "queueMaxWait",
        dueAt: enqueuedAt + queue.maxWaitSec * 1000,
      },
    });
  }
  scheduleCallbackOffer(b, group);
}

export function announce(b: DecisionBuilder, groupId: string, position: number): void {
  const expected = expectedWaitSec(b.queueState(groupId), position);
  b.emit({
    type: "QueuePositionAnnounced",
    data: {
      // Stryker disable next-line StringLiteral: the kind in an id is for people reading the stream; ids stay unique through the decision's counter (DecisionBuilder.newId)
      playbackId: b.newId("play"),
      legId: b.state.callerLegId,
      position,
      at: b.now,
      // Stryker disable next-line ConditionalExpression: an undefined field and an absent one are the same event once stored (JSON drops it), and no reader tells them apart
      ...(expected === undefined ? {} : { expectedWaitSec: expected }),
    },
  });
}

/** Emits the ring plan: the decision, hold music for the caller, one originate per leg, the ring timer. */
export function ring(
  b: DecisionBuilder,
  decided: Omit<
    RoutingDecision,
    "legs" | "ringTimeoutSec" | "callerId" | "holdMusic" | "whisper" | "recording"
  >,
  settings: ConnectSettings,
  wanted: ReadonlyArray<{ readonly to: Contact; readonly agentId?: string }>,
): void {
  const { allowed: targets, refusals } = dialable(b, wanted, "connect");
  if (targets.length === 0) {
    b.emit({ type: "RoutingDecided", data: { ...decided, ...planFields(settings), legs: [] } });
    completeConnect(b, "failed", `the account's dial policy refuses every target: ${refusals.join("; ")}`);
    return;
  }
  // Stryker disable next-line StringLiteral: the kind in an id is for people reading the stream; ids stay unique through the decision's counter (DecisionBuilder.newId)
  const legs = targets.map((t) => ({ legId: b.newId("leg"), ...t }));
  for (const leg of legs) {
    if (leg.agentId !== undefined) {
      b.agentCommand(leg.agentId, { type: "Reserve", callId: b.state.callId, legId: leg.legId, now: b.now });
    }
  }
  b.emit({ type: "RoutingDecided", data: { ...decided, ...planFields(settings), legs } });
  if (isLive(b.state.legs[b.state.callerLegId]) && !b.state.holdMusic.includes(b.state.callerLegId)) {
    b.emit({ type: "HoldMusicStarted", data: { legId: b.state.callerLegId, audio: settings.holdMusic } });
  }
  for (const leg of legs) {
    b.emit({
      type: "LegOriginateRequested",
      data: {
        legId: leg.legId,
        role: "target",
        to: leg.to,
        // Stryker disable next-line ConditionalExpression: an undefined field and an absent one are the same event once stored (JSON drops it), and no reader tells them apart
        ...(leg.agentId !== undefined ? { agentId: leg.agentId } : {}),
        callerId: settings.callerId.number,
        timeoutSec: settings.ringTimeoutSec,
      },
    });
  }
  schedule(b, "ringTimeout", settings.ringTimeoutSec);
}

export function outcomeOf(failures: readonly LegFailure[]): FallbackOutcome {
  // Stryker disable next-line ConditionalExpression: every attempt that ends records how (a ring timeout as noAnswer), so failures are never empty here; empty would still mean nobody answered
  if (failures.length === 0 || failures.includes("noAnswer")) return "noAnswer";
  if (failures.includes("busy")) return "busy";
  return "failed";
}

export function cancelTimers(b: DecisionBuilder, kinds: readonly string[]): void {
  for (const [timerId, t] of Object.entries(b.state.timers)) {
    if (kinds.includes(t.kind)) b.emit({ type: "TimerCancelled", data: { timerId } });
  }
}

/** Leaves the Connect applet through the outcome's branch (or ends the call when the flow has none). */
export function completeConnect(b: DecisionBuilder, outcome: FallbackOutcome, reason: string): void {
  const run = connectRun(b);
  const applet = run ? connectApplet(b, run.appletId) : undefined;
  cancelTimers(b, ["ringTimeout", "queueMaxWait", "queuePosition", "callbackOffer"]);
  if (run?.queue?.waiting) {
    // Leaving for the fallback path (e.g. max wait): the caller's place goes, everyone behind moves up.
    b.queueCommand(run.queue.groupId, {
      type: "Leave",
      callId: b.state.callId,
      reason: "maxWait",
      at: b.now,
    });
    b.emit({ type: "CallerDequeued", data: { groupId: run.queue.groupId, reason: "maxWait" } });
  }
  // Stryker disable next-line StringLiteral: every way here has no live leg left (attemptFailed waits for the last one; routing, queue and refusal paths ring none), so nothing is cancelled with this reason; kept so a new way here cannot leave a phone ringing
  if (run) for (const legId of run.legIds) cancelLeg(b, legId, "connectCompleted");
  if (b.state.holdMusic.includes(b.state.callerLegId)) {
    b.emit({ type: "HoldMusicStopped", data: { legId: b.state.callerLegId } });
  }
  const next = applet ? branchFor(applet, outcome) : undefined;
  b.emit({
    type: "ConnectCompleted",
    // Stryker disable next-line StringLiteral: completeConnect runs inside a Connect applet, whose run exists
    data: { appletId: run?.appletId ?? "", outcome, reason, ...(next !== undefined ? { next } : {}) },
  });
  b.goTo(next, `no branch for outcome ${outcome}`);
}

/** A target leg answered while the attempt rings: it wins; whisper or bridge, then cancel the others. */
export function targetAnswered(b: DecisionBuilder, legId: string): void {
  const run = connectRun(b)!;
  const leg = b.state.legs[legId]!;
  b.emit({ type: "LegAnswered", data: { legId, at: b.now } });
  // The ring timer, and a queued caller's max-wait timer and callback offer: all moot once someone answered
  // (the queue offer already cancelled the position announcements).
  cancelTimers(b, ["ringTimeout", "queueMaxWait", "callbackOffer"]);
  agentAnswered(b, leg);
  const whisper = run.plan?.whisper;
  if (whisper) {
    // The agent alone hears the whisper; the caller keeps hearing hold music or ringback until the bridge.
    // Stryker disable next-line StringLiteral: the kind in an id is for people reading the stream; ids stay unique through the decision's counter (DecisionBuilder.newId)
    const playbackId = b.newId("play");
    b.emit({ type: "WhisperRequested", data: { playbackId, legId, audio: whisper } });
  } else {
    bridgeAgent(b, legId);
  }
  for (const other of run.legIds) if (other !== legId) cancelLeg(b, other, "anotherLegAnswered");
}

export function bridgeAgent(b: DecisionBuilder, agentLegId: string): void {
  const run = connectRun(b)!;
  const callback = run.queue?.callback;
  if (callback?.phase === "requested" && callback.customerLegId === undefined) {
    // A callback: the agent is on; now the customer is dialled, and bridged when they answer.
    if (dialCustomer(b, agentLegId)) endCall(b, "callbackFailed");
    return;
  }
  const caller = b.state.callerLegId;
  if (b.state.holdMusic.includes(caller)) b.emit({ type: "HoldMusicStopped", data: { legId: caller } });
  b.emit({ type: "LegsBridged", data: { legIds: [caller, agentLegId], at: b.now } });
  const recording = run.plan?.recording;
  // Stryker disable next-line ConditionalExpression: a call is bridged through a Connect once (its agent leaving then ends the call), so no recording runs yet; the check keeps a second bridge from starting another
  if (recording?.enabled && b.state.recordingId === undefined) {
    b.emit({
      type: "RecordingStarted",
      // Stryker disable next-line StringLiteral: the kind in an id is for people reading the stream; ids stay unique through the decision's counter (DecisionBuilder.newId)
      data: { recordingId: b.newId("rec"), legIds: [caller, agentLegId], reason: recording.reason },
    });
  }
  b.emit({
    type: "ConnectCompleted",
    data: { appletId: run.appletId, outcome: "answered", reason: "answered" },
  });
}

/** The current attempt has no live legs left: ring the next Sequential agent, return to the queue, or fall back. */
export function attemptFailed(b: DecisionBuilder): void {
  const run = connectRun(b);
  if (!run) return;
  if (run.legIds.some((id) => isLive(b.state.legs[id]))) return;
  const applet = connectApplet(b, run.appletId);
  const group = run.groupId !== undefined ? b.ctx.config.groups[run.groupId] : undefined;
  if (run.queue && !run.queue.waiting && group) {
    // A queued caller's offered agent did not take the call: back to the queue, keeping their place (a
    // caller waiting for a callback is not holding, so the max wait does not apply).
    if (!isCallbackRequested(b) && b.now >= run.queue.enqueuedAt + group.queue.maxWaitSec * 1000) {
      completeConnect(b, "queueTimeout", "max queue wait reached");
      return;
    }
    cancelTimers(b, ["ringTimeout"]);
    enqueue(b, group, run.queue.enqueuedAt);
    return;
  }
  if (applet && group && run.strategy === "sequential") {
    routeGroup(b, applet, group, connectSettings(b, applet, group), run);
    return;
  }
  // Stryker disable next-line StringLiteral: failures are never empty here (see outcomeOf)
  completeConnect(b, outcomeOf(run.failures), `every leg ended: ${run.failures.join(", ") || "no answer"}`);
}

/**
 * An agent became free (`freedAgentId`, the trigger) while this caller waits: the group's strategy picks who
 * rings, as it does for a new caller — Simultaneous rings every free member, Sequential the next free member
 * in its order, Round-robin the next after its cursor, Least calls the fewest calls, Longest idle the longest
 * idle. The freed agent need not be the one chosen; a member left idle is offered the next caller by the
 * router's queue matching. Refused with NoAgentForQueueOfferError when nobody can take the call now.
 */
export function offerAgent(b: DecisionBuilder, freedAgentId: string): void {
  const run = connectRun(b)!;
  const queue = run.queue!;
  const group = b.ctx.config.groups[queue.groupId];
  const applet = connectApplet(b, run.appletId);
  if (!group || !applet) {
    throw new Error(`queue offer for unknown group ${queue.groupId} or applet ${run.appletId}`);
  }
  const number = run.queue?.callback?.phase === "requested" ? run.queue.callback.number : undefined;
  const settings: ConnectSettings = {
    ...connectSettings(b, applet, group),
    // A callback rings the agent first; the whisper tells them why (the caller is no longer on the line).
    ...(number !== undefined ? { whisper: { kind: "tts", text: `Callback for ${number}` } } : {}),
  };
  // Sequential keeps its place in the order from one offer to the next; once every pass is used it starts
  // again at the top: a queued caller waits until the queue's max wait, not until the passes run out.
  let result = chooseGroupMembers(b, group, {
    maxRingAttempts: settings.maxRingAttempts,
    sequential: run.sequential,
  });
  // Stryker disable next-line ConditionalExpression: with no Sequential progress the second choice is the first one again (chooseGroupMembers is pure)
  if (result.chosen.length === 0 && run.sequential !== undefined) {
    result = chooseGroupMembers(b, group, { maxRingAttempts: settings.maxRingAttempts });
  }
  if (result.chosen.length === 0) throw new NoAgentForQueueOfferError(b.state.callId, freedAgentId);
  const { cursor, exhausted: _exhausted, ...decided } = result;
  b.queueCommand(queue.groupId, { type: "Leave", callId: b.state.callId, reason: "agentOffered", at: b.now });
  b.emit({ type: "CallerDequeued", data: { groupId: queue.groupId, reason: "agentOffered" } });
  cancelTimers(b, ["queuePosition"]);
  advanceCursor(b, group, cursor);
  ring(
    b,
    {
      appletId: run.appletId,
      target: applet.target,
      purpose: "queueOffer",
      configVersion: b.ctx.config.version,
      seed: b.seed,
      groupId: group.groupId,
      ...decided,
      reason: `agent ${freedAgentId} became free; this caller waited longest (since ${queue.enqueuedAt}); ${result.reason}`,
    },
    settings,
    result.chosen.map((agentId) => ({ to: b.ctx.config.agents[agentId]!.contact, agentId })),
  );
}

/** Re-announces the queue position when it changed, at most every `announceEverySec`. */
export function maybeAnnounce(b: DecisionBuilder, fromTimer: boolean): void {
  const run = connectRun(b);
  if (!run?.queue?.waiting) return;
  const group = b.ctx.config.groups[run.queue.groupId];
  if (!group?.queue.announcePosition) return;
  const position = positionOf(b.queueState(group.groupId), b.state.callId);
  if (position === undefined) return;
  const every = group.queue.announceEverySec * 1000;
  const lastAt = run.queue.lastAnnouncedAt ?? Number.NEGATIVE_INFINITY;
  if (position !== run.queue.lastAnnouncedPosition && (fromTimer || b.now - lastAt >= every)) {
    announce(b, group.groupId, position);
  }
  if (fromTimer) schedule(b, "queuePosition", group.queue.announceEverySec);
}
