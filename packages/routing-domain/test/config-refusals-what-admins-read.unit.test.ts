// What an admin reads when the configuration refuses a change: the refusal's kind by name (the admin API and
// the router's log print `${name}: ${message}`), the setting or the thing at fault, and why, word for word.
import { describe, expect, it } from "vitest";
import { buildConfig, type ConfigCommand, decideConfig } from "../src/index.js";
import { group, hangup } from "./support/fixtures.js";
import { AGENTS, BUSINESS } from "./support/world.js";

const config = buildConfig([
  ...AGENTS,
  group("sales", "sequential", ["ann", "bob"]),
  group("idle", "sequential", ["cid"]),
  {
    type: "DefineFlow",
    flow: {
      flowId: "main",
      name: "Main",
      start: "c",
      applets: {
        c: { kind: "connect", target: { kind: "group", groupId: "sales" }, branches: { fallback: "bye" } },
        bye: hangup,
      },
    },
  },
  { type: "DefineFlow", flow: { flowId: "spare", name: "Spare", start: "bye", applets: { bye: hangup } } },
  { type: "DefineNumber", number: BUSINESS, flowId: "main" },
]);

/** The refusal as the admin reads it. */
function refusal(command: ConfigCommand): string {
  try {
    decideConfig(command, config);
  } catch (e) {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  return "accepted";
}

const sipAgent = { type: "DefineAgent", agentId: "eve", name: "Eve" } as const;

describe("config refusals: what the admin reads", () => {
  it.each<[string, ConfigCommand, string]>([
    [
      "an agent without an id",
      { ...sipAgent, agentId: "", contact: { kind: "phone", number: "+14155550109" } },
      "InvalidSettingError: agentId: must not be empty",
    ],
    [
      "an agent's phone number that is not E.164",
      { ...sipAgent, contact: { kind: "phone", number: "555-0109" } },
      'InvalidPhoneNumberError: agent eve number: "555-0109" is not an E.164 number (+ and country code, up to 15 digits)',
    ],
    [
      "an agent's SIP URI that is none",
      { ...sipAgent, contact: { kind: "sip", uri: "eve@pbx" } },
      'InvalidSipUriError: agent eve SIP URI: "eve@pbx" is not a SIP URI (sip:user@host)',
    ],
    [
      "a negative wrap-up",
      { ...sipAgent, contact: { kind: "phone", number: "+14155550109" }, wrapUpSec: -1 },
      "InvalidSettingError: wrapUpSec: must be 0 or a positive integer",
    ],
    [
      "removing an unknown agent",
      { type: "RemoveAgent", agentId: "zed" },
      'UnknownAgentError: agent "zed" is not configured',
    ],
    [
      "removing an agent a group lists",
      { type: "RemoveAgent", agentId: "ann" },
      "ConfigInUseError: agent ann is still used by group sales",
    ],
    [
      "a strategy that does not exist",
      { type: "DefineGroup", groupId: "g2", name: "g2", strategy: "loudest" as never, members: ["ann"] },
      'InvalidSettingError: strategy: unknown "loudest"',
    ],
    [
      "a member listed twice",
      group("g2", "sequential", ["ann", "ann"]),
      "InvalidSettingError: members: agent ann is listed twice",
    ],
    [
      "a queue of size zero",
      group("g2", "sequential", ["ann"], { queue: { maxSize: 0 } }),
      "InvalidSettingError: queue.maxSize: must be a positive integer",
    ],
    [
      "a callback key that is no key",
      group("g2", "sequential", ["ann"], {
        queue: { callback: { offerAfterSec: 30, maxAttempts: 2, retryAfterSec: 60, key: "12" } },
      } as never),
      "InvalidSettingError: queue.callback.key: must be one digit, * or #",
    ],
    [
      "removing an unknown group",
      { type: "RemoveGroup", groupId: "nope" },
      'UnknownGroupError: group "nope" is not configured',
    ],
    [
      "removing a group a flow connects to",
      { type: "RemoveGroup", groupId: "sales" },
      "ConfigInUseError: group sales is still used by flow main",
    ],
    [
      "a business number that is not E.164",
      { type: "DefineNumber", number: "0800 123", flowId: "main" },
      'InvalidPhoneNumberError: business number: "0800 123" is not an E.164 number (+ and country code, up to 15 digits)',
    ],
    [
      "a number to an unknown flow",
      { type: "DefineNumber", number: "+14155550111", flowId: "x" },
      'UnknownFlowError: flow "x" is not configured',
    ],
    [
      "removing an unknown number",
      { type: "RemoveNumber", number: "+14155550111" },
      'UnknownNumberError: business number "+14155550111" is not configured',
    ],
    [
      "removing a flow a number still routes to",
      { type: "RemoveFlow", flowId: "main" },
      `ConfigInUseError: flow main is still used by number ${BUSINESS}`,
    ],
  ])("%s", (_what, command, expected) => {
    expect(refusal(command)).toBe(expected);
  });

  it("a group no flow connects to, and a flow no number routes to, can be removed", () => {
    expect(refusal({ type: "RemoveGroup", groupId: "idle" })).toBe("accepted");
    expect(refusal({ type: "RemoveFlow", flowId: "spare" })).toBe("accepted");
  });
});
