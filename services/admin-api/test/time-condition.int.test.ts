// The time-condition applet through the generated client: saved and read back field for field, and each
// problem of its settings named at its request field, with nothing appended for a rejected flow.
import { OpeningRule_Weekday as Day, FlowSpec } from "@switchyard/admin-proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type Harness, startHarness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness("timecond");
});
afterAll(async () => {
  await h?.close();
});

const hoursFlow = (timeCondition: Record<string, unknown>): FlowSpec =>
  FlowSpec.fromPartial({
    displayName: "Hours",
    startApplet: "hours",
    applets: {
      hours: {
        timeCondition: {
          timeZone: "Europe/Paris",
          hours: [{ days: [Day.WEEKDAY_MONDAY, Day.WEEKDAY_FRIDAY], opens: "09:00", closes: "17:00" }],
          closedDates: ["2026-12-25"],
          openBranch: "hello",
          closedBranch: "bye",
          ...timeCondition,
        },
      },
      hello: { greeting: { audio: { tts: "Welcome" }, next: "bye" } },
      bye: { hangup: {} },
    },
  });

describe("time condition applet over the admin API", () => {
  it("a version with business hours is saved and read back as it was sent", async () => {
    const spec = hoursFlow({});
    const saved = await call(h.flows, h.flows.createFlowVersion, { parent: "flows/hours", spec, etag: "" });
    const read = await call(h.flows, h.flows.getFlowVersion, { name: saved.name });
    expect(read.spec?.applets.hours?.timeCondition).toEqual(spec.applets.hours?.timeCondition);
  });

  it("validation names the time zone, a rule's closing time and a dangling branch at their fields", async () => {
    const before = await h.countEvents();
    const { problems } = await call(h.flows, h.flows.validateFlow, {
      name: "flows/hours_bad",
      spec: hoursFlow({
        timeZone: "Europe/Pariss",
        hours: [{ days: [Day.WEEKDAY_MONDAY], opens: "09:00", closes: "5pm" }],
        openBranch: "nowhere",
      }),
    });
    expect(problems.map((p) => `${p.reason} ${p.field}`)).toEqual(
      expect.arrayContaining([
        'UNKNOWN_APPLET spec.applets["hours"].time_condition.open_branch',
        'INVALID_SETTING spec.applets["hours"].time_condition.time_zone',
        'INVALID_SETTING spec.applets["hours"].time_condition.hours[0].closes',
      ]),
    );
    expect(await h.countEvents()).toBe(before);
  });
});
