import { wallClock } from "./wall-clock.js";

/** The window in which an agent's "calls handled" are counted (Least Calls). */
export type CallsPeriod = "hour" | "day" | "week" | "month";

function localParts(now: number, timeZone: string): { y: number; m: number; d: number; h: number } {
  const t = wallClock(now, timeZone);
  return { y: Number(t.year), m: Number(t.month), d: Number(t.day), h: Number(t.hour) };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/**
 * A key naming the period that `now` falls in, as seen on the account's wall clock. Two instants are in
 * the same period exactly when their keys are equal. Pure: derived from `now` and the zone only.
 */
export function periodKey(now: number, timeZone: string, period: CallsPeriod = "day"): string {
  const { y, m, d, h } = localParts(now, timeZone);
  switch (period) {
    case "hour":
      return `${y}-${pad(m)}-${pad(d)}T${pad(h)}`;
    case "day":
      return `${y}-${pad(m)}-${pad(d)}`;
    case "month":
      return `${y}-${pad(m)}`;
    case "week": {
      // ISO week of the local calendar date, in day arithmetic (1970-01-01 was a Thursday).
      const days = Math.floor(Date.UTC(y, m - 1, d) / 86_400_000);
      const dayOfWeek = (((days + 3) % 7) + 7) % 7; // Monday = 0
      const thursday = days + (3 - dayOfWeek);
      const weekYear = yearOfDays(thursday);
      const week = Math.floor((thursday - Math.floor(Date.UTC(weekYear, 0, 1) / 86_400_000)) / 7) + 1;
      return `${weekYear}-W${pad(week)}`;
    }
    default: {
      const unknown: never = period;
      throw new Error(`unknown period ${String(unknown)}`);
    }
  }
}

/** The proleptic Gregorian year of a day count since 1970-01-01 (Howard Hinnant's civil_from_days). */
function yearOfDays(days: number): number {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return yoe + era * 400 + (month <= 2 ? 1 : 0);
}
