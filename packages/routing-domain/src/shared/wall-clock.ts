// The wall clock of a time zone: the local date and time of an instant, read through one cached Intl
// formatter per zone. Business hours (the time-condition applet) and the calls-handled periods (Least
// Calls) both read it.

/** The local fields of an instant, as digits ("2026", "03", "09", "00"–"23", "05") and the short weekday. */
export interface WallClock {
  readonly year: string;
  readonly month: string;
  readonly day: string;
  readonly hour: string;
  readonly minute: string;
  /** "Sun", "Mon", … */
  readonly weekday: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

export function wallClock(now: number, timeZone: string): WallClock {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      weekday: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(now);
  const get = (type: Intl.DateTimeFormatPartTypes): string =>
    // Stryker disable next-line StringLiteral: formatToParts yields every part the formatter's options ask for, so the fallback is never used
    parts.find((p) => p.type === type)?.value ?? "";
  return {
    year: get("year"),
    month: get("month"),
    day: get("day"),
    hour: get("hour"),
    minute: get("minute"),
    weekday: get("weekday"),
  };
}
