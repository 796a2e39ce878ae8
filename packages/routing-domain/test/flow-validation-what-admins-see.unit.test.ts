import { describe, expect, it } from "vitest";
import {
  type Applet,
  appletAudio,
  branchFor,
  buildConfig,
  configWarnings,
  type Flow,
  FlowValidationError,
  validateFlow,
} from "../src/index.js";
import { AGENTS } from "./support/world.js";

/**
 * Issue 16, flow validation (flow/validate.ts, flow/model.ts): an admin applying a flow sees every problem,
 * each naming its applet and what is wrong; a valid flow loads with no issue at all. Each broken setting below
 * is the only problem of its flow, so the issue it raises is exactly the one listed.
 */

const config = buildConfig([
  ...AGENTS,
  { type: "DefineGroup", groupId: "sales", name: "Sales", strategy: "roundRobin", members: ["ann", "bob"] },
]);
const tts = (text: string) => ({ kind: "tts" as const, text });
const menu = (extra: Partial<Extract<Applet, { kind: "ivrMenu" }>> = {}): Applet => ({
  kind: "ivrMenu",
  prompt: tts("Press 1"),
  branches: { "1": "bye" },
  timeoutSec: 5,
  retries: 1,
  timeoutBranch: "bye",
  invalidBranch: "bye",
  ...extra,
});
const connect = (extra: Partial<Extract<Applet, { kind: "connect" }>> = {}): Applet => ({
  kind: "connect",
  target: { kind: "agent", agentId: "ann" },
  branches: { fallback: "bye" },
  ...extra,
});
/** A flow whose start applet is `applet`, every branch of it going to "bye". */
const flowOf = (applet: Applet): Flow => ({
  flowId: "f",
  name: "F",
  start: "a",
  applets: { a: applet, bye: { kind: "hangup" } },
});
const issuesOf = (applet: Applet, audioFiles?: ReadonlySet<string>) =>
  validateFlow(flowOf(applet), audioFiles ? { ...config, audioFiles } : config).map(
    ({ code, appletId, field, message }) => ({ code, appletId, ...(field ? { field } : {}), message }),
  );

describe("flow validation: what an admin sees", () => {
  it.each<[string, Applet, string, string]>([
    [
      "a voicemail of zero length",
      { kind: "voicemail", maxLengthSec: 0, next: "bye" },
      "invalidSetting",
      "voicemail max length must be positive",
    ],
    ["an IVR menu without digits", menu({ branches: {} }), "missingBranch", "IVR menu has no digit branches"],
    [
      "an IVR branch on a key that is not DTMF",
      menu({ branches: { "1": "bye", x: "bye" } }),
      "invalidSetting",
      '"x" is not a DTMF digit',
    ],
    [
      "an IVR branch on two keys",
      menu({ branches: { "1": "bye", "12": "bye" } }),
      "invalidSetting",
      '"12" is not a DTMF digit',
    ],
    [
      "an IVR menu that never times out",
      menu({ timeoutSec: 0 }),
      "invalidSetting",
      "IVR timeout must be positive",
    ],
    [
      "an IVR menu with negative retries",
      menu({ retries: -1 }),
      "invalidSetting",
      "IVR retries must be 0 or more",
    ],
    [
      "an IVR menu with half a retry",
      menu({ retries: 0.5 }),
      "invalidSetting",
      "IVR retries must be 0 or more",
    ],
    [
      "a Connect to a number that is not E.164",
      connect({ target: { kind: "number", number: "555-1234" } }),
      "invalidNumber",
      'target "555-1234" is not an E.164 number',
    ],
    [
      "a Connect to a SIP target that is not a URI",
      connect({ target: { kind: "sip", uri: "pbx" } }),
      "invalidSipUri",
      'target "pbx" is not a SIP URI',
    ],
    [
      "a Connect to an unknown agent",
      connect({ target: { kind: "agent", agentId: "ghost" } }),
      "unknownAgent",
      'agent "ghost" is not configured',
    ],
    [
      "a Connect to an unknown group",
      connect({ target: { kind: "group", groupId: "nope" } }),
      "unknownGroup",
      'group "nope" is not configured',
    ],
    [
      "a custom caller ID that is not E.164",
      connect({ callerId: { kind: "custom", number: "12" } }),
      "invalidNumber",
      'custom caller ID "12" is not an E.164 number',
    ],
    [
      "a Connect that never rings",
      connect({ ringTimeoutSec: 0 }),
      "invalidSetting",
      "ring timeout must be positive",
    ],
    [
      "a Connect that rings no pass",
      connect({ maxRingAttempts: 0 }),
      "invalidSetting",
      "max ring attempts must be 1 or more",
    ],
    [
      "a Connect that rings half a pass",
      connect({ maxRingAttempts: 1.5 }),
      "invalidSetting",
      "max ring attempts must be 1 or more",
    ],
  ])("%s is reported on its applet", (_, applet, code, message) => {
    expect(issuesOf(applet)).toEqual([{ code, appletId: "a", message }]);
  });

  it("an IVR menu without a timeout or an invalid-input branch is told which one is missing", () => {
    expect(issuesOf(menu({ timeoutBranch: "" }))).toContainEqual({
      code: "missingBranch",
      appletId: "a",
      message: "no timeout branch",
    });
    expect(issuesOf(menu({ invalidBranch: "" }))).toContainEqual({
      code: "missingBranch",
      appletId: "a",
      message: "no invalid-input branch",
    });
    expect(issuesOf(menu({ invalidBranch: "" })).map((i) => i.message)).not.toContain("no timeout branch");
  });

  it.each<[string, Applet]>([
    ["a one-second voicemail", { kind: "voicemail", maxLengthSec: 1, next: "bye" }],
    [
      "an IVR menu on every DTMF key, with no retries",
      menu({ branches: Object.fromEntries([..."0123456789*#"].map((d) => [d, "bye"])), retries: 0 }),
    ],
    [
      "a Connect to an E.164 number, 1 s ring, one pass",
      connect({ target: { kind: "number", number: "+14155550100" }, ringTimeoutSec: 1, maxRingAttempts: 1 }),
    ],
    [
      "a Connect to an external E.164 number",
      connect({ target: { kind: "external", number: "+442071838750" } }),
    ],
    [
      "a Connect to a SIP URI with a custom E.164 caller ID",
      connect({
        target: { kind: "sip", uri: "sip:desk@pbx.example.com" },
        callerId: { kind: "custom", number: "+14155550000" },
      }),
    ],
    ["a Connect to a configured group", connect({ target: { kind: "group", groupId: "sales" } })],
  ])("%s is valid", (_, applet) => {
    expect(issuesOf(applet)).toEqual([]);
  });

  it("a Connect lists each outcome it has no branch for; 'all agents busy' only for a group, queue outcomes never (they fall back)", () => {
    const missing = (applet: Applet) => issuesOf(applet).map((i) => i.message);
    expect(missing(connect({ branches: { noAnswer: "bye" } }))).toEqual([
      'no branch for outcome "busy"',
      'no branch for outcome "failed"',
    ]);
    expect(
      missing(
        connect({ target: { kind: "group", groupId: "sales" }, branches: { noAnswer: "bye", busy: "bye" } }),
      ),
    ).toEqual(['no branch for outcome "failed"', 'no branch for outcome "allAgentsBusy"']);
    expect(
      missing(
        connect({
          target: { kind: "group", groupId: "sales" },
          branches: { noAnswer: "bye", busy: "bye", failed: "bye", allAgentsBusy: "bye" },
        }),
      ),
    ).toEqual([]);
  });

  it("stored audio that was never uploaded is named by its field; uploaded audio, or no list to check against, is fine", () => {
    const stored = (audioId: string) => ({ kind: "stored" as const, audioId });
    const applet = connect({ holdMusic: stored("hold"), whisper: stored("whisper") });
    expect(issuesOf(applet, new Set(["hold"]))).toEqual([
      {
        code: "unknownAudio",
        appletId: "a",
        field: "whisper",
        message: 'whisper: audio file "whisper" has not been uploaded',
      },
    ]);
    expect(issuesOf(applet, new Set(["hold", "whisper"]))).toEqual([]);
    expect(issuesOf(applet)).toEqual([]);
    expect(issuesOf({ kind: "greeting", audio: stored("hi"), next: "bye" }, new Set())).toMatchObject([
      { field: "audio" },
    ]);
    expect(issuesOf(menu({ prompt: stored("p") }), new Set())).toMatchObject([{ field: "prompt" }]);
    expect(
      issuesOf({ kind: "voicemail", greeting: stored("vm"), maxLengthSec: 60, next: "bye" }, new Set()),
    ).toMatchObject([{ field: "greeting" }]);
  });

  it("the audio of each applet, by field", () => {
    expect(appletAudio({ kind: "hangup" })).toEqual([]);
    expect(appletAudio({ kind: "voicemail", maxLengthSec: 60 })).toEqual([]);
    expect(appletAudio(connect())).toEqual([]);
    expect(appletAudio(connect({ whisper: tts("w") }))).toEqual([{ field: "whisper", audio: tts("w") }]);
  });

  it("a missing start, a branch to nowhere and an applet nobody reaches are each reported", () => {
    const flow: Flow = {
      flowId: "f",
      name: "F",
      start: "a",
      applets: {
        a: { kind: "greeting", audio: tts("hi"), next: "gone" },
        lonely: { kind: "hangup" },
      },
    };
    expect(
      validateFlow(flow, config).map(({ code, appletId, message }) => ({ code, appletId, message })),
    ).toEqual([
      { code: "unknownApplet", appletId: "a", message: 'branch "next" goes to unknown applet "gone"' },
      {
        code: "unreachable",
        appletId: "lonely",
        message: 'applet "lonely" cannot be reached from the start',
      },
    ]);
    const noStart = validateFlow({ ...flow, start: "nope" }, config);
    expect(noStart[0]).toEqual({
      code: "missingStart",
      appletId: "nope",
      message: 'start applet "nope" does not exist',
    });
    expect(noStart.filter((i) => i.code === "unreachable").map((i) => i.appletId)).toEqual(["a", "lonely"]);
  });

  it("a cycle that never waits is reported once, with its path; one through a Connect is allowed", () => {
    const loop = (via: Applet): Flow => ({
      flowId: "f",
      name: "F",
      start: "a",
      applets: {
        a: { kind: "greeting", audio: tts("a"), next: "b" },
        b: via,
        c: { kind: "greeting", audio: tts("c"), next: "a" },
      },
    });
    const spinning = validateFlow(loop({ kind: "greeting", audio: tts("b"), next: "c" }), config);
    expect(spinning).toEqual([
      {
        code: "cycleWithoutWait",
        appletId: "a",
        message: "cycle a → b → c → a never waits for the caller (needs an IVR menu or Connect)",
      },
    ]);
    expect(validateFlow(loop(connect({ branches: { fallback: "c" } })), config)).toEqual([]);
  });

  it("the error for an invalid flow names the flow and lists every issue with its applet", () => {
    const error = new FlowValidationError("f", [
      { code: "unreachable", appletId: "x", message: "m1" },
      { code: "missingStart", appletId: "y", message: "m2" },
    ]);
    expect(error.name).toBe("FlowValidationError");
    expect(error.flowId).toBe("f");
    expect(error.issues.map((i) => i.appletId)).toEqual(["x", "y"]);
  });

  it("a queue outcome takes its own branch, else the branch it falls back to, else the fallback", () => {
    const c = (branches: Record<string, string>) =>
      connect({ branches }) as Extract<Applet, { kind: "connect" }>;
    expect(branchFor(c({ queueTimeout: "q", noAnswer: "n", fallback: "f" }), "queueTimeout")).toBe("q");
    expect(branchFor(c({ noAnswer: "n", fallback: "f" }), "queueTimeout")).toBe("n");
    expect(branchFor(c({ allAgentsBusy: "b", fallback: "f" }), "queueFull")).toBe("b");
    expect(branchFor(c({ fallback: "f" }), "queueFull")).toBe("f");
    expect(branchFor(c({ noAnswer: "n", fallback: "f" }), "busy")).toBe("f");
  });

  it("a Connect asking for the caller's number while pass-through is off is warned about; with pass-through on, not", () => {
    const flows = {
      f: { ...flowOf(connect({ callerId: { kind: "caller" } })), flowId: "f" },
      g: { ...flowOf(connect({ callerId: { kind: "business" } })), flowId: "g" },
    };
    expect(configWarnings({ account: { ...config.account, callerIdPassThrough: false }, flows })).toEqual([
      {
        flowId: "f",
        appletId: "a",
        field: "callerId",
        message:
          "asks for the caller's number as caller ID, but caller ID pass-through is off on the account: the business number is shown",
      },
    ]);
    expect(configWarnings({ account: { ...config.account, callerIdPassThrough: true }, flows })).toEqual([]);
  });
});
