// An issue about an applet's setting names the field at fault when the setting has one (the admin UI puts the
// message beside that field); an issue about the applet as a whole has no field at all, not an empty one.
import { describe, expect, it } from "vitest";
import { type Applet, buildConfig, type Flow, validateFlow } from "../src/index.js";
import { AGENTS } from "./support/world.js";

const config = buildConfig([...AGENTS]);
const flowOf = (applet: Applet): Flow => ({
  flowId: "f",
  name: "F",
  start: "a",
  applets: { a: applet, bye: { kind: "hangup" } },
});

describe("flow issues and the field they name", () => {
  it("a time condition in a zone that does not exist: the issue names the timeZone field", () => {
    const issues = validateFlow(
      flowOf({
        kind: "timeCondition",
        timeZone: "Mars/Olympus",
        hours: [{ days: ["mon"], from: "09:00", to: "17:00" }],
        open: "bye",
        closed: "bye",
      }),
      config,
    );

    expect(issues).toStrictEqual([
      {
        code: "invalidSetting",
        appletId: "a",
        field: "timeZone",
        message: '"Mars/Olympus" is not a time zone',
      },
    ]);
  });

  it("an IVR menu with no timeout: the issue is about the menu, with no field key at all", () => {
    const issues = validateFlow(
      flowOf({
        kind: "ivrMenu",
        prompt: { kind: "tts", text: "Press 1" },
        branches: { "1": "bye" },
        timeoutSec: 0,
        retries: 1,
        timeoutBranch: "bye",
        invalidBranch: "bye",
      }),
      config,
    );

    expect(issues).toStrictEqual([
      { code: "invalidSetting", appletId: "a", message: "IVR timeout must be positive" },
    ]);
  });
});
