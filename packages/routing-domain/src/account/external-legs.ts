// The account's external legs (calls the platform places to phone numbers on the account's behalf): how many
// are up now and how many minutes were used this hour, so the toll-fraud caps of the dial policy hold
// across every router. One stream for the account: a leg counts once it is recorded here at the stream's
// expected version, so two routers can never both take the last slot.
import { RoutingDomainError } from "../shared/errors.js";

export const EXTERNAL_LEGS_STREAM = "account-external_legs";

const HOUR_MS = 3_600_000;
/** A leg whose end was never seen (a lost fact) stops counting after this long. */
export const EXTERNAL_LEG_MAX_AGE_MS = 6 * HOUR_MS;

export interface ExternalLegLimits {
  readonly maxConcurrent?: number;
  readonly maxMinutesPerHour?: number;
}

export interface ActiveExternalLeg {
  readonly callId: string;
  readonly number: string;
  readonly startedAt: number;
}

export interface ExternalLegsState {
  /** Legs up or ringing, by key (`<callId>|<number>`). */
  readonly active: Readonly<Record<string, ActiveExternalLeg>>;
  /** Seconds of ended legs within the clock hour starting at `hourStart`. */
  readonly hourStart: number;
  readonly usedSec: number;
}

export const EMPTY_EXTERNAL_LEGS: ExternalLegsState = { active: {}, hourStart: 0, usedSec: 0 };

export type ExternalLegsEvent =
  | {
      readonly type: "ExternalLegStarted";
      readonly data: {
        readonly key: string;
        readonly callId: string;
        readonly number: string;
        readonly at: number;
      };
    }
  | {
      readonly type: "ExternalLegEnded";
      readonly data: {
        readonly key: string;
        readonly callId: string;
        readonly at: number;
        readonly billedSec: number;
      };
    };

export type ExternalLegsCommand =
  | {
      readonly type: "StartExternalLeg";
      readonly callId: string;
      readonly number: string;
      readonly limits: ExternalLegLimits;
      readonly now: number;
    }
  | {
      readonly type: "EndExternalLeg";
      readonly callId: string;
      readonly number: string;
      readonly now: number;
    }
  /** The call ended: every leg of it still counted ends. */
  | { readonly type: "EndCallExternalLegs"; readonly callId: string; readonly now: number };

/** A cap of the dial policy would be exceeded: the leg is refused (a DialRefused event with this reason). */
export class ExternalLegLimitError extends RoutingDomainError {
  override readonly name = "ExternalLegLimitError";
}

export const externalLegKey = (callId: string, number: string): string => `${callId}|${number}`;

const hourOf = (at: number): number => Math.floor(at / HOUR_MS) * HOUR_MS;

/** Legs that still count at `now` (a leg older than the max age is presumed lost). */
function counted(state: ExternalLegsState, now: number): Array<[string, ActiveExternalLeg]> {
  return Object.entries(state.active).filter(([, l]) => now - l.startedAt < EXTERNAL_LEG_MAX_AGE_MS);
}

/** Seconds used in the clock hour of `now`: ended legs of this hour, plus this hour's part of the legs up. */
export function usedSecondsThisHour(state: ExternalLegsState, now: number): number {
  const hour = hourOf(now);
  const ended = state.hourStart === hour ? state.usedSec : 0;
  const up = counted(state, now).reduce((s, [, l]) => s + Math.max(0, now - Math.max(l.startedAt, hour)), 0);
  return ended + up / 1000;
}

export function decideExternalLegs(
  command: ExternalLegsCommand,
  state: ExternalLegsState,
): ExternalLegsEvent[] {
  switch (command.type) {
    case "StartExternalLeg": {
      const key = externalLegKey(command.callId, command.number);
      if (state.active[key]) return [];
      const { maxConcurrent, maxMinutesPerHour } = command.limits;
      const up = counted(state, command.now).length;
      if (maxConcurrent !== undefined && up >= maxConcurrent)
        throw new ExternalLegLimitError(
          `the account already has ${up} external leg${up === 1 ? "" : "s"} up (the cap is ${maxConcurrent})`,
        );
      if (maxMinutesPerHour !== undefined) {
        const minutes = usedSecondsThisHour(state, command.now) / 60;
        if (minutes >= maxMinutesPerHour)
          throw new ExternalLegLimitError(
            `the account used ${Math.floor(minutes)} external minutes this hour (the cap is ${maxMinutesPerHour})`,
          );
      }
      return [
        {
          type: "ExternalLegStarted",
          data: { key, callId: command.callId, number: command.number, at: command.now },
        },
      ];
    }
    case "EndExternalLeg": {
      const key = externalLegKey(command.callId, command.number);
      const leg = state.active[key];
      return leg ? [ended(key, leg, command.now)] : [];
    }
    case "EndCallExternalLegs":
      return Object.entries(state.active)
        .filter(([, l]) => l.callId === command.callId)
        .map(([key, l]) => ended(key, l, command.now));
    default: {
      const unknown: never = command;
      throw new Error(`unknown external legs command ${JSON.stringify(unknown)}`);
    }
  }
}

function ended(key: string, leg: ActiveExternalLeg, now: number): ExternalLegsEvent {
  // Only this clock hour's part counts against this hour's cap; an earlier hour's part is history.
  const billedSec = Math.max(0, now - Math.max(leg.startedAt, hourOf(now))) / 1000;
  return { type: "ExternalLegEnded", data: { key, callId: leg.callId, at: now, billedSec } };
}

export function evolveExternalLegs(state: ExternalLegsState, event: ExternalLegsEvent): ExternalLegsState {
  switch (event.type) {
    case "ExternalLegStarted": {
      const { key, callId, number, at } = event.data;
      return { ...state, active: { ...state.active, [key]: { callId, number, startedAt: at } } };
    }
    case "ExternalLegEnded": {
      const { [event.data.key]: _gone, ...active } = state.active;
      const hour = hourOf(event.data.at);
      const usedSec = (state.hourStart === hour ? state.usedSec : 0) + event.data.billedSec;
      return { active, hourStart: hour, usedSec };
    }
    default: {
      const unknown: never = event;
      throw new Error(`unknown external legs event ${JSON.stringify(unknown)}`);
    }
  }
}
