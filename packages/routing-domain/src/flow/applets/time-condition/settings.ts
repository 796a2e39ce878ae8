// The Time condition applet's settings, as a flow holds them (the module that runs them is index.ts).

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Open on these days from `from` to `to` (local "HH:MM"; `to` may be "24:00"; `from` after `to` runs past midnight into the next day). */
export interface OpeningRule {
  readonly days: readonly Weekday[];
  readonly from: string;
  readonly to: string;
}

export interface TimeConditionApplet {
  readonly kind: "timeCondition";
  /** IANA time zone (e.g. "Europe/Paris"). Default: the account's. */
  readonly timeZone?: string;
  readonly hours: readonly OpeningRule[];
  /** Local dates ("YYYY-MM-DD") closed all day, whatever the rules say: public holidays. */
  readonly closedDates?: readonly string[];
  readonly open: string;
  readonly closed: string;
}
