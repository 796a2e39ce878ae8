import { RoutingDomainError } from "../shared/errors.js";

export type AgentStatus =
  | "signedOut"
  | "available"
  | "onBreak"
  | "offline"
  | "reserved"
  | "ringing"
  | "onCall"
  | "wrapUp";

/** Statuses in which an agent holds a call: never offered another one. */
export const BUSY_STATUSES: ReadonlySet<AgentStatus> = new Set(["reserved", "ringing", "onCall", "wrapUp"]);

export interface AgentState {
  readonly status: AgentStatus;
  /** The call the agent is reserved for, ringing for, on, or wrapping up. */
  readonly callId?: string;
  readonly legId?: string;
  /** Since when the agent has been available without a call (set on sign-in, after a call, after a break). */
  readonly idleSince?: number;
  /** Calls answered in the period named by `periodKey`. */
  readonly calls: { readonly periodKey: string; readonly count: number };
  readonly wrapUpEndsAt?: number;
  /** Offers missed in a row (no answer, busy, rejected) since the last answered call, sign-in or break. */
  readonly missedOffers?: number;
  /** Not offered a call before this instant: the cooldown after a missed offer. */
  readonly cooldownUntil?: number;
  /** Why the agent is on break ("missed offers" when the platform paused them). */
  readonly breakReason?: string;
}

/** The break reason of an agent paused by the platform after too many missed offers in a row. */
export const MISSED_OFFERS_BREAK = "missed offers";

export const INITIAL_AGENT: AgentState = { status: "signedOut", calls: { periodKey: "", count: 0 } };

export const agentStreamId = (agentId: string): string => `agent-${agentId}`;
/** The agent whose stream this is, or undefined for another stream. */
export const agentIdOfStream = (streamId: string): string | undefined =>
  streamId.startsWith("agent-") ? streamId.slice("agent-".length) : undefined;

export type AgentCommand =
  | { readonly type: "SignIn"; readonly now: number }
  | { readonly type: "SignOut"; readonly now: number }
  | { readonly type: "StartBreak"; readonly now: number; readonly reason?: string }
  | { readonly type: "EndBreak"; readonly now: number }
  | { readonly type: "MarkOffline"; readonly now: number }
  | { readonly type: "Reserve"; readonly callId: string; readonly legId: string; readonly now: number }
  | { readonly type: "StartRinging"; readonly callId: string; readonly now: number }
  /** `periodKey` is computed by the caller with `periodKey(now, timeZone, period)`. */
  | { readonly type: "Answer"; readonly callId: string; readonly now: number; readonly periodKey: string }
  | {
      readonly type: "Release";
      readonly callId: string;
      readonly now: number;
      readonly reason: string;
      /**
       * Present when the agent's phone missed the offer (no answer, busy, rejected), with the policy of the
       * group the offer came through; absent when the call took the offer back (answered elsewhere, caller gone).
       */
      readonly missed?: { readonly maxMissedOffers: number; readonly cooldownSec: number };
    }
  | { readonly type: "EndCall"; readonly callId: string; readonly now: number; readonly wrapUpSec: number }
  | { readonly type: "EndWrapUp"; readonly callId: string; readonly now: number };

export type AgentEvent =
  | { readonly type: "AgentSignedIn"; readonly data: { readonly at: number } }
  | { readonly type: "AgentSignedOut"; readonly data: { readonly at: number } }
  | {
      readonly type: "AgentBreakStarted";
      /** `reason` "missed offers" with `misses`: the platform paused the agent in the decision that saw the miss. */
      readonly data: { readonly at: number; readonly reason?: string; readonly misses?: number };
    }
  | { readonly type: "AgentBreakEnded"; readonly data: { readonly at: number } }
  | { readonly type: "AgentWentOffline"; readonly data: { readonly at: number } }
  | {
      readonly type: "AgentReserved";
      readonly data: { readonly callId: string; readonly legId: string; readonly at: number };
    }
  | { readonly type: "AgentRinging"; readonly data: { readonly callId: string; readonly at: number } }
  | {
      readonly type: "AgentAnswered";
      readonly data: { readonly callId: string; readonly at: number; readonly periodKey: string };
    }
  | {
      readonly type: "AgentReleased";
      readonly data: {
        readonly callId: string;
        readonly at: number;
        readonly reason: string;
        /** The agent's phone missed the offer: `misses` in a row now; no offer before `cooldownUntil`. */
        readonly missed?: boolean;
        readonly misses?: number;
        readonly cooldownUntil?: number;
      };
    }
  | {
      readonly type: "AgentCallEnded";
      /** `wrapUpEndsAt` present: the agent is in wrap-up until then (a timer ends it). */
      readonly data: { readonly callId: string; readonly at: number; readonly wrapUpEndsAt?: number };
    }
  | { readonly type: "AgentWrapUpEnded"; readonly data: { readonly callId: string; readonly at: number } };

/** Reservation refused because the agent already holds a call (reserved, ringing, on a call, wrap-up). */
export class AgentBusyError extends RoutingDomainError {
  override readonly name = "AgentBusyError";
  constructor(
    readonly status: AgentStatus,
    readonly heldCallId: string | undefined,
  ) {
    super(
      `agent is ${status}${heldCallId ? ` (call ${heldCallId})` : ""} and cannot be offered another call`,
    );
  }
}

/** Reservation refused because the agent missed an offer a moment ago and is cooling down. */
export class AgentInCooldownError extends RoutingDomainError {
  override readonly name = "AgentInCooldownError";
  constructor(readonly cooldownUntil: number) {
    super(`agent missed an offer and is not offered calls until ${cooldownUntil}`);
  }
}

/** The agent is cooling down after a missed offer at `now`. */
export const inCooldown = (state: AgentState, now: number): boolean =>
  state.cooldownUntil !== undefined && now < state.cooldownUntil;

/** Available and not cooling down: the agent may be offered a call at `now`. */
export const isOfferable = (state: AgentState, now: number): boolean =>
  state.status === "available" && !inCooldown(state, now);

/** Reservation refused because the agent is not taking calls (signed out, on break, offline). */
export class AgentUnavailableError extends RoutingDomainError {
  override readonly name = "AgentUnavailableError";
  constructor(readonly status: AgentStatus) {
    super(`agent is ${status} and cannot be offered a call`);
  }
}

export class InvalidAgentTransitionError extends RoutingDomainError {
  override readonly name = "InvalidAgentTransitionError";
  constructor(
    readonly status: AgentStatus,
    readonly command: AgentCommand["type"],
  ) {
    super(`${command} is not allowed while the agent is ${status}`);
  }
}

/**
 * A call-driven command for a call the agent holds no part in (not reserved for, ringing for, on, or wrapping
 * up): e.g. an Answer that arrives after the offer was released. Refused rather than ignored, because the
 * call's decision that sends it would otherwise bridge a caller to an agent who is not holding the call.
 */
export class StaleAgentCommandError extends RoutingDomainError {
  override readonly name = "StaleAgentCommandError";
  constructor(
    readonly status: AgentStatus,
    readonly command: AgentCommand["type"],
    readonly callId: string,
  ) {
    super(`${command} for call ${callId} while the agent is ${status} and holds no call`);
  }
}

const holdsCall = (state: AgentState, callId: string): boolean => state.callId === callId;

/**
 * The agent decider is strict: each command names the states (and, for call-driven commands, the call) it
 * applies to; anything else is either ignored (no events: a duplicate, or a stale input the agent has moved
 * past) or refused with a typed error, never applied.
 *
 * | command      | applies when                                   | ignored (no events)                  | refused                                                   |
 * | ------------ | ---------------------------------------------- | ------------------------------------ | --------------------------------------------------------- |
 * | SignIn       | signedOut, offline                             | available (duplicate)                | onBreak, reserved, ringing, onCall, wrapUp: Invalid…      |
 * | SignOut      | available, onBreak, offline, wrapUp            | signedOut (duplicate)                | reserved, ringing, onCall: Invalid…                       |
 * | StartBreak   | available, wrapUp                              | onBreak (duplicate)                  | signedOut, offline, reserved, ringing, onCall: Invalid…   |
 * | EndBreak     | onBreak                                        | —                                    | every other state: Invalid… (the call is never touched)   |
 * | MarkOffline  | available, onBreak, signedOut, wrapUp          | offline (duplicate)                  | reserved, ringing, onCall: Invalid…                       |
 * | Reserve      | available, not cooling down                    | —                                    | cooling down: AgentInCooldown…; holding a call: AgentBusy…; signedOut/onBreak/offline: AgentUnavailable… |
 * | StartRinging | reserved for this call                         | anything else (late or repeated)     | —                                                         |
 * | Answer       | reserved or ringing for this call              | on / wrapping up this call (repeat)  | holding another call: AgentBusy…; holding none: StaleAgentCommand… |
 * | Release      | reserved or ringing for this call              | anything else: a late release never frees an agent who answered | —                              |
 * | EndCall      | on this call                                   | anything else (late or repeated)     | —                                                         |
 * | EndWrapUp    | wrapping up this call                          | anything else (a stale wrap-up timer)| —                                                         |
 *
 * Refusals are for commands a caller must hear about (an admin asking for an impossible change, a router
 * about to bridge a call the agent does not hold); ignoring is for inputs that redelivery or a race makes late.
 */
export function decideAgent(command: AgentCommand, state: AgentState): AgentEvent[] {
  const s = state.status;
  const refuse = (): never => {
    throw new InvalidAgentTransitionError(s, command.type);
  };
  switch (command.type) {
    case "SignIn":
      if (s === "available") return [];
      if (s === "signedOut" || s === "offline") return [{ type: "AgentSignedIn", data: { at: command.now } }];
      return refuse();
    case "SignOut":
      if (s === "signedOut") return [];
      if (BUSY_STATUSES.has(s) && s !== "wrapUp") return refuse();
      return [{ type: "AgentSignedOut", data: { at: command.now } }];
    case "StartBreak":
      if (s === "onBreak") return [];
      if (s === "available" || s === "wrapUp")
        return [
          {
            type: "AgentBreakStarted",
            data: { at: command.now, ...(command.reason !== undefined ? { reason: command.reason } : {}) },
          },
        ];
      return refuse();
    case "EndBreak":
      if (s !== "onBreak") return refuse();
      return [{ type: "AgentBreakEnded", data: { at: command.now } }];
    case "MarkOffline":
      if (s === "offline") return [];
      if (BUSY_STATUSES.has(s) && s !== "wrapUp") return refuse();
      return [{ type: "AgentWentOffline", data: { at: command.now } }];
    case "Reserve":
      if (s === "available") {
        if (inCooldown(state, command.now)) throw new AgentInCooldownError(state.cooldownUntil as number);
        return [
          { type: "AgentReserved", data: { callId: command.callId, legId: command.legId, at: command.now } },
        ];
      }
      if (BUSY_STATUSES.has(s)) throw new AgentBusyError(s, state.callId);
      throw new AgentUnavailableError(s);
    case "StartRinging":
      if (s === "reserved" && holdsCall(state, command.callId)) {
        return [{ type: "AgentRinging", data: { callId: command.callId, at: command.now } }];
      }
      return [];
    case "Answer":
      if ((s === "reserved" || s === "ringing") && holdsCall(state, command.callId)) {
        return [
          {
            type: "AgentAnswered",
            data: { callId: command.callId, at: command.now, periodKey: command.periodKey },
          },
        ];
      }
      if (holdsCall(state, command.callId)) return [];
      if (state.callId === undefined) throw new StaleAgentCommandError(s, command.type, command.callId);
      throw new AgentBusyError(s, state.callId);
    case "Release":
      // Idempotent: releasing a reservation the agent no longer holds changes nothing.
      if ((s === "reserved" || s === "ringing") && holdsCall(state, command.callId)) {
        const released = { callId: command.callId, at: command.now, reason: command.reason };
        const missed = command.missed;
        if (!missed) return [{ type: "AgentReleased", data: released }];
        const misses = (state.missedOffers ?? 0) + 1;
        const events: AgentEvent[] = [
          {
            type: "AgentReleased",
            data: {
              ...released,
              missed: true,
              misses,
              ...(missed.cooldownSec > 0 ? { cooldownUntil: command.now + missed.cooldownSec * 1000 } : {}),
            },
          },
        ];
        // Paused in the same decision as the miss: no router can offer the agent a call in between.
        if (missed.maxMissedOffers > 0 && misses >= missed.maxMissedOffers) {
          events.push({
            type: "AgentBreakStarted",
            data: { at: command.now, reason: MISSED_OFFERS_BREAK, misses },
          });
        }
        return events;
      }
      return [];
    case "EndCall":
      if (s === "onCall" && holdsCall(state, command.callId)) {
        return [
          {
            type: "AgentCallEnded",
            data: {
              callId: command.callId,
              at: command.now,
              ...(command.wrapUpSec > 0 ? { wrapUpEndsAt: command.now + command.wrapUpSec * 1000 } : {}),
            },
          },
        ];
      }
      return [];
    case "EndWrapUp":
      // A wrap-up timer for an earlier call (or one the agent already left) is stale: ignore it.
      if (s === "wrapUp" && holdsCall(state, command.callId)) {
        return [{ type: "AgentWrapUpEnded", data: { callId: command.callId, at: command.now } }];
      }
      return [];
    default: {
      const unknown: never = command;
      throw new Error(`unknown agent command ${JSON.stringify(unknown)}`);
    }
  }
}

/** A fresh start: the agent signed in or came back from a break. */
const clearMisses = (state: AgentState): AgentState => {
  const { missedOffers: _m, cooldownUntil: _c, breakReason: _b, ...rest } = state;
  return rest;
};

const clearCall = (state: AgentState): AgentState => {
  const { callId: _c, legId: _l, wrapUpEndsAt: _w, ...rest } = state;
  return rest;
};

export function evolveAgent(state: AgentState, event: AgentEvent): AgentState {
  switch (event.type) {
    case "AgentSignedIn":
    case "AgentBreakEnded":
      return { ...clearMisses(clearCall(state)), status: "available", idleSince: event.data.at };
    case "AgentSignedOut":
      return { ...clearCall(state), status: "signedOut" };
    case "AgentBreakStarted": {
      const { breakReason: _b, ...rest } = clearCall(state);
      return {
        ...rest,
        status: "onBreak",
        ...(event.data.reason !== undefined ? { breakReason: event.data.reason } : {}),
      };
    }
    case "AgentWentOffline":
      return { ...clearCall(state), status: "offline" };
    case "AgentReserved":
      return { ...state, status: "reserved", callId: event.data.callId, legId: event.data.legId };
    case "AgentRinging":
      return { ...state, status: "ringing" };
    case "AgentAnswered": {
      const { periodKey } = event.data;
      const count = state.calls.periodKey === periodKey ? state.calls.count + 1 : 1;
      return { ...clearMisses(state), status: "onCall", calls: { periodKey, count } };
    }
    case "AgentReleased":
      // The agent did not take the call: still idle since before the offer.
      if (event.data.missed) {
        const { cooldownUntil: _c, ...rest } = clearCall(state);
        return {
          ...rest,
          status: "available",
          missedOffers: event.data.misses ?? (state.missedOffers ?? 0) + 1,
          ...(event.data.cooldownUntil !== undefined ? { cooldownUntil: event.data.cooldownUntil } : {}),
        };
      }
      return { ...clearCall(state), status: "available" };
    case "AgentCallEnded":
      if (event.data.wrapUpEndsAt !== undefined) {
        return { ...state, status: "wrapUp", wrapUpEndsAt: event.data.wrapUpEndsAt };
      }
      return { ...clearCall(state), status: "available", idleSince: event.data.at };
    case "AgentWrapUpEnded":
      return { ...clearCall(state), status: "available", idleSince: event.data.at };
    default: {
      const unknown: never = event;
      throw new Error(`unknown agent event ${JSON.stringify(unknown)}`);
    }
  }
}

export const agentDecider = {
  initialState: (): AgentState => INITIAL_AGENT,
  decide: decideAgent,
  evolve: evolveAgent,
};

/** Calls handled in the period named by `periodKey` (0 once the period has rolled over). */
export const callsInPeriod = (state: AgentState, periodKey: string): number =>
  state.calls.periodKey === periodKey ? state.calls.count : 0;

/** Whole seconds the agent has been idle at `now` (0 when not available). */
export const idleSeconds = (state: AgentState, now: number): number =>
  state.status === "available" && state.idleSince !== undefined
    ? Math.max(0, Math.floor((now - state.idleSince) / 1000))
    : 0;

/** An agent's state as read by a router, with the stream version the reservation must expect. */
export interface PresenceEntry {
  readonly state: AgentState;
  readonly version: number;
}

/** agentId → presence. May lag the agent streams; reservations are checked by expected version. */
export type PresenceView = Readonly<Record<string, PresenceEntry>>;
