// The time-condition applet (business hours), added as a module of its own (flow/applets/time-condition.ts)
// plus one registry line: a call takes the open or closed branch by the local time in a time zone, holidays
// closed, overnight rules past midnight, and the decision says why.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Applet, type CallEvent, type OpeningRule, validateFlow, type Weekday } from "../src/index.js";
import { hangup, worldWith } from "./support/fixtures.js";
import { BUSINESS, CALLER } from "./support/world.js";

const WEEKDAYS: readonly Weekday[] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const OFFICE: OpeningRule = { days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "17:00" };

function hoursWorld(
  condition: Partial<Extract<Applet, { kind: "timeCondition" }>>,
  accountTimeZone?: string,
) {
  return worldWith({
    start: "hours",
    applets: {
      hours: { kind: "timeCondition", hours: [OFFICE], open: "connect", closed: "vm", ...condition },
      connect: { kind: "connect", target: { kind: "agent", agentId: "ann" }, branches: { fallback: "vm" } },
      vm: { kind: "voicemail", maxLengthSec: 60, next: "bye" },
      bye: hangup,
    },
    ...(accountTimeZone ? { account: { type: "ConfigureAccount", timeZone: accountTimeZone } } : {}),
  });
}

/** The branch a call arriving at `iso` takes, with the decision's events. */
function arrive(w: ReturnType<typeof hoursWorld>, iso: string) {
  const events = w.start(`c-${iso}`, CALLER, BUSINESS, Date.parse(iso)).call.events as readonly CallEvent[];
  const taken = events.find((e) => e.type === "AppletBranchTaken");
  if (taken?.type !== "AppletBranchTaken") throw new Error("no AppletBranchTaken");
  const entered = events.filter((e) => e.type === "AppletEntered").map((e) => e.data.appletId);
  return { ...taken.data, entered, types: events.map((e) => e.type) };
}

describe("Time condition: business hours by time zone", () => {
  it("given office hours in Paris, a call on a Tuesday at 10:00 local goes to the agent; why names the local time", () => {
    const r = arrive(hoursWorld({ timeZone: "Europe/Paris" }), "2026-12-01T09:00:00Z");
    expect(r).toMatchObject({ appletId: "hours", branch: "open", next: "connect" });
    expect(r.reason).toBe("Tue 2026-12-01 10:00 in Europe/Paris: within mon,tue,wed,thu,fri 09:00–17:00");
    expect(r.entered).toEqual(["hours", "connect"]);
    expect(r.types).toContain("LegOriginateRequested");
  });

  it("after closing time and at the weekend the call takes the closed branch (voicemail)", () => {
    const w = hoursWorld({ timeZone: "Europe/Paris" });
    // 17:00 local is closed (the range ends before it); 16:59 is open.
    expect(arrive(w, "2026-12-01T16:00:00Z").branch).toBe("closed");
    expect(arrive(w, "2026-12-01T15:59:00Z").branch).toBe("open");
    const saturday = arrive(w, "2026-12-05T10:00:00Z");
    expect(saturday).toMatchObject({ branch: "closed", next: "vm" });
    expect(saturday.reason).toBe(
      "Sat 2026-12-05 11:00 in Europe/Paris: outside mon,tue,wed,thu,fri 09:00–17:00",
    );
    expect(saturday.types).toContain("VoicemailRecordingStarted");
  });

  it("a closed date (holiday) is closed all day whatever the rules say", () => {
    const w = hoursWorld({ timeZone: "Europe/Paris", closedDates: ["2026-12-25"] });
    const christmas = arrive(w, "2026-12-25T10:00:00Z");
    expect(christmas).toMatchObject({ branch: "closed", next: "vm" });
    expect(christmas.reason).toBe("Fri 2026-12-25 11:00 in Europe/Paris: closed all day on 2026-12-25");
    expect(arrive(w, "2026-12-24T10:00:00Z").branch).toBe("open");
  });

  it("follows daylight saving: 07:30 UTC is 08:30 in Paris before the change (closed) and 09:30 after (open)", () => {
    const w = hoursWorld({ timeZone: "Europe/Paris" });
    expect(arrive(w, "2026-03-27T07:30:00Z")).toMatchObject({ branch: "closed" }); // Fri, CET
    expect(arrive(w, "2026-03-30T07:30:00Z")).toMatchObject({ branch: "open" }); // Mon, CEST
  });

  it("the account's time zone when the applet names none", () => {
    const w = hoursWorld({}, "America/New_York");
    const r = arrive(w, "2026-12-01T14:30:00Z");
    expect(r.reason).toBe("Tue 2026-12-01 09:30 in America/New_York: within mon,tue,wed,thu,fri 09:00–17:00");
    expect(arrive(w, "2026-12-01T13:30:00Z").branch).toBe("closed");
  });

  it("an overnight rule runs past midnight into the next day", () => {
    const w = hoursWorld({ timeZone: "UTC", hours: [{ days: ["fri"], from: "22:00", to: "06:00" }] });
    expect(arrive(w, "2026-12-04T23:00:00Z").branch).toBe("open"); // Friday night
    expect(arrive(w, "2026-12-05T05:59:00Z").branch).toBe("open"); // Saturday small hours
    expect(arrive(w, "2026-12-05T06:00:00Z").branch).toBe("closed");
    expect(arrive(w, "2026-12-04T03:00:00Z").branch).toBe("closed"); // Friday small hours: Thursday has no rule
  });

  it("property: in a fixed-offset zone the branch is what the clock on the wall says (an independent reading)", () => {
    const time = fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45))
      .map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
    const rule = fc.record({
      days: fc.uniqueArray(fc.constantFrom(...WEEKDAYS), { minLength: 1 }),
      from: time,
      to: time,
    });
    fc.assert(
      fc.property(
        fc.array(rule, { minLength: 1, maxLength: 3 }).filter((rs) => rs.every((r) => r.from !== r.to)),
        fc.integer({ min: Date.parse("2026-01-01T00:00:00Z"), max: Date.parse("2027-12-31T00:00:00Z") }),
        (hours, now) => {
          // Etc/GMT-3 is UTC+3 all year: the wall clock is UTC shifted by three hours.
          const wall = new Date(now + 3 * 3_600_000);
          const day = wall.getUTCDay();
          const minute = wall.getUTCHours() * 60 + wall.getUTCMinutes();
          const mins = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
          const open = hours.some((r) => {
            const on = (d: number) => r.days.includes(WEEKDAYS[(d + 7) % 7]!);
            return mins(r.from) < mins(r.to)
              ? on(day) && minute >= mins(r.from) && minute < mins(r.to)
              : (on(day) && minute >= mins(r.from)) || (on(day - 1) && minute < mins(r.to));
          });
          const w = hoursWorld({ timeZone: "Etc/GMT-3", hours });
          expect(arrive(w, new Date(now).toISOString()).branch).toBe(open ? "open" : "closed");
        },
      ),
      { numRuns: 200 },
    );
  });

  it("validation names every problem of its settings, and a loop through it alone never waits", () => {
    const ctx = { agents: {}, groups: {} };
    const issues = validateFlow(
      {
        flowId: "f",
        name: "f",
        start: "hours",
        applets: {
          hours: {
            kind: "timeCondition",
            timeZone: "Mars/Olympus",
            hours: [
              { days: ["mon", "funday" as Weekday], from: "9am", to: "17:00" },
              { days: [], from: "10:00", to: "10:00" },
            ],
            closedDates: ["25/12/2026"],
            open: "",
            closed: "again",
          },
          again: { kind: "greeting", audio: { kind: "tts", text: "hi" }, next: "hours" },
        },
      },
      ctx,
    );
    expect(issues.map((i) => [i.code, i.message])).toEqual([
      ["unknownApplet", 'branch "open" goes to unknown applet ""'],
      ["invalidSetting", '"Mars/Olympus" is not a time zone'],
      ["invalidSetting", 'opening rule 1: "funday" is not a day (sun, mon, tue, wed, thu, fri, sat)'],
      ["invalidSetting", 'opening rule 1: "9am" is not a time of day (HH:MM)'],
      ["invalidSetting", "opening rule 2 has no days"],
      ["invalidSetting", "opening rule 2 opens and closes at 10:00"],
      ["invalidSetting", 'closed date "25/12/2026" is not a date (YYYY-MM-DD)'],
      ["missingBranch", "no branch for open hours"],
      [
        "cycleWithoutWait",
        "cycle again → hours → again never waits for the caller (needs an IVR menu or Connect)",
      ],
    ]);
  });
});
