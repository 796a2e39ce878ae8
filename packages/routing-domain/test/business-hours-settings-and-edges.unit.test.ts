// Business hours (the time-condition applet) at its edges: every broken setting is reported against the field
// the admin must fix (the admin UI puts the message beside it), well-formed times and dates only are accepted,
// and a rule's opening minute is inside the opening hours, for a same-day rule and one past midnight alike.
import { describe, expect, it } from "vitest";
import {
  type Applet,
  buildConfig,
  type CallEvent,
  type Flow,
  type OpeningRule,
  validateFlow,
} from "../src/index.js";
import { hangup, worldWith } from "./support/fixtures.js";
import { AGENTS, BUSINESS, CALLER } from "./support/world.js";

type TimeCondition = Extract<Applet, { kind: "timeCondition" }>;
const OFFICE: OpeningRule = { days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "17:00" };
const config = buildConfig([...AGENTS]);
const hours = (extra: Partial<TimeCondition>): TimeCondition => ({
  kind: "timeCondition",
  timeZone: "UTC",
  hours: [OFFICE],
  open: "bye",
  closed: "bye",
  ...extra,
});
const flowOf = (applet: Applet): Flow => ({
  flowId: "f",
  name: "F",
  start: "a",
  applets: { a: applet, bye: hangup },
});
const issuesOf = (extra: Partial<TimeCondition>) =>
  validateFlow(flowOf(hours(extra)), config).map(({ field, message }) => ({ field, message }));

describe("business hours: the setting each issue is about", () => {
  it.each<[string, Partial<TimeCondition>, { field: string; message: string }[]]>([
    [
      "no opening rule at all",
      { hours: [] },
      [{ field: "hours", message: "no opening hours: the call would always take the closed branch" }],
    ],
    [
      "a rule without days",
      { hours: [OFFICE, { ...OFFICE, days: [] }] },
      [{ field: "hours[1].days", message: "opening rule 2 has no days" }],
    ],
    [
      "a day that is no day",
      { hours: [{ ...OFFICE, days: ["mon", "fun" as never] }] },
      [
        {
          field: "hours[0].days",
          message: 'opening rule 1: "fun" is not a day (sun, mon, tue, wed, thu, fri, sat)',
        },
      ],
    ],
    [
      "a closing time that is no time of day",
      { hours: [{ ...OFFICE, to: "5pm" }] },
      [{ field: "hours[0].to", message: 'opening rule 1: "5pm" is not a time of day (HH:MM)' }],
    ],
    [
      "a holiday that is no date",
      { closedDates: ["Christmas"] },
      [{ field: "closedDates", message: 'closed date "Christmas" is not a date (YYYY-MM-DD)' }],
    ],
  ])("%s", (_what, extra, expected) => {
    expect(issuesOf(extra)).toEqual(expected);
  });

  it("an open or closed branch to an applet that does not exist names that branch's field", () => {
    const issues = validateFlow(flowOf(hours({ open: "nowhere", closed: "gone" })), config);

    expect(issues.filter((i) => i.code === "unknownApplet").map((i) => [i.field, i.message])).toEqual([
      ["open", 'branch "open" goes to unknown applet "nowhere"'],
      ["closed", 'branch "closed" goes to unknown applet "gone"'],
    ]);
  });
});

describe("business hours: well-formed times and dates only", () => {
  it.each(["9:00", "09:00x", "x09:00", "24:00x", "x24:00", "24:01"])("the time %s is refused", (time) => {
    expect(issuesOf({ hours: [{ ...OFFICE, from: time }] }).map((i) => i.field)).toContain("hours[0].from");
  });

  it.each(["00:00", "23:59", "24:00"])("the time %s is accepted", (time) => {
    expect(issuesOf({ hours: [{ ...OFFICE, from: "08:00", to: time }] })).toEqual([]);
  });

  it.each(["x2026-12-25", "2026-12-25x", "2026-00-10", "2026-12-00", "2026-12-32"])(
    "the holiday %s is refused",
    (date) => {
      expect(issuesOf({ closedDates: [date] }).map((i) => i.field)).toEqual(["closedDates"]);
    },
  );

  it.each(["2026-01-01", "2026-10-10", "2026-12-31", "2026-11-30"])("the holiday %s is accepted", (date) => {
    expect(issuesOf({ closedDates: [date] })).toEqual([]);
  });
});

describe("business hours: the opening minute is open", () => {
  const branchAt = (rule: OpeningRule, iso: string): string => {
    const w = worldWith({
      start: "hours",
      applets: { hours: hours({ hours: [rule], open: "bye", closed: "bye" }), bye: hangup },
    });
    const events = w.start("c1", CALLER, BUSINESS, Date.parse(iso)).call.events as readonly CallEvent[];
    const taken = events.find((e) => e.type === "AppletBranchTaken");
    return taken?.type === "AppletBranchTaken" ? taken.data.branch : "none";
  };

  it("office hours from 09:00: a call at 09:00 exactly is open, at 08:59 closed", () => {
    // 2026-12-01 is a Tuesday.
    expect(branchAt(OFFICE, "2026-12-01T09:00:00Z")).toBe("open");
    expect(branchAt(OFFICE, "2026-12-01T08:59:00Z")).toBe("closed");
  });

  it("night hours from 22:00 to 06:00: a call at 22:00 exactly is open, at 21:59 closed", () => {
    const night: OpeningRule = { days: ["tue"], from: "22:00", to: "06:00" };
    expect(branchAt(night, "2026-12-01T22:00:00Z")).toBe("open");
    expect(branchAt(night, "2026-12-01T21:59:00Z")).toBe("closed");
  });
});
