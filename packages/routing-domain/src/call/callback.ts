// Callbacks that keep the caller's place in line. A queue with `callback` settings offers waiting callers,
// after `offerAfterSec`, to be called back: they press the key, confirm their number (or enter another
// followed by #), hear a goodbye and hang up, and stay in the queue. When their turn comes an agent is
// reserved and rung first (the whisper says it is a callback), then the customer is dialled with the
// business number; an unanswered call back is retried after `retryAfterSec`, keeping the place, at most
// `maxAttempts` times, then the call ends as `callbackFailed`.
//
// Leaf module (no import of connect.ts or flow-runner.ts): the call's decider wires it in, and a function
// whose outcome ends the call returns `true` for its caller to end it.
import type { CallbackSettings, GroupConfig } from "../config/snapshot.js";
import { dialRefusal } from "../shared/dial-policy.js";
import { isE164 } from "../shared/validation.js";
import type { DecisionBuilder } from "./builder.js";
import { dialable } from "./dial.js";
import { cancelLeg, isLive } from "./legs.js";
import { connectRun, schedule } from "./run.js";
import type { CallbackRun } from "./types.js";

const CONFIRM = "1";
const OTHER_NUMBER = "2";

function settingsOf(b: DecisionBuilder): { group: GroupConfig; callback: CallbackSettings } | undefined {
  const run = connectRun(b);
  const group = run?.queue ? b.ctx.config.groups[run.queue.groupId] : undefined;
  return group?.queue.callback ? { group, callback: group.queue.callback } : undefined;
}

export function callbackOf(b: DecisionBuilder): CallbackRun | undefined {
  return connectRun(b)?.queue?.callback;
}

/** The caller asked to be called back and is no longer on the line. */
export const isCallbackRequested = (b: DecisionBuilder): boolean => callbackOf(b)?.phase === "requested";

/** On joining the queue: the offer's timer, once per call. */
export function scheduleCallbackOffer(b: DecisionBuilder, group: GroupConfig): void {
  const callback = group.queue.callback;
  if (!callback || callbackOf(b) !== undefined) return;
  if (Object.values(b.state.timers).some((t) => t.kind === "callbackOffer")) return;
  schedule(b, "callbackOffer", callback.offerAfterSec);
}

function prompt(b: DecisionBuilder, text: string): void {
  b.emit({
    type: "PlaybackStarted",
    data: {
      playbackId: b.newId("play"),
      legId: b.state.callerLegId,
      audio: { kind: "tts", text },
      purpose: "callbackPrompt",
    },
  });
}

const spoken = (number: string) => `plus ${number.replace(/^\+/, "").split("").join(" ")}`;

/** The offer's timer fired: a caller still waiting hears it (once). */
export function offerCallback(b: DecisionBuilder): void {
  const s = settingsOf(b);
  const run = connectRun(b);
  if (!s || !run?.queue?.waiting || run.queue.callback !== undefined) return;
  b.emit({ type: "CallbackStep", data: { phase: "offered" } });
  prompt(b, `To be called back instead of waiting, press ${s.callback.key}. You keep your place in line.`);
}

/** A digit from a caller in the callback prompts. False when the digit is not theirs to take. */
export function callbackDigit(b: DecisionBuilder, digit: string): boolean {
  const s = settingsOf(b);
  const c = callbackOf(b);
  if (!s || !c || c.phase === "requested" || !connectRun(b)?.queue?.waiting) return false;
  switch (c.phase) {
    case "offered":
      if (digit !== s.callback.key) return true;
      b.emit({ type: "CallbackStep", data: { phase: "confirming", number: b.state.from } });
      prompt(
        b,
        `We will call you back on ${spoken(b.state.from)}. Press ${CONFIRM} to confirm, or ${OTHER_NUMBER} to enter another number.`,
      );
      return true;
    case "confirming":
      if (digit === CONFIRM) request(b, c.number ?? b.state.from);
      else if (digit === OTHER_NUMBER) {
        b.emit({ type: "CallbackStep", data: { phase: "entering", digits: "" } });
        prompt(b, "Enter the number with its country code, then press the hash key.");
      }
      return true;
    case "entering": {
      if (/^[0-9]$/.test(digit)) {
        const digits = `${c.digits ?? ""}${digit}`.slice(0, 15);
        b.emit({ type: "CallbackStep", data: { phase: "entering", digits } });
        return true;
      }
      if (digit !== "#") return true;
      const number = `+${c.digits ?? ""}`;
      // A full international number: E.164 and at least 7 digits (no short codes for a call back).
      const refused =
        isE164(number) && number.length >= 8
          ? dialRefusal(number, b.ctx.config.account.dialPolicy)
          : "not a number";
      if (refused === undefined) {
        request(b, number);
      } else {
        b.emit({ type: "CallbackStep", data: { phase: "confirming", number: b.state.from } });
        prompt(
          b,
          `That number cannot be called. Press ${CONFIRM} to be called back on ${spoken(b.state.from)}, or ${OTHER_NUMBER} to enter another number.`,
        );
      }
      return true;
    }
    default:
      return true;
  }
}

function request(b: DecisionBuilder, number: string): void {
  b.emit({ type: "CallbackRequested", data: { number, at: b.now } });
  // No longer holding: no position announcements, and the queue's max wait does not apply.
  for (const [timerId, t] of Object.entries(b.state.timers)) {
    if (t.kind === "queueMaxWait" || t.kind === "queuePosition")
      b.emit({ type: "TimerCancelled", data: { timerId } });
  }
  prompt(b, "Thank you. We will call you back when it is your turn. Goodbye.");
}

/** The goodbye finished: the caller's line is hung up; their place in the queue stays. */
export function callbackPlaybackFinished(b: DecisionBuilder, playbackId: string): boolean {
  const c = callbackOf(b);
  if (c?.phase !== "requested" || c.goodbyePlaybackId !== playbackId) return false;
  const caller = b.state.legs[b.state.callerLegId];
  if (caller && isLive(caller)) {
    if (b.state.holdMusic.includes(caller.legId))
      b.emit({ type: "HoldMusicStopped", data: { legId: caller.legId } });
    b.emit({ type: "LegHangupRequested", data: { legId: caller.legId, reason: "callbackRequested" } });
  }
  return true;
}

/**
 * The agent answered a callback (after the whisper): dial the customer, the agent hearing ringback. True
 * when the call must end (the number may not be dialled and no attempt is left).
 */
export function dialCustomer(b: DecisionBuilder, agentLegId: string): boolean {
  const c = callbackOf(b)!;
  const s = settingsOf(b)!;
  const number = c.number ?? b.state.from;
  const { refusals } = dialable(b, [{ to: { kind: "phone", number } }], "connect");
  if (refusals.length > 0) {
    return attemptFailed(b, refusals.join("; "), agentLegId);
  }
  b.emit(
    { type: "HoldMusicStarted", data: { legId: agentLegId, audio: { kind: "ringback" } } },
    {
      type: "LegOriginateRequested",
      data: {
        legId: b.newId("leg"),
        role: "customer",
        to: { kind: "phone", number },
        callerId: b.state.to,
        timeoutSec: s.group.ringTimeoutSec,
      },
    },
  );
  schedule(b, "callbackRingTimeout", s.group.ringTimeoutSec);
  return false;
}

/** The agent leg of the callback in progress (answered, waiting for the customer). */
function agentLegOf(b: DecisionBuilder): string | undefined {
  return connectRun(b)?.legIds.find((id) => b.state.legs[id]?.status === "answered");
}

/**
 * A call back nobody answered (the customer's line was busy, rang out or failed, or the agent left): both
 * legs go, and the caller is called again later from their place in line. True when no attempt is left
 * (the caller ends the call as `callbackFailed`).
 */
export function attemptFailed(b: DecisionBuilder, reason: string, agentLegId = agentLegOf(b)): boolean {
  const c = callbackOf(b);
  const s = settingsOf(b);
  if (!c || !s) return false;
  for (const [timerId, t] of Object.entries(b.state.timers)) {
    if (t.kind === "callbackRingTimeout") b.emit({ type: "TimerCancelled", data: { timerId } });
  }
  if (c.customerLegId !== undefined) cancelLeg(b, c.customerLegId, "callbackFailed");
  if (agentLegId !== undefined) {
    if (b.state.holdMusic.includes(agentLegId))
      b.emit({ type: "HoldMusicStopped", data: { legId: agentLegId } });
    cancelLeg(b, agentLegId, "callbackFailed");
  }
  const attempt = c.attempts + 1;
  const willRetry = attempt < s.callback.maxAttempts;
  b.emit({ type: "CallbackAttemptFailed", data: { attempt, reason, willRetry } });
  if (willRetry) schedule(b, "callbackRetry", s.callback.retryAfterSec);
  return !willRetry;
}

/** The retry's time came: the group to re-enqueue the caller in, at their original place. */
export function callbackRetryGroup(
  b: DecisionBuilder,
): { group: GroupConfig; enqueuedAt: number } | undefined {
  const run = connectRun(b);
  const s = settingsOf(b);
  if (!run?.queue || !s || !isCallbackRequested(b)) return undefined;
  return { group: s.group, enqueuedAt: run.queue.enqueuedAt };
}

/** The customer answered: the ring timer goes; the agent stops hearing ringback. */
export function customerAnswered(b: DecisionBuilder, legId: string): string | undefined {
  b.emit({ type: "LegAnswered", data: { legId, at: b.now } });
  for (const [timerId, t] of Object.entries(b.state.timers)) {
    if (t.kind === "callbackRingTimeout") b.emit({ type: "TimerCancelled", data: { timerId } });
  }
  const agentLegId = agentLegOf(b);
  if (agentLegId !== undefined && b.state.holdMusic.includes(agentLegId))
    b.emit({ type: "HoldMusicStopped", data: { legId: agentLegId } });
  return agentLegId;
}
