import { describe, expect, it } from "vitest";
import {
  buildConfig,
  type ConfigCommand,
  ConfigInUseError,
  type ConfigSnapshot,
  decideConfig,
  InvalidSettingError,
  missedOfferPolicy,
  UnknownAgentError,
  UnknownFlowError,
  UnknownGroupError,
  UnknownNumberError,
} from "../src/index.js";
import { AGENTS, BUSINESS } from "./support/world.js";

/**
 * Issue 16, the configuration decider (config/decider.ts, config/snapshot.ts): what an admin applying a
 * configuration sees: which setting is refused and why, what removing something still in use says, and which
 * settings an update keeps.
 */

const base = buildConfig(AGENTS);
const groupCmd = (extra: Partial<Extract<ConfigCommand, { type: "DefineGroup" }>> = {}): ConfigCommand => ({
  type: "DefineGroup",
  groupId: "g",
  name: "G",
  strategy: "roundRobin",
  members: ["ann", "bob"],
  ...extra,
});
const callback = { offerAfterSec: 60, key: "9", maxAttempts: 2, retryAfterSec: 120 };
const refusal = (command: ConfigCommand, state: ConfigSnapshot = base): unknown => {
  try {
    decideConfig(command, state);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe("configuration: what an admin sees", () => {
  it.each<[string, ConfigCommand, string]>([
    [
      "an agent without an id",
      { type: "DefineAgent", agentId: "", name: "X", contact: { kind: "phone", number: "+14155550199" } },
      "agentId",
    ],
    [
      "a negative wrap-up",
      {
        type: "DefineAgent",
        agentId: "x",
        name: "X",
        contact: { kind: "phone", number: "+14155550199" },
        wrapUpSec: -1,
      },
      "wrapUpSec",
    ],
    [
      "a fractional wrap-up",
      {
        type: "DefineAgent",
        agentId: "x",
        name: "X",
        contact: { kind: "phone", number: "+14155550199" },
        wrapUpSec: 1.5,
      },
      "wrapUpSec",
    ],
    ["an unknown strategy", groupCmd({ strategy: "coin-toss" as never }), "strategy"],
    ["an agent listed twice", groupCmd({ members: ["ann", "ann"] }), "members"],
    ["a ring timeout of 0", groupCmd({ ringTimeoutSec: 0 }), "ringTimeoutSec"],
    ["a fractional ring timeout", groupCmd({ ringTimeoutSec: 2.5 }), "ringTimeoutSec"],
    ["no ring pass", groupCmd({ maxRingAttempts: 0 }), "maxRingAttempts"],
    ["a queue of size 0", groupCmd({ queue: { maxSize: 0 } }), "queue.maxSize"],
    ["a queue wait of 0", groupCmd({ queue: { maxWaitSec: 0 } }), "queue.maxWaitSec"],
    ["announcements every 0 s", groupCmd({ queue: { announceEverySec: 0 } }), "queue.announceEverySec"],
    ["a negative queue priority", groupCmd({ queue: { priority: -1 } }), "queue.priority"],
    [
      "a callback offered at once",
      groupCmd({ queue: { callback: { ...callback, offerAfterSec: 0 } } }),
      "queue.callback.offerAfterSec",
    ],
    [
      "a callback never attempted",
      groupCmd({ queue: { callback: { ...callback, maxAttempts: 0 } } }),
      "queue.callback.maxAttempts",
    ],
    [
      "a callback retried at once",
      groupCmd({ queue: { callback: { ...callback, retryAfterSec: 0 } } }),
      "queue.callback.retryAfterSec",
    ],
    [
      "a callback on two keys",
      groupCmd({ queue: { callback: { ...callback, key: "12" } } }),
      "queue.callback.key",
    ],
    [
      "a callback on a letter",
      groupCmd({ queue: { callback: { ...callback, key: "a" } } }),
      "queue.callback.key",
    ],
    ["a group's negative missed-offer limit", groupCmd({ maxMissedOffers: -1 }), "maxMissedOffers"],
    [
      "a group's fractional missed-offer cooldown",
      groupCmd({ missedOfferCooldownSec: 0.5 }),
      "missedOfferCooldownSec",
    ],
    [
      "an account's negative missed-offer cooldown",
      { type: "ConfigureAccount", missedOfferCooldownSec: -5 },
      "missedOfferCooldownSec",
    ],
  ])("%s is refused, naming the setting", (_, command, setting) => {
    const error = refusal(command);
    expect(error).toBeInstanceOf(InvalidSettingError);
    expect((error as InvalidSettingError).setting).toBe(setting);
  });

  it("the smallest allowed values are accepted: no wrap-up, no missed-offer pause, priority 0, a 1 s timeout, keys * and #", () => {
    const config = buildConfig(
      [
        {
          type: "DefineAgent",
          agentId: "x",
          name: "X",
          contact: { kind: "phone", number: "+14155550199" },
          wrapUpSec: 0,
        },
        groupCmd({
          ringTimeoutSec: 1,
          maxRingAttempts: 1,
          maxMissedOffers: 0,
          missedOfferCooldownSec: 0,
          queue: {
            maxSize: 1,
            maxWaitSec: 1,
            announceEverySec: 1,
            priority: 0,
            callback: { ...callback, key: "*" },
          },
        }),
        groupCmd({
          groupId: "h",
          queue: { callback: { offerAfterSec: 1, key: "#", maxAttempts: 1, retryAfterSec: 1 } },
        }),
      ],
      base,
    );
    expect(config.agents.x?.wrapUpSec).toBe(0);
    expect(config.groups.g).toMatchObject({
      maxMissedOffers: 0,
      missedOfferCooldownSec: 0,
      ringTimeoutSec: 1,
    });
    expect(config.groups.h?.queue.callback?.key).toBe("#");
  });

  it("a group's queue settings are the defaults with what the admin set on top", () => {
    const config = buildConfig([groupCmd({ queue: { enabled: true, maxSize: 3 } })], base);
    expect(config.groups.g?.queue).toEqual({
      enabled: true,
      holdMusic: { kind: "defaultTone" },
      announcePosition: false,
      announceEverySec: 30,
      maxWaitSec: 300,
      maxSize: 3,
      priority: 0,
    });
    expect(config.groups.g).not.toHaveProperty("maxMissedOffers");
    expect(config.groups.g).not.toHaveProperty("missedOfferCooldownSec");
  });

  it("an account update keeps every setting it does not mention", () => {
    const first = buildConfig(
      [
        {
          type: "ConfigureAccount",
          callerIdPassThrough: true,
          recordCalls: true,
          timeZone: "Europe/London",
          callsPeriod: "week",
          maxMissedOffers: 5,
          missedOfferCooldownSec: 60,
          dialPolicy: { deniedPrefixes: ["+1900"] },
        },
      ],
      base,
    );
    const after = buildConfig([{ type: "ConfigureAccount" }], first);
    expect(after.account).toEqual(first.account);
    expect(after.version).toBe(first.version + 1);
    const changed = buildConfig(
      [{ type: "ConfigureAccount", maxMissedOffers: 0, recordCalls: false }],
      first,
    );
    expect(changed.account).toEqual({ ...first.account, maxMissedOffers: 0, recordCalls: false });
    expect(buildConfig([{ type: "ConfigureAccount" }], base).account).toEqual(base.account);
    expect(base.account).not.toHaveProperty("dialPolicy");
  });

  it("a missed offer is judged by the group's policy, else the account's, else 3 offers and no cooldown", () => {
    const config = buildConfig(
      [
        { type: "ConfigureAccount", maxMissedOffers: 5, missedOfferCooldownSec: 60 },
        groupCmd({ maxMissedOffers: 1, missedOfferCooldownSec: 10 }),
        groupCmd({ groupId: "h" }),
      ],
      base,
    );
    expect(missedOfferPolicy(config, "g")).toEqual({ maxMissedOffers: 1, cooldownSec: 10 });
    expect(missedOfferPolicy(config, "h")).toEqual({ maxMissedOffers: 5, cooldownSec: 60 });
    expect(missedOfferPolicy(config, undefined)).toEqual({ maxMissedOffers: 5, cooldownSec: 60 });
    expect(missedOfferPolicy(base, undefined)).toEqual({ maxMissedOffers: 3, cooldownSec: 0 });
  });

  it("removing what is still in use is refused, naming every user; once unused it is removed", () => {
    const flow = {
      flowId: "main",
      name: "Main",
      start: "a",
      applets: {
        a: {
          kind: "connect" as const,
          target: { kind: "agent" as const, agentId: "cid" },
          branches: { fallback: "b" },
        },
        b: {
          kind: "connect" as const,
          target: { kind: "group" as const, groupId: "g" },
          branches: { fallback: "c" },
        },
        c: { kind: "hangup" as const },
      },
    };
    const config = buildConfig(
      [groupCmd(), { type: "DefineFlow", flow }, { type: "DefineNumber", number: BUSINESS, flowId: "main" }],
      base,
    );
    const inUse = (command: ConfigCommand) => {
      const error = refusal(command, config);
      expect(error).toBeInstanceOf(ConfigInUseError);
      return (error as ConfigInUseError).usedBy;
    };
    expect(inUse({ type: "RemoveAgent", agentId: "ann" })).toEqual(["group g"]);
    expect(inUse({ type: "RemoveAgent", agentId: "cid" })).toEqual(["flow main"]);
    expect(inUse({ type: "RemoveGroup", groupId: "g" })).toEqual(["flow main"]);
    expect(inUse({ type: "RemoveFlow", flowId: "main" })).toEqual([`number ${BUSINESS}`]);
    const emptied = buildConfig(
      [
        { type: "RemoveNumber", number: BUSINESS },
        { type: "RemoveFlow", flowId: "main" },
        { type: "RemoveGroup", groupId: "g" },
        { type: "RemoveAgent", agentId: "dee" },
      ],
      config,
    );
    expect(Object.keys(emptied.numbers)).toEqual([]);
    expect(Object.keys(emptied.flows)).toEqual([]);
    expect(Object.keys(emptied.groups)).toEqual([]);
    expect(Object.keys(emptied.agents)).toEqual(["ann", "bob", "cid"]);
    expect(emptied.version).toBe(config.version + 4);
  });

  it("removing what does not exist is refused with the kind of thing it is", () => {
    expect(refusal({ type: "RemoveAgent", agentId: "ghost" })).toBeInstanceOf(UnknownAgentError);
    expect(refusal({ type: "RemoveGroup", groupId: "ghost" })).toBeInstanceOf(UnknownGroupError);
    expect(refusal({ type: "RemoveNumber", number: "+14155550000" })).toBeInstanceOf(UnknownNumberError);
    expect(refusal({ type: "RemoveFlow", flowId: "ghost" })).toBeInstanceOf(UnknownFlowError);
    expect((refusal({ type: "RemoveFlow", flowId: "ghost" }) as UnknownFlowError).flowId).toBe("ghost");
  });
});
