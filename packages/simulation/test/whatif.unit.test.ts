import { parseContactCentre } from "@switchyard/contact-centre";
import { describe, expect, it } from "vitest";
import {
  applyVariant,
  extractDay,
  gini,
  type LoggedEvent,
  overlayFromSets,
  parseTraffic,
  planCalls,
  planPhones,
  VariantError,
} from "../src/index.js";
import { at, recordedLog, T0 } from "./support/recorded-log.js";

const CC = parseContactCentre(
  `
agents:
  - { id: alice, name: Alice, phone: "+15550000001" }
  - { id: bob, name: Bob, phone: "+15550000002" }
groups:
  - { id: sales, name: Sales, strategy: round-robin, members: [alice, bob], queue: { enabled: true } }
numbers:
  - { number: "+442071234567", flow: main }
flows:
  - id: main
    start: hello
    applets:
      hello: { type: greeting, audio: "Hello", next: menu }
      menu: { type: ivrMenu, prompt: "1", branches: { "1": sales }, timeoutBranch: bye, invalidBranch: bye }
      sales: { type: connect, target: { group: sales }, branches: { fallback: bye } }
      bye: { type: hangup }
`,
  "cc.yaml",
);
/** The config stream as the contact centre's commands write it, then a recorded period's events. */
function log(): LoggedEvent[] {
  const { config, call, agent, started } = recordedLog(CC);
  return [
    ...config,
    agent("alice", "AgentSignedIn", { at: at(-60) }),
    agent("bob", "AgentSignedIn", { at: at(-60) }),
    // c1: answered by alice 2.5 s after her phone rang, talks 90 s.
    started("c1", 10, "+15551000001"),
    call("c1", "IvrBranchChosen", { appletId: "menu", digit: "1", next: "sales" }),
    call("c1", "AppletEntered", { appletId: "sales", kind: "connect", at: at(14) }),
    agent("alice", "AgentReserved", { callId: "c1", legId: "l1", at: at(14) }),
    agent("alice", "AgentRinging", { callId: "c1", at: at(14) }),
    agent("alice", "AgentAnswered", { callId: "c1", at: at(16.5), periodKey: "d" }),
    call("c1", "LegsBridged", { legIds: ["l0", "l1"], at: at(16.5) }),
    // c2: bob misses it (rang out), then the caller gives up after 40 s.
    started("c2", 20, "+15551000002"),
    call("c2", "IvrBranchChosen", { appletId: "menu", digit: "1", next: "sales" }),
    call("c2", "AppletEntered", { appletId: "sales", kind: "connect", at: at(24) }),
    agent("bob", "AgentReserved", { callId: "c2", legId: "l2", at: at(24) }),
    agent("bob", "AgentRinging", { callId: "c2", at: at(24) }),
    agent("bob", "AgentReleased", {
      callId: "c2",
      at: at(44),
      reason: "ringTimeout",
      missed: true,
      misses: 1,
    }),
    agent("bob", "AgentBreakStarted", { at: at(50), reason: "lunch" }),
    call("c2", "CallEnded", { reason: "callerHungUp", at: at(60) }),
    call("c1", "CallEnded", { reason: "callerHungUp", at: at(106.5) }),
    agent("alice", "AgentCallEnded", { callId: "c1", at: at(106.5) }),
    // Outside the period: not extracted.
    started("c3", 700, "+15551000003"),
  ];
}

describe("extractDay", () => {
  const day = extractDay(log(), { from: T0, to: at(600) });

  it("copies arrivals, digits, talk times and patience; the configuration comes from the config stream", () => {
    expect(day.config.groups.sales?.members).toEqual(["alice", "bob"]);
    expect(day.traffic.calls).toEqual([
      {
        atSec: 10,
        number: "+442071234567",
        from: "+15551000001",
        digits: ["1"],
        waitedAtLeastSec: 6.5,
        talkSec: 90,
      },
      { atSec: 20, number: "+442071234567", from: "+15551000002", digits: ["1"], patienceSec: 40 },
    ]);
    // Patience: exponential, time exposed (6.5 + 40) over the one abandonment.
    expect(day.traffic.callers.patience).toEqual({ kind: "exponential", meanSec: 46.5 });
  });

  it("fits each agent from their offers, keeps their offers in order, and their timeline from the start", () => {
    expect(day.traffic.agents.byAgent.alice).toMatchObject({ noAnswer: 0, busy: 0, reject: 0 });
    expect(day.traffic.agents.byAgent.bob).toMatchObject({ noAnswer: 1 });
    expect(day.traffic.agentOffers).toEqual({
      alice: [{ kind: "answer", afterSec: 2.5 }],
      bob: [{ kind: "noAnswer" }],
    });
    expect(day.traffic.agentTimeline).toEqual({
      alice: [{ atSec: 0, input: "SignIn" }],
      bob: [
        { atSec: 0, input: "SignIn" },
        { atSec: 50, input: "StartBreak" },
      ],
    });
  });

  it("re-plans the recorded callers: same arrival, digits after the greeting, talk time; then the offers replay", () => {
    const calls = planCalls(day.traffic, day.config);
    expect(calls.map((c) => [c.atSec, c.from, c.talkSec])).toEqual([
      [10, "+15551000001", 90],
      [20, "+15551000002", expect.any(Number)],
    ]);
    expect(calls[0]!.dtmf.map((d) => d.digits)).toEqual(["", "1"]);
    expect(calls[1]!.patienceSec).toBe(40);
    // Answered after 6.5 s: patience at least that.
    expect(calls[0]!.patienceSec).toBeGreaterThanOrEqual(6.5);
    const bob = planPhones(day.traffic, day.config).find((p) => p.agentId === "bob")!;
    expect(bob.next()).toEqual({ kind: "noAnswer" });
  });
});

describe("applyVariant", () => {
  it("changes a group's strategy and adds agents through the config decider", () => {
    const overlay = overlayFromSets(
      ["groups.sales.strategy=longest-idle", "groups.sales.addAgents=2"],
      (v) => (/^\d+$/.test(v) ? Number(v) : v),
    );
    const v = applyVariant(CC.snapshot, overlay);
    expect(v.groups.sales?.strategy).toBe("longestIdle");
    expect(v.groups.sales?.members).toEqual(["alice", "bob", "sales-extra-1", "sales-extra-2"]);
    expect(v.agents["sales-extra-2"]?.contact).toEqual({ kind: "phone", number: "+15550000002" });
    expect(CC.snapshot.groups.sales?.strategy).toBe("roundRobin");
  });

  it("rejects unknown groups, strategies and fields", () => {
    expect(() => applyVariant(CC.snapshot, { groups: { nope: { strategy: "round-robin" } } })).toThrow(
      VariantError,
    );
    expect(() => applyVariant(CC.snapshot, { groups: { sales: { strategy: "coin-toss" } } })).toThrow(
      /unknown strategy "coin-toss"/,
    );
    expect(() => applyVariant(CC.snapshot, { groups: { sales: { colour: "red" } } })).toThrow(/colour/);
  });
});

describe("applyVariant: call flows", () => {
  const yamlish = (v: string) => (v === "null" ? null : /^\d+$/.test(v) ? Number(v) : v);

  it("changes a Connect's ring timeout and fallback, adding a voicemail applet, through the config decider", () => {
    const v = applyVariant(CC.snapshot, {
      ...overlayFromSets(["flows.main.applets.sales.ringTimeoutSec=15"], yamlish),
      flows: {
        main: {
          applets: {
            sales: { ringTimeoutSec: 15, branches: { noAnswer: "vm" } },
            vm: { type: "voicemail", maxLengthSec: 60, next: "bye" },
          },
        },
      },
    });
    expect(v.flows.main?.applets.sales).toEqual({
      kind: "connect",
      target: { kind: "group", groupId: "sales" },
      ringTimeoutSec: 15,
      branches: { fallback: "bye", noAnswer: "vm" },
    });
    expect(v.flows.main?.applets.vm).toEqual({ kind: "voicemail", maxLengthSec: 60, next: "bye" });
    expect(v.version).toBeGreaterThan(CC.snapshot.version);
    // The recorded configuration is left as it was.
    expect(CC.snapshot.flows.main?.applets.sales).not.toHaveProperty("ringTimeoutSec");
    // --set addressing reaches the same field.
    const set = applyVariant(
      CC.snapshot,
      overlayFromSets(
        [
          "flows.main.applets.sales.ringTimeoutSec=12",
          "flows.main.start=menu",
          "flows.main.applets.hello=null",
        ],
        yamlish,
      ),
    );
    expect(set.flows.main).toMatchObject({ start: "menu", applets: { sales: { ringTimeoutSec: 12 } } });
    expect(set.flows.main?.applets).not.toHaveProperty("hello");
    // Without removing the greeting, the new start leaves it unreachable: the decider refuses that.
    expect(() => applyVariant(CC.snapshot, overlayFromSets(["flows.main.start=menu"], yamlish))).toThrow(
      /not a valid configuration: flow main is invalid: \[hello\] applet "hello" cannot be reached/,
    );
  });

  it("replaces a whole flow written as the contact-centre file writes it", () => {
    const v = applyVariant(CC.snapshot, {
      flows: [
        {
          id: "main",
          start: "sales",
          applets: {
            sales: { type: "connect", target: { agent: "alice" }, branches: { fallback: "bye" } },
            bye: { type: "hangup" },
          },
        },
      ],
    });
    expect(Object.keys(v.flows.main!.applets)).toEqual(["sales", "bye"]);
    expect(v.flows.main).toMatchObject({ start: "sales", name: "main" });
    expect(v.flows.main!.applets.sales).toMatchObject({ target: { kind: "agent", agentId: "alice" } });
  });

  it("sends a number's calls to a flow the variant adds, and refuses a number or flow that does not exist", () => {
    const v = applyVariant(CC.snapshot, {
      flows: [
        {
          id: "direct",
          start: "sales",
          applets: {
            sales: { type: "connect", target: { group: "sales" }, branches: { fallback: "bye" } },
            bye: { type: "hangup" },
          },
        },
      ],
      numbers: { "+442071234567": "direct" },
    });
    expect(v.numbers["+442071234567"]).toMatchObject({ flowId: "direct" });
    expect(CC.snapshot.numbers["+442071234567"]).toMatchObject({ flowId: "main" });
    expect(() => applyVariant(CC.snapshot, { numbers: { "+15550009999": "main" } })).toThrow(
      /numbers\["\+15550009999"\]: no such number in the recorded configuration/,
    );
    expect(() => applyVariant(CC.snapshot, { numbers: { "+442071234567": "nowhere" } })).toThrow(
      /not a valid configuration.*nowhere/,
    );
  });

  it("refuses an invalid flow variant with a message that says where and why", () => {
    const variant = (flows: unknown) => () => applyVariant(CC.snapshot, { flows });
    // The config decider's own flow validation: a branch that leads nowhere.
    expect(variant({ main: { applets: { sales: { branches: { fallback: "nowhere" } } } } })).toThrow(
      /not a valid configuration.*nowhere/,
    );
    expect(variant({ main: { applets: { bye: null } } })).toThrow(VariantError);
    expect(variant({ main: { applets: { sales: { ringTimeoutSec: "soon" } } } })).toThrow(
      /flows\.main\.applets\.sales\.ringTimeoutSec: must be a number, got string "soon"/,
    );
    expect(variant({ main: { applets: { sales: { ringTimeout: 15 } } } })).toThrow(
      /flows\.main\.applets\.sales\.ringTimeout: unknown field/,
    );
    expect(variant({ main: { applets: { sales: { target: { group: "support" } } } } })).toThrow(
      /group "support" is not configured/,
    );
    expect(variant({ side: { start: "x" } })).toThrow(/flows\.side: no such flow/);
    expect(variant({ main: { applets: { extra: { next: "bye" } } } })).toThrow(/give its type to add one/);
    expect(variant([{ id: "main", start: "a", applets: { a: { type: "teleport" } } }])).toThrow(
      /flows\[0\]\.applets\.a\.type: unknown applet type "teleport"/,
    );
  });
});

describe("traffic file", () => {
  it("reads recorded calls, offers and timelines, and says what is wrong", () => {
    const model = parseTraffic(
      {
        traffic: {
          calls: [{ atSec: 5, number: "+442071234567", digits: "1", talkSec: 30 }],
          agentOffers: { alice: [3.5, "noAnswer", "reject 2", "?"] },
          agentTimeline: { bob: [{ atSec: 0, input: "SignIn" }] },
        },
      },
      "t.yaml",
      CC.snapshot,
    );
    expect(model.calls).toEqual([{ atSec: 5, number: "+442071234567", digits: ["1"], talkSec: 30 }]);
    expect(model.agentOffers?.alice).toEqual([
      { kind: "answer", afterSec: 3.5 },
      { kind: "noAnswer" },
      { kind: "reject", afterSec: 2 },
      null,
    ]);
    expect(() =>
      parseTraffic(
        { traffic: { calls: [{ atSec: 5, number: "+1999" }], agentOffers: { zed: ["maybe"] } } },
        "t.yaml",
        CC.snapshot,
      ),
    ).toThrow(
      /calls\[0\]\.number: \+1999 is not a business number[\s\S]*unknown agent "zed"[\s\S]*got "maybe"/,
    );
  });
});

it("gini: 0 for equal counts, larger for uneven ones", () => {
  expect(gini([3, 3, 3])).toBe(0);
  expect(gini([0, 0, 6])).toBeCloseTo(2 / 3);
  expect(gini([])).toBe(0);
});
