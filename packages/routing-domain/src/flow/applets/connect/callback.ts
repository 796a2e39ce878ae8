// Callbacks that keep the caller's place in line. A queue with `callback` settings offers waiting callers,
// after `offerAfterSec`, to be called back: they press the key, confirm their number (or enter another
// followed by #), hear a goodbye and hang up, and stay in the queue. When their turn comes an agent is
// reserved and rung first (the whisper says it is a callback), then the customer is dialled with the
// business number; an unanswered call back is retried after `retryAfterSec`, keeping the place, at most
// `maxAttempts` times, then the call ends as `callbackFailed`.
//
// Leaf module (no import of connect.ts or flow-runner.ts): the call's decider wires it in, and a function
// whose outcome ends the call returns `true` for its caller to end it.

import type { DecisionBuilder } from "../../../call/builder.js";
import { dialable } from "../../../call/dial.js";
import { cancelLeg, isLive } from "../../../call/legs.js";
import { connectRun, schedule } from "../../../call/run.js";
import type { CallbackRun } from "../../../call/types.js";
import type { CallbackSettings, GroupConfig } from "../../../config/snapshot.js";
import { dialRefusal } from "../../../shared/dial-policy.js";
import { isE164 } from "../../../shared/validation.js";

const CONFIRM = "1";
const OTHER_NUMBER = "2";

/** Ring time of a call back whose group no longer has callback settings (they were removed meanwhile). */
const CALLBACK_RING_TIMEOUT_SEC = 30;

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
      // Stryker disable next-line StringLiteral: the kind in an id is for people reading the stream; ids stay unique through the decision's counter (DecisionBuilder.newId)
      playbackId: b.newId("play"),
      legId: b.state.callerLegId,
      audio: { kind: "tts", text },
      purpose: "callbackPrompt",
    },
  });
}

// Stryker disable next-line Regex: spoken() is only given callable numbers (E.164: one +, at the start)
const spoken = (number: string) => `plus ${number.replace(/^\+/, "").split("").join(" ")}`;

/** The offer's timer fired: a caller still waiting hears it (once). */
export function offerCallback(b: DecisionBuilder): void {
  const s = settingsOf(b);
  const run = connectRun(b);
  // Stryker disable next-line ConditionalExpression: the offer's timer is scheduled once per call (scheduleCallbackOffer), so it never finds a callback under way; the check keeps a second offer impossible should that change
  if (!s || !run?.queue?.waiting || run.queue.callback !== undefined) return;
  b.emit({ type: "CallbackStep", data: { phase: "offered" } });
  prompt(b, `To be called back instead of waiting, press ${s.callback.key}. You keep your place in line.`);
}

/**
 * The caller's own number can be called back: a full international number (E.164, at least 7 digits: no
 * short codes) that the account's dial policy allows. Checked when the caller names it, so nobody hangs up
 * waiting for a call back that can never be dialled.
 */
function callable(b: DecisionBuilder, number: string): boolean {
  return (
    isE164(number) && number.length >= 8 && dialRefusal(number, b.ctx.config.account.dialPolicy) === undefined
  );
}

const ENTER = "Enter the number with its country code, then press the hash key.";

/**
 * A digit from a queued caller in the callback prompts. Any other digit (not queued, no callback, or one
 * pressed after the request, during the goodbye) is not the callback's and changes nothing here; the call's
 * decider hands digits to an IVR menu only, which a queued caller is never in.
 */
export function callbackDigit(b: DecisionBuilder, digit: string): void {
  const s = settingsOf(b);
  const c = callbackOf(b);
  if (!s || !c || !connectRun(b)?.queue?.waiting) return;
  const own = b.state.from;
  switch (c.phase) {
    case "requested":
      return;
    case "offered":
      if (digit !== s.callback.key) return;
      if (callable(b, own)) {
        b.emit({ type: "CallbackStep", data: { phase: "confirming", number: own } });
        prompt(
          b,
          `We will call you back on ${spoken(own)}. Press ${CONFIRM} to confirm, or ${OTHER_NUMBER} to enter another number.`,
        );
      } else {
        // A withheld or uncallable own number: there is nothing to confirm, only another number to enter.
        b.emit({ type: "CallbackStep", data: { phase: "entering", digits: "" } });
        prompt(b, ENTER);
      }
      return;
    case "confirming":
      if (digit === CONFIRM) request(b, own);
      else if (digit === OTHER_NUMBER) {
        b.emit({ type: "CallbackStep", data: { phase: "entering", digits: "" } });
        prompt(b, ENTER);
      }
      return;
    case "entering": {
      // Stryker disable next-line Regex: DTMF digits are single characters (0-9, *, #, A-D), so an anchor changes nothing
      if (/^[0-9]$/.test(digit)) {
        // One digit more than E.164 allows is kept, so an over-long number is refused at # rather than cut
        // short to a number that is not the caller's; the bound keeps a caller's key presses from growing
        // the event without end.
        // Stryker disable next-line StringLiteral: the "entering" step always sets digits (to "" at first), so the fallback is never taken
        const digits = `${c.digits ?? ""}${digit}`.slice(0, 16);
        b.emit({ type: "CallbackStep", data: { phase: "entering", digits } });
        return;
      }
      if (digit !== "#") return;
      // Stryker disable next-line StringLiteral: the "entering" step always sets digits (to "" at first), so the fallback is never taken
      const number = `+${c.digits ?? ""}`;
      if (callable(b, number)) {
        request(b, number);
      } else if (callable(b, own)) {
        b.emit({ type: "CallbackStep", data: { phase: "confirming", number: own } });
        prompt(
          b,
          `That number cannot be called. Press ${CONFIRM} to be called back on ${spoken(own)}, or ${OTHER_NUMBER} to enter another number.`,
        );
      } else {
        b.emit({ type: "CallbackStep", data: { phase: "entering", digits: "" } });
        prompt(b, `That number cannot be called. ${ENTER}`);
      }
      return;
    }
    // Stryker disable next-line ConditionalExpression,BlockStatement: the exhaustive switch's never branch; TypeScript proves it unreachable
    default: {
      const unknown: never = c.phase;
      throw new Error(`unknown callback phase ${String(unknown)}`);
    }
  }
}

function request(b: DecisionBuilder, number: string): void {
  b.emit({ type: "CallbackRequested", data: { number, at: b.now } });
  // No longer holding: no position announcements, and the queue's max wait does not apply.
  for (const [timerId, t] of Object.entries(b.state.timers)) {
    // Stryker disable next-line ConditionalExpression: a waiting caller's only timers are the queue's (the offer's has fired, nothing rings), so cancelling every timer would cancel the same ones
    if (t.kind === "queueMaxWait" || t.kind === "queuePosition")
      b.emit({ type: "TimerCancelled", data: { timerId } });
  }
  prompt(b, "Thank you. We will call you back when it is your turn. Goodbye.");
}

/**
 * The goodbye finished: the caller's line is hung up; their place in the queue stays. Any other playback is
 * not the callback's (the goodbye's id is the call's own), so the call's decider may look at it after this.
 */
export function callbackPlaybackFinished(b: DecisionBuilder, playbackId: string): void {
  const c = callbackOf(b);
  if (c?.phase !== "requested" || c.goodbyePlaybackId !== playbackId) return;
  const caller = b.state.callerLegId;
  if (!isLive(b.state.legs[caller])) return;
  // Stryker disable next-line ConditionalExpression: a queued caller hears hold music until their line ends (nothing between the request and the goodbye's end stops it); the check keeps the event honest should that change
  if (b.state.holdMusic.includes(caller)) b.emit({ type: "HoldMusicStopped", data: { legId: caller } });
  b.emit({ type: "LegHangupRequested", data: { legId: caller, reason: "callbackRequested" } });
}

/**
 * The agent answered a callback (after the whisper): dial the customer, the agent hearing ringback. True
 * when the call must end (the number may not be dialled and no attempt is left).
 */
export function dialCustomer(b: DecisionBuilder, agentLegId: string): boolean {
  const c = callbackOf(b)!;
  // A callback promised before its settings were removed from the group is still honoured.
  const ringTimeoutSec = settingsOf(b)?.group.ringTimeoutSec ?? CALLBACK_RING_TIMEOUT_SEC;
  const number = c.number ?? b.state.from;
  // The number was callable when the caller named it; the account's dial policy may have changed since.
  const [refusal] = dialable(b, [{ to: { kind: "phone", number } }], "connect").refusals;
  if (refusal !== undefined) return attemptFailed(b, refusal, agentLegId);
  b.emit(
    { type: "HoldMusicStarted", data: { legId: agentLegId, audio: { kind: "ringback" } } },
    {
      type: "LegOriginateRequested",
      data: {
        // Stryker disable next-line StringLiteral: the kind in an id is for people reading the stream; ids stay unique through the decision's counter (DecisionBuilder.newId)
        legId: b.newId("leg"),
        role: "customer",
        to: { kind: "phone", number },
        callerId: b.state.to,
        timeoutSec: ringTimeoutSec,
      },
    },
  );
  schedule(b, "callbackRingTimeout", ringTimeoutSec);
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
  if (!c) return false;
  for (const [timerId, t] of Object.entries(b.state.timers)) {
    // Stryker disable next-line ConditionalExpression: while a call back dials the customer its ring timer is the call's only timer (the queue's were cancelled at the request, the agent's ring timer when they answered)
    if (t.kind === "callbackRingTimeout") b.emit({ type: "TimerCancelled", data: { timerId } });
  }
  if (c.customerLegId !== undefined) cancelLeg(b, c.customerLegId, "callbackFailed");
  if (agentLegId !== undefined) {
    if (b.state.holdMusic.includes(agentLegId))
      b.emit({ type: "HoldMusicStopped", data: { legId: agentLegId } });
    cancelLeg(b, agentLegId, "callbackFailed");
  }
  const attempt = c.attempts + 1;
  // Settings removed from the group since the request: no retry to schedule; the caller's call ends.
  const willRetry = s !== undefined && attempt < s.callback.maxAttempts;
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
    // Stryker disable next-line ConditionalExpression: while a call back dials the customer its ring timer is the call's only timer (the queue's were cancelled at the request, the agent's ring timer when they answered)
    if (t.kind === "callbackRingTimeout") b.emit({ type: "TimerCancelled", data: { timerId } });
  }
  const agentLegId = agentLegOf(b);
  if (agentLegId !== undefined && b.state.holdMusic.includes(agentLegId))
    b.emit({ type: "HoldMusicStopped", data: { legId: agentLegId } });
  return agentLegId;
}
