import { describe, expect, it } from "vitest";
import {
  buildConfig,
  type ConfigEvent,
  ConfigInUseError,
  configDecider,
  EMPTY_CONFIG,
  type Flow,
  FlowValidationError,
  InvalidPhoneNumberError,
  InvalidSettingError,
  InvalidSipUriError,
  InvalidTimeZoneError,
  isE164,
  isSipUri,
  UnknownAgentError,
  validateFlow,
} from "../src/index.js";
import { spec } from "../src/testing/index.js";
import { AGENTS } from "./support/world.js";

const configSpec = spec(configDecider);
const agentsDefined = (): ConfigEvent[] => {
  const events: ConfigEvent[] = [];
  let state = EMPTY_CONFIG;
  for (const c of AGENTS) {
    for (const e of configDecider.decide(c, state)) {
      events.push(e);
      state = configDecider.evolve(state, e);
    }
  }
  return events;
};

describe("configuration as events", () => {
  it("an agent with a valid E.164 number is defined as a versioned event", () => {
    configSpec
      .given([])
      .when({
        type: "DefineAgent",
        agentId: "ann",
        name: "Ann",
        contact: { kind: "phone", number: "+14155550101" },
      })
      .then([
        {
          type: "AgentDefined",
          data: {
            version: 1,
            agent: {
              agentId: "ann",
              name: "Ann",
              contact: { kind: "phone", number: "+14155550101" },
              wrapUpSec: 0,
            },
          },
        },
      ]);
  });

  it("Troubleshooting › Agent's phone does not ring: an incorrect agent number is rejected at config time", () => {
    for (const number of ["4155550101", "+0155550101", "+1 415 555 0101", "+1234567890123456", "555-0101"]) {
      configSpec
        .given([])
        .when({ type: "DefineAgent", agentId: "ann", name: "Ann", contact: { kind: "phone", number } })
        .then(InvalidPhoneNumberError);
    }
  });

  it("an agent's SIP URI must be a SIP URI", () => {
    configSpec
      .given([])
      .when({ type: "DefineAgent", agentId: "cid", name: "Cid", contact: { kind: "sip", uri: "cid@pbx" } })
      .then(InvalidSipUriError);
    expect(isSipUri("sip:cid@pbx.example.com:5060;transport=tcp")).toBe(true);
    expect(isSipUri("sips:pbx.example.com")).toBe(true);
    expect(isSipUri("http://pbx.example.com")).toBe(false);
    expect(isE164("+442071838750")).toBe(true);
  });

  it("a group naming an unknown agent is rejected", () => {
    configSpec
      .given(agentsDefined())
      .when({ type: "DefineGroup", groupId: "g", name: "G", strategy: "roundRobin", members: ["ann", "zed"] })
      .then(UnknownAgentError);
  });

  it("a group gets the documented defaults: ring timeout 30 s, max ring attempts 1, queue off", () => {
    const events = configSpec.given(agentsDefined()).when({
      type: "DefineGroup",
      groupId: "g",
      name: "G",
      strategy: "sequential",
      members: ["bob", "ann"],
    }).events;
    expect(events).toMatchObject([
      {
        type: "GroupDefined",
        data: {
          version: 5,
          group: {
            ringTimeoutSec: 30,
            maxRingAttempts: 1,
            members: ["bob", "ann"],
            queue: { enabled: false },
          },
        },
      },
    ]);
  });

  it("invalid group settings are rejected (ring timeout 0, duplicate member)", () => {
    configSpec
      .given(agentsDefined())
      .when({
        type: "DefineGroup",
        groupId: "g",
        name: "G",
        strategy: "roundRobin",
        members: ["ann"],
        ringTimeoutSec: 0,
      })
      .then(InvalidSettingError);
    configSpec
      .given(agentsDefined())
      .when({ type: "DefineGroup", groupId: "g", name: "G", strategy: "roundRobin", members: ["ann", "ann"] })
      .then(InvalidSettingError);
  });

  it("account settings: an unknown time zone is rejected; pass-through and recording are stored", () => {
    configSpec
      .given([])
      .when({ type: "ConfigureAccount", timeZone: "Mars/Olympus" })
      .then(InvalidTimeZoneError);
    configSpec
      .given([])
      .when({
        type: "ConfigureAccount",
        callerIdPassThrough: true,
        recordCalls: true,
        timeZone: "Asia/Kolkata",
      })
      .then([
        {
          type: "AccountConfigured",
          data: {
            version: 1,
            account: {
              callerIdPassThrough: true,
              recordCalls: true,
              timeZone: "Asia/Kolkata",
              callsPeriod: "day",
            },
          },
        },
      ]);
  });

  it("the snapshot's version counts config events; removing an agent still in a group is refused", () => {
    const config = buildConfig([
      ...AGENTS,
      { type: "DefineGroup", groupId: "g", name: "G", strategy: "roundRobin", members: ["ann"] },
    ]);
    expect(config.version).toBe(5);
    expect(() => configDecider.decide({ type: "RemoveAgent", agentId: "ann" }, config)).toThrow(
      ConfigInUseError,
    );
    expect(buildConfig([{ type: "RemoveAgent", agentId: "bob" }], config).version).toBe(6);
  });

  it("a business number must be E.164 and point at an existing flow", () => {
    const config = buildConfig(AGENTS);
    expect(() =>
      configDecider.decide({ type: "DefineNumber", number: "0800123", flowId: "f" }, config),
    ).toThrow(InvalidPhoneNumberError);
    expect(() =>
      configDecider.decide({ type: "DefineNumber", number: "+14155550000", flowId: "f" }, config),
    ).toThrow("not configured");
  });
});

describe("flow validation", () => {
  const config = buildConfig([
    ...AGENTS,
    { type: "DefineGroup", groupId: "sales", name: "Sales", strategy: "roundRobin", members: ["ann", "bob"] },
  ]);

  it("returns every error, each naming its applet: unknown targets, missing branches, unreachable, dangling, cycles", () => {
    const flow: Flow = {
      flowId: "bad",
      name: "Bad",
      start: "menu",
      applets: {
        menu: {
          kind: "ivrMenu",
          prompt: { kind: "tts", text: "Press 1" },
          branches: { "1": "toGhost", "2": "toNowhere", x: "bye" },
          timeoutSec: 5,
          retries: 1,
          timeoutBranch: "loopA",
          invalidBranch: "missing",
        },
        toGhost: {
          kind: "connect",
          target: { kind: "agent", agentId: "ghost" },
          branches: { noAnswer: "bye" },
        },
        toNowhere: {
          kind: "connect",
          target: { kind: "group", groupId: "nope" },
          branches: { fallback: "bye" },
        },
        loopA: { kind: "greeting", audio: { kind: "tts", text: "a" }, next: "loopB" },
        loopB: { kind: "greeting", audio: { kind: "tts", text: "b" }, next: "loopA" },
        badNumber: {
          kind: "connect",
          target: { kind: "external", number: "07700900123" },
          branches: { fallback: "bye" },
        },
        badSip: { kind: "connect", target: { kind: "sip", uri: "pbx" }, branches: { fallback: "bye" } },
        bye: { kind: "hangup" },
      },
    };
    const issues = validateFlow(flow, config);
    const by = (code: string) => issues.filter((i) => i.code === code).map((i) => i.appletId);
    expect(by("unknownAgent")).toEqual(["toGhost"]);
    expect(by("unknownGroup")).toEqual(["toNowhere"]);
    expect(by("unknownApplet")).toEqual(["menu"]);
    expect(by("missingBranch")).toEqual(["toGhost", "toGhost"]);
    expect(issues.find((i) => i.code === "missingBranch")?.message).toMatch(/busy|failed/);
    expect(by("unreachable").sort()).toEqual(["badNumber", "badSip"]);
    expect(by("cycleWithoutWait")).toHaveLength(1);
    expect(by("invalidNumber")).toEqual(["badNumber"]);
    expect(by("invalidSipUri")).toEqual(["badSip"]);
    expect(by("invalidSetting")).toEqual(["menu"]);
  });

  it("a cycle through an IVR menu (which waits for the caller) is allowed", () => {
    const flow: Flow = {
      flowId: "ok",
      name: "Ok",
      start: "menu",
      applets: {
        menu: {
          kind: "ivrMenu",
          prompt: { kind: "tts", text: "Press 1 for sales" },
          branches: { "1": "sales" },
          timeoutSec: 5,
          retries: 2,
          timeoutBranch: "sorry",
          invalidBranch: "sorry",
        },
        sorry: { kind: "greeting", audio: { kind: "tts", text: "Sorry" }, next: "menu" },
        sales: {
          kind: "connect",
          target: { kind: "group", groupId: "sales" },
          branches: { fallback: "menu" },
        },
      },
    };
    expect(validateFlow(flow, config)).toEqual([]);
  });

  it("DefineFlow is refused with all issues attached", () => {
    const flow: Flow = {
      flowId: "f",
      name: "F",
      start: "nope",
      applets: { a: { kind: "greeting", audio: { kind: "tts", text: "hi" }, next: "a" } },
    };
    let error: unknown;
    try {
      configDecider.decide({ type: "DefineFlow", flow }, config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FlowValidationError);
    expect((error as FlowValidationError).issues.map((i) => i.code).sort()).toEqual([
      "cycleWithoutWait",
      "missingStart",
      "unreachable",
    ]);
  });
});
