// The product text's flow design patterns end to end: direct routing, department routing with DTMF, overflow
// routing and multi-level fallback.
import type { Applet, ConfigCommand, Strategy } from "@switchyard/routing-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defineAgents,
  defineConfig,
  type E2EPlatform,
  endedCall,
  flowOnNumber,
  hangup,
  newNumber,
  passTime,
  placeCall,
  say,
  signIn,
  startE2E,
} from "./harness.js";

let p: E2EPlatform;
const CALLER = "+14155559002";

beforeAll(async () => {
  p = await startE2E();
});

afterAll(async () => {
  await p?.close();
});

const answered = { kind: "answer", afterSec: 1, talkSec: 3 } as const;
const voicemail = (next?: string): Applet => ({
  kind: "voicemail",
  greeting: { kind: "tts", text: "Please leave a message" },
  maxLengthSec: 30,
  ...(next === undefined ? {} : { next }),
});
const connectGroup = (groupId: string, branches: Record<string, string>): Applet => ({
  kind: "connect",
  target: { kind: "group", groupId },
  branches,
});

/** Groups of fresh, signed-in agents: `{ groupId: [strategy, agent count] }` → agent phone numbers per group. */
async function groups(spec: Record<string, [Strategy, number]>): Promise<Record<string, string[]>> {
  const commands: ConfigCommand[] = [];
  const phones: Record<string, string[]> = {};
  const ids: string[] = [];
  for (const [groupId, [strategy, n]] of Object.entries(spec)) {
    const { commands: defs, agents } = defineAgents(Array.from({ length: n }, (_, i) => `${groupId}_${i}`));
    commands.push(...defs, {
      type: "DefineGroup",
      groupId,
      name: groupId,
      strategy,
      members: Object.keys(agents),
      ringTimeoutSec: 8,
    });
    phones[groupId] = Object.values(agents).map((a) => a.number);
    ids.push(...Object.keys(agents));
  }
  await defineConfig(p, commands);
  await signIn(p, ids);
  return phones;
}

describe("direct routing", () => {
  it("greeting, then Connect to a single number, answered", async () => {
    const line = newNumber();
    const flow = flowOnNumber("direct_num", "hello", {
      hello: say("Thanks for calling", "c"),
      c: {
        kind: "connect",
        target: { kind: "number", number: line },
        branches: { noAnswer: "vm", fallback: "vm" },
      },
      vm: voicemail(),
    });
    await defineConfig(p, flow.commands);
    p.driver.setPhone(line, answered);
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: flow.number }));
    expect(call.of("AppletEntered").map((a) => a.appletId)).toEqual(["hello", "c"]);
    expect(call.of("ConnectCompleted")[0]?.outcome).toBe("answered");
  });

  it("greeting, then Connect to a single number that does not answer, then voicemail", async () => {
    const line = newNumber();
    const flow = flowOnNumber("direct_vm", "hello", {
      hello: say("Thanks for calling", "c"),
      c: {
        kind: "connect",
        target: { kind: "number", number: line },
        branches: { noAnswer: "vm", fallback: "vm" },
      },
      vm: voicemail(),
    });
    await defineConfig(p, flow.commands);
    p.driver.setPhone(line, { kind: "noAnswer" });
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: flow.number, voicemailSec: 4 }));
    expect(call.of("AppletEntered").map((a) => a.appletId)).toEqual(["hello", "c", "vm"]);
    expect(call.types).toContain("VoicemailRecorded");
  });
});

describe("department routing", () => {
  it("routes by the digit pressed at the IVR to the department's group with its strategy", async () => {
    const phones = await groups({
      dept_sales: ["roundRobin", 2],
      dept_support: ["longestIdle", 2],
      dept_billing: ["sequential", 2],
    });
    for (const list of Object.values(phones)) for (const ph of list) p.driver.setPhone(ph, answered);
    const flow = flowOnNumber("departments", "ivr", {
      ivr: {
        kind: "ivrMenu",
        prompt: { kind: "tts", text: "Press 1 for sales, 2 for support, 3 for billing" },
        branches: { "1": "sales", "2": "support", "3": "billing" },
        timeoutSec: 5,
        retries: 1,
        timeoutBranch: "bye",
        invalidBranch: "bye",
      },
      sales: connectGroup("dept_sales", { fallback: "bye" }),
      support: connectGroup("dept_support", { fallback: "bye" }),
      billing: connectGroup("dept_billing", { fallback: "bye" }),
      bye: hangup,
    });
    await defineConfig(p, flow.commands);
    const calls = await Promise.all(
      (["1", "2", "3"] as const).map((digits) =>
        placeCall(p, { from: CALLER, to: flow.number, dtmf: [{ digits, whenPrompted: true }] }),
      ),
    );
    const ended = await Promise.all(calls.map((c) => endedCall(p, c)));
    const expected = [
      ["sales", "dept_sales", "roundRobin"],
      ["support", "dept_support", "longestIdle"],
      ["billing", "dept_billing", "sequential"],
    ];
    ended.forEach((call, i) => {
      const [applet, group, strategy] = expected[i]!;
      expect(call.of("IvrBranchChosen")[0]).toMatchObject({ digit: String(i + 1), next: applet });
      expect(call.of("RoutingDecided")[0]).toMatchObject({ groupId: group, strategy });
      expect(call.of("ConnectCompleted")[0]?.outcome).toBe("answered");
    });
  });
});

describe("overflow routing", () => {
  const flowApplets = {
    l1: connectGroup("ov_l1", { busy: "l2", noAnswer: "over", fallback: "vm" }),
    l2: connectGroup("ov_l2", { fallback: "vm" }),
    over: connectGroup("ov_over", { noAnswer: "vm", fallback: "vm" }),
    vm: voicemail(),
  };
  let number: string;
  let phones: Record<string, string[]>;

  beforeAll(async () => {
    phones = await groups({
      ov_l1: ["simultaneous", 1],
      ov_l2: ["simultaneous", 1],
      ov_over: ["simultaneous", 1],
    });
    const flow = flowOnNumber("overflow", "l1", flowApplets);
    number = flow.number;
    await defineConfig(p, flow.commands);
  });

  it("level 1 busy goes to level 2", async () => {
    p.driver.setPhone(phones.ov_l1![0]!, { kind: "busy" });
    p.driver.setPhone(phones.ov_l2![0]!, answered);
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: number }));
    expect(call.of("ConnectCompleted").map((c) => c.outcome)).toEqual(["busy", "answered"]);
    expect(call.of("AppletEntered").map((a) => a.appletId)).toEqual(["l1", "l2"]);
  });

  it("level 1 no answer goes to the overflow group, and its no answer to voicemail", async () => {
    p.driver.setPhone(phones.ov_l1![0]!, { kind: "noAnswer" });
    p.driver.setPhone(phones.ov_over![0]!, { kind: "noAnswer" });
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: number, voicemailSec: 3 }));
    expect(call.of("ConnectCompleted").map((c) => c.outcome)).toEqual(["noAnswer", "noAnswer"]);
    expect(call.of("AppletEntered").map((a) => a.appletId)).toEqual(["l1", "over", "vm"]);
    expect(call.types).toContain("VoicemailRecorded");
  });
});

describe("multi-level fallback", () => {
  it("primary, backup, 'all agents busy' greeting, voicemail, hang up", async () => {
    const phones = await groups({ ml_primary: ["simultaneous", 2], ml_backup: ["sequential", 2] });
    for (const list of Object.values(phones))
      for (const ph of list) p.driver.setPhone(ph, { kind: "noAnswer" });
    const flow = flowOnNumber("multilevel", "primary", {
      primary: connectGroup("ml_primary", { noAnswer: "backup", fallback: "backup" }),
      backup: connectGroup("ml_backup", { noAnswer: "busy", fallback: "busy" }),
      busy: say("All agents are busy", "vm"),
      vm: voicemail("bye"),
      bye: hangup,
    });
    await defineConfig(p, flow.commands);
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: flow.number, voicemailSec: 3 }));
    expect(call.of("AppletEntered").map((a) => a.appletId)).toEqual([
      "primary",
      "backup",
      "busy",
      "vm",
      "bye",
    ]);
    // Both backup agents were tried one after the other before giving up.
    expect(call.of("RoutingDecided").map((d) => d.chosen.length)).toEqual([2, 1, 1, 0]);
    expect(call.of("CallEnded")[0]?.reason).toBe("hangupApplet");
  });
});

describe("business hours (time condition)", () => {
  it("a call in opening hours reaches the group; after closing time the next call takes the closed branch, and says why", async () => {
    const phones = await groups({ hours_sales: ["roundRobin", 1] });
    for (const phone of phones.hours_sales ?? []) p.driver.setPhone(phone, answered);
    const flow = flowOnNumber("hours_flow", "hours", {
      hours: {
        kind: "timeCondition",
        timeZone: "Europe/London",
        hours: [{ days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "17:00" }],
        open: "sales",
        closed: "closed",
      },
      sales: connectGroup("hours_sales", { fallback: "closed" }),
      closed: say("We are closed"),
    });
    await defineConfig(p, flow.commands);
    const before = new Date(p.clock.now());
    const open = await endedCall(p, await placeCall(p, { from: CALLER, to: flow.number }));
    expect(open.of("AppletEntered").map((a) => a.appletId)).toEqual(["hours", "sales"]);
    expect(open.of("ConnectCompleted")[0]?.outcome).toBe("answered");
    // The platform's day starts on a Monday morning (UTC, which is London's time in winter); jump past 17:00.
    expect(before.getUTCDay()).toBe(1);
    await passTime(p, Date.UTC(2026, 0, 5, 17, 0, 0) - p.clock.now());
    const closed = await endedCall(p, await placeCall(p, { from: CALLER, to: flow.number }));
    expect(closed.of("AppletEntered").map((a) => a.appletId)).toEqual(["hours", "closed"]);
    expect(closed.of("AppletBranchTaken")).toEqual([
      {
        appletId: "hours",
        branch: "closed",
        next: "closed",
        reason: expect.stringMatching(
          /^Mon 2026-01-05 17:0\d in Europe\/London: outside mon,tue,wed,thu,fri 09:00–17:00$/,
        ),
      },
    ]);
  });
});
