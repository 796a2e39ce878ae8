// Time condition: business hours. Takes the `open` branch when the call arrives inside one of the opening
// rules (days of the week and a time range, in the applet's time zone, else the account's) and not on a
// closed date (holidays), else the `closed` branch. The decision says why, with the local time it read.
import { isTimeZone } from "../../../shared/validation.js";
import { wallClock } from "../../../shared/wall-clock.js";
import { type FlowIssue, settingIssue } from "../../issues.js";
import type { AppletModule } from "../applet.js";
import { type OpeningRule, type TimeConditionApplet, WEEKDAYS, type Weekday } from "./settings.js";

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The local date, weekday and minute of the day of `now` in `timeZone`. */
export function localTime(
  now: number,
  timeZone: string,
): { readonly date: string; readonly day: Weekday; readonly minute: number; readonly text: string } {
  const t = wallClock(now, timeZone);
  const date = `${t.year}-${t.month}-${t.day}`;
  const day = t.weekday.toLowerCase().slice(0, 3) as Weekday;
  const hhmm = `${t.hour}:${t.minute}`;
  return { date, day, minute: minutes(hhmm), text: `${t.weekday} ${date} ${hhmm}` };
}

const describe = (rule: OpeningRule): string => `${rule.days.join(",")} ${rule.from}–${rule.to}`;

/** The rule the moment falls in, if any. */
function matchingRule(rules: readonly OpeningRule[], day: Weekday, minute: number): OpeningRule | undefined {
  const previous = WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7]!;
  return rules.find((rule) => {
    const from = minutes(rule.from);
    const to = minutes(rule.to);
    if (from < to) return rule.days.includes(day) && minute >= from && minute < to;
    // Past midnight: the evening of a listed day, or the small hours after one.
    return (rule.days.includes(day) && minute >= from) || (rule.days.includes(previous) && minute < to);
  });
}

function validate(applet: TimeConditionApplet, appletId: string): FlowIssue[] {
  const issues: FlowIssue[] = [];
  const setting = (field: string, message: string) => issues.push(settingIssue(appletId, message, field));
  if (applet.timeZone !== undefined && !isTimeZone(applet.timeZone))
    setting("timeZone", `"${applet.timeZone}" is not a time zone`);
  if (applet.hours.length === 0)
    setting("hours", "no opening hours: the call would always take the closed branch");
  applet.hours.forEach((rule, i) => {
    const at = `hours[${i}]`;
    if (rule.days.length === 0) setting(`${at}.days`, `opening rule ${i + 1} has no days`);
    for (const day of rule.days)
      if (!WEEKDAYS.includes(day))
        setting(`${at}.days`, `opening rule ${i + 1}: "${day}" is not a day (${WEEKDAYS.join(", ")})`);
    for (const key of ["from", "to"] as const)
      if (!HHMM.test(rule[key]))
        setting(`${at}.${key}`, `opening rule ${i + 1}: "${rule[key]}" is not a time of day (HH:MM)`);
    if (rule.from === rule.to) setting(at, `opening rule ${i + 1} opens and closes at ${rule.from}`);
  });
  for (const date of applet.closedDates ?? [])
    if (!DATE.test(date)) setting("closedDates", `closed date "${date}" is not a date (YYYY-MM-DD)`);
  for (const branch of ["open", "closed"] as const)
    if (!applet[branch])
      issues.push({
        code: "missingBranch",
        appletId,
        field: branch,
        message: `no branch for ${branch} hours`,
      });
  return issues;
}

export const timeCondition: AppletModule<TimeConditionApplet> = {
  kind: "timeCondition",
  waits: false,
  edges: (applet) => [
    { label: "open", to: applet.open, field: "open" },
    { label: "closed", to: applet.closed, field: "closed" },
  ],
  audio: () => [],
  validate,
  enter(b, appletId, applet) {
    const timeZone = applet.timeZone ?? b.ctx.config.account.timeZone;
    const local = localTime(b.now, timeZone);
    const holiday = applet.closedDates?.includes(local.date) ?? false;
    const rule = holiday ? undefined : matchingRule(applet.hours, local.day, local.minute);
    const branch = rule ? "open" : "closed";
    const why = holiday
      ? `closed all day on ${local.date}`
      : rule
        ? `within ${describe(rule)}`
        : `outside ${applet.hours.map(describe).join("; ") || "any opening hours"}`;
    const next = rule ? applet.open : applet.closed;
    b.emit({
      type: "AppletBranchTaken",
      data: { appletId, branch, next, reason: `${local.text} in ${timeZone}: ${why}` },
    });
    b.goTo(next);
  },
};
