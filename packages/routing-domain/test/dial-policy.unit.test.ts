// Toll-fraud rules: the account's dial policy is checked in the domain on every outbound phone leg, so no
// flow, group, agent phone or transfer can dial around it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assertDialPolicy,
  buildConfig,
  type CallEvent,
  type ConfigCommand,
  capsExternalLegs,
  type DialPolicy,
  decideConfig,
  dialRefusal,
  EMPTY_CONFIG,
  InvalidDialPolicyError,
  STRATEGIES,
} from "../src/index.js";
import { ev } from "./support/match.js";
import { BUSINESS, CALLER, callSpec, sec, World } from "./support/world.js";

const POLICY: DialPolicy = { allowedCountryCodes: ["1", "44"], deniedPrefixes: ["+1900", "+44909"] };

describe("the dial policy", () => {
  it("allows numbers in the allowed countries outside the denied prefixes, and says why it refuses", () => {
    expect(dialRefusal("+14155550100", POLICY)).toBeUndefined();
    expect(dialRefusal("+447700900001", POLICY)).toBeUndefined();
    expect(dialRefusal("+19005550100", POLICY)).toBe("+19005550100 starts with the denied prefix +1900");
    expect(dialRefusal("+4930123456", POLICY)).toBe(
      "+4930123456 is outside the allowed country codes (+1, +44)",
    );
    expect(dialRefusal("+4930123456", undefined)).toBeUndefined();
    expect(dialRefusal("0900 123", undefined)).toBe('"0900 123" is not an E.164 number');
  });

  it("is validated when the account is configured", () => {
    const configure = (dialPolicy: DialPolicy) => () =>
      decideConfig({ type: "ConfigureAccount", dialPolicy }, EMPTY_CONFIG);
    expect(configure({ allowedCountryCodes: ["+44"], deniedPrefixes: [] })).toThrow(InvalidDialPolicyError);
    expect(configure({ deniedPrefixes: ["1900"] })).toThrow(InvalidDialPolicyError);
    expect(configure(POLICY)).not.toThrow();
  });

  it("tells the admin which rule is wrong: country codes of 1-3 digits, caps from 0 to 1,000,000, prefixes of + and digits", () => {
    const problem = (policy: Partial<DialPolicy>) => {
      try {
        assertDialPolicy({ deniedPrefixes: [], ...policy });
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidDialPolicyError);
        return (e as Error).message;
      }
      return undefined;
    };
    expect(
      problem({ allowedCountryCodes: ["1", "44", "999"], deniedPrefixes: ["+1", "+123456789012345"] }),
    ).toBeUndefined();
    expect(problem({ maxConcurrentExternalLegs: 0, maxExternalMinutesPerHour: 1_000_000 })).toBeUndefined();
    expect(problem({ allowedCountryCodes: ["1234"] })).toBe(
      'allowed country code "1234" is not 1-3 digits (e.g. 44)',
    );
    expect(problem({ allowedCountryCodes: ["04"] })).toBe(
      'allowed country code "04" is not 1-3 digits (e.g. 44)',
    );
    expect(problem({ allowedCountryCodes: ["1x"] })).toBeDefined();
    expect(problem({ allowedCountryCodes: ["x1"] })).toBeDefined();
    expect(problem({ maxConcurrentExternalLegs: 1_000_001 })).toBe(
      "maxConcurrentExternalLegs must be a whole number from 0 to 1000000, not 1000001",
    );
    expect(problem({ maxExternalMinutesPerHour: -1 })).toBe(
      "maxExternalMinutesPerHour must be a whole number from 0 to 1000000, not -1",
    );
    expect(problem({ maxExternalMinutesPerHour: 0.5 })).toBeDefined();
    expect(problem({ deniedPrefixes: ["+0900"] })).toBe(
      'denied prefix "+0900" is not a + followed by digits (e.g. +1900)',
    );
    expect(problem({ deniedPrefixes: ["+1234567890123456"] })).toBeDefined();
    expect(problem({ deniedPrefixes: ["+1900x"] })).toBeDefined();
    expect(problem({ deniedPrefixes: ["x+1900"] })).toBeDefined();
  });

  it("caps external legs only when a cap is set (a cap of 0 is a cap)", () => {
    expect(capsExternalLegs(undefined)).toBe(false);
    expect(capsExternalLegs(POLICY)).toBe(false);
    expect(capsExternalLegs({ ...POLICY, maxConcurrentExternalLegs: 0 })).toBe(true);
    expect(capsExternalLegs({ ...POLICY, maxExternalMinutesPerHour: 0 })).toBe(true);
  });

  it("a denied prefix wins over an allowed country; with no country list every country is allowed", () => {
    expect(dialRefusal("+19005550100", { allowedCountryCodes: ["1"], deniedPrefixes: ["+1900"] })).toBe(
      "+19005550100 starts with the denied prefix +1900",
    );
    expect(dialRefusal("+4930123456", { deniedPrefixes: ["+1900"] })).toBeUndefined();
    expect(dialRefusal("+4930123456", { allowedCountryCodes: [], deniedPrefixes: [] })).toBe(
      "+4930123456 is outside the allowed country codes ()",
    );
    expect(dialRefusal(`+1${"2".repeat(40)}`, undefined)).toBe(
      `"+1${"2".repeat(30)}" is not an E.164 number`,
    );
  });
});

const PHONES = [
  "+14155550100",
  "+19005550101",
  "+447700900001",
  "+449091234567",
  "+4930123456",
  "+33123456789",
];
const AGENTS = ["a0", "a1", "a2"];

function world(policy: DialPolicy | undefined, phones: readonly string[], connect: ConfigCommand[]): World {
  const w = new World([
    { type: "ConfigureAccount", ...(policy ? { dialPolicy: policy } : {}) },
    ...AGENTS.map(
      (agentId, i): ConfigCommand => ({
        type: "DefineAgent",
        agentId,
        name: agentId,
        contact: { kind: "phone", number: phones[i]! },
        wrapUpSec: 0,
      }),
    ),
    ...connect,
    { type: "DefineNumber", number: BUSINESS, flowId: "main" },
  ]);
  w.signIn(AGENTS);
  return w;
}

const flow = (target: object): ConfigCommand => ({
  type: "DefineFlow",
  flow: {
    flowId: "main",
    name: "main",
    start: "c",
    applets: {
      c: { kind: "connect", target, branches: { fallback: "bye" } } as never,
      bye: { kind: "hangup" },
    },
  },
});

describe("no outbound leg outside the rules", () => {
  it("a Connect to a refused number takes the failed branch, and the refusal is in the call's history", () => {
    const w = world(POLICY, PHONES, [flow({ kind: "number", number: "+19005550199" })]);
    callSpec
      .given([], w.ctx())
      .when({ type: "StartCall", callId: "c1", from: CALLER, to: BUSINESS, now: sec(0) })
      .thenIncludes([
        ev("DialRefused", { purpose: "connect", reason: "+19005550199 starts with the denied prefix +1900" }),
        ev("ConnectCompleted", { outcome: "failed", next: "bye" }),
      ]);
  });

  it("a group rings only the members whose phones may be dialled", () => {
    const w = world(
      POLICY,
      ["+14155550100", "+4930123456", "+447700900001"],
      [
        { type: "DefineGroup", groupId: "g", name: "g", strategy: "simultaneous", members: AGENTS },
        flow({ kind: "group", groupId: "g" }),
      ],
    );
    const d = w.start("c1", CALLER, BUSINESS, sec(0));
    const rung = d.call.events.flatMap((e) => (e.type === "LegOriginateRequested" ? [e.data.agentId] : []));
    expect(rung).toEqual(["a0", "a2"]);
    expect(d.call.events.find((e) => e.type === "DialRefused")).toMatchObject({ data: { agentId: "a1" } });
  });

  it("a transfer to a refused number fails and the caller stays with the agent", () => {
    const w = world(POLICY, PHONES, [flow({ kind: "agent", agentId: "a0" })]);
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "a0"), now: sec(2) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({
        type: "RequestTransfer",
        transferId: "t1",
        mode: "blind",
        target: { kind: "number", number: "+449091234567" },
        now: sec(10),
      })
      .thenIncludes([
        ev("DialRefused", { purpose: "transfer" }),
        ev("TransferFailed", {
          reason:
            "nobody to transfer to: the account's dial policy refuses it: +449091234567 starts with the denied prefix +44909",
          returnedTo: w.legOf("c1", "a0"),
        }),
      ]);
  });

  it("whatever the flow, group strategy, agent phones and transfer, every phone leg dialled is allowed", () => {
    let refusals = 0;
    const phone = fc.constantFrom(...PHONES);
    const policy = fc.record({
      allowedCountryCodes: fc.option(fc.subarray(["1", "44", "49", "33"]), { nil: undefined }),
      deniedPrefixes: fc.subarray(["+1900", "+44909", "+1415", "+3312"]),
    });
    const target = fc.oneof(
      phone.map((number) => ({ kind: "number", number })),
      fc.constantFrom(...AGENTS).map((agentId) => ({ kind: "agent", agentId })),
      fc.constantFrom(...STRATEGIES).map((strategy) => ({ kind: "group", groupId: "g", strategy })),
    );
    const transfer = fc.oneof(
      phone.map((number) => ({ kind: "number" as const, number })),
      fc.constantFrom(...AGENTS).map((agentId) => ({ kind: "agent" as const, agentId })),
      fc.constant({ kind: "group" as const, groupId: "g" }),
    );
    fc.assert(
      fc.property(
        fc.option(policy, { nil: undefined }),
        fc.array(phone, { minLength: 3, maxLength: 3 }),
        target,
        transfer,
        (p, phones, t, x) => {
          const strategy = "strategy" in t ? (t.strategy as (typeof STRATEGIES)[number]) : "simultaneous";
          const { strategy: _s, ...connectTarget } = t as { strategy?: string };
          const w = world(p, phones, [
            { type: "DefineGroup", groupId: "g", name: "g", strategy, members: AGENTS },
            flow(connectTarget),
          ]);
          const events: CallEvent[] = [...w.start("c1", CALLER, BUSINESS, sec(0)).call.events];
          const answered = events.find((e) => e.type === "LegOriginateRequested");
          if (answered?.type === "LegOriginateRequested" && answered.data.agentId !== undefined) {
            events.push(
              ...w.run("c1", { type: "LegAnswered", legId: answered.data.legId, now: sec(2) }).call.events,
            );
            try {
              events.push(
                ...w.run("c1", {
                  type: "RequestTransfer",
                  transferId: "t",
                  mode: "warm",
                  target: x,
                  now: sec(5),
                }).call.events,
              );
              for (let at = 40; w.callState("c1").transfer?.phase === "ringing"; at += 40) {
                const timer = Object.entries(w.callState("c1").timers).find(
                  ([, v]) => v.kind === "transferRingTimeout",
                );
                if (!timer) break;
                events.push(
                  ...w.run("c1", { type: "TimerFired", timerId: timer[0], now: sec(at) }).call.events,
                );
              }
            } catch {
              // A transfer refused outright (e.g. to the agent already on the call) dials nothing.
            }
          }
          for (const e of events) {
            if (e.type === "LegOriginateRequested" && e.data.to.kind === "phone")
              expect(dialRefusal(e.data.to.number, p)).toBeUndefined();
            if (e.type === "DialRefused") refusals++;
          }
        },
      ),
      { numRuns: 300 },
    );
    // The property would hold trivially if nothing were ever refused.
    expect(refusals).toBeGreaterThan(20);
  });
});

describe("configuration", () => {
  it("keeps the dial policy across later account changes", () => {
    const cfg = buildConfig([
      { type: "ConfigureAccount", dialPolicy: POLICY },
      { type: "ConfigureAccount", recordCalls: true },
    ]);
    expect(cfg.account.dialPolicy).toEqual(POLICY);
  });
});
