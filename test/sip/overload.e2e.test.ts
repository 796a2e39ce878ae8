// Overload over real SIP: the gateway's admission control (a cap of 3 calls up at once) sheds what it cannot
// take with a plain 503 before anything exists for the call, and every call it took ends in PostgreSQL with
// exactly one CallEnded — including callers who hang up the moment they are answered (their BYE can reach
// the gateway before the router has started the call).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defineConfig } from "../e2e/harness.js";
import {
  agentIdsOf,
  allCalls,
  CALLER_ID_PASSED,
  type SipPlatform,
  sippGroup,
  startSipPlatform,
  stateOf,
} from "./platform.js";
import {
  type SippAgent,
  type SippMessage,
  skipSip,
  startSippAgent,
  startSippCallers,
  waitFor,
} from "./rig/index.js";

const skip = skipSip(["drachtio", "freeswitch", "sipp"]);
const CAP = 3;

describe.skipIf(skip)("overload: admission control over real SIP", () => {
  let p: SipPlatform;
  let failed = false;
  let agent: SippAgent | undefined;

  beforeAll(async () => {
    p = await startSipPlatform({ name: "overload", driver: { admission: { maxCalls: CAP } } });
    await defineConfig(p.e2e, [{ type: "ConfigureAccount", callerIdPassThrough: true }]);
  });

  beforeEach((ctx) => {
    ctx.onTestFailed(() => {
      failed = true;
    });
  });

  afterAll(async () => {
    await agent?.stop().catch(() => undefined);
    await p?.close({ keep: failed });
  });

  it(`beyond ${CAP} calls at once: 503 before anything is recorded; every call taken ends once`, {
    timeout: 120_000,
  }, async () => {
    agent = await startSippAgent({
      dir: p.tel.dir,
      name: "agents",
      behaviour: { kind: "answer", afterMs: 100 },
    });
    const number = await sippGroup(p, agent, {
      groupId: "ov",
      agentIds: agentIdsOf("ov", 8),
      connect: CALLER_ID_PASSED,
    });

    // 12 callers who stay 2 s, and at the same time 8 who hang up as soon as they are answered.
    const runs = await Promise.all([
      startSippCallers({
        dir: p.tel.dir,
        name: "stay",
        target: p.sip,
        service: number,
        plan: { holdMs: 2_000, fromUser: "+1555100[call_number]" },
        calls: 12,
        rate: 6,
        timeoutSec: 90,
        events: false,
      }),
      startSippCallers({
        dir: p.tel.dir,
        name: "leave",
        target: p.sip,
        service: number,
        plan: { holdMs: 0, fromUser: "+1555200[call_number]" },
        calls: 8,
        rate: 4,
        timeoutSec: 90,
        events: false,
      }),
    ]);
    const results = await Promise.all(runs.map((r) => r.done));
    const messages: SippMessage[] = results.flatMap((r) => r.messages?.() ?? []);
    const finals = new Map<string, { from: string; status: number }>();
    for (const m of messages)
      if (m.direction === "received" && m.cseqMethod === "INVITE" && m.status >= 200 && !finals.has(m.callId))
        finals.set(m.callId, { from: m.fromUser, status: m.status });
    const invites = new Set(
      messages.filter((m) => m.direction === "sent" && m.method === "INVITE").map((m) => m.callId),
    );
    const answered = new Set([...finals.values()].filter((f) => f.status === 200).map((f) => f.from));
    const refused = new Set([...finals.values()].filter((f) => f.status === 503).map((f) => f.from));
    expect(invites.size).toBe(20);
    expect(answered.size + refused.size).toBe(20);
    // The cap was exceeded (20 callers in ~2 s, 2+ s each, at most 3 up at once), and shed as counted.
    expect(refused.size).toBeGreaterThan(0);
    expect(answered.size).toBeGreaterThanOrEqual(CAP);
    expect(p.driver.admissionStats()).toMatchObject({ admitted: answered.size, overCalls: refused.size });

    // Every call taken is in PostgreSQL and terminal, with exactly one CallEnded; no refused caller is.
    const terminal = (ev: Awaited<ReturnType<typeof allCalls>> extends Map<string, infer E> ? E : never) => {
      const st = stateOf(ev);
      return st.status === "ended" && Object.values(st.legs).every((l) => l.status === "ended");
    };
    const calls = await waitFor(
      `${answered.size} calls terminal in PostgreSQL`,
      async () => {
        const all = await allCalls(p);
        return all.size >= answered.size && [...all.values()].every(terminal) ? all : undefined;
      },
      { tries: 300, everyMs: 200 },
    ).catch(async (err: unknown) => {
      // Say which calls stayed open and how far they got.
      const open = [...(await allCalls(p))].filter(([, ev]) => !terminal(ev));
      const story = open.map(([id, ev]) => `${id}: ${ev.map((e) => e.type).join(" ")}`).join("\n");
      throw new Error(`${String(err)}\nopen calls:\n${story}`);
    });
    const froms = new Set<string>();
    for (const [callId, ev] of calls) {
      const from =
        (ev.find((e) => e.type === "CallStarted")?.data as { from?: string } | undefined)?.from ?? "";
      froms.add(from);
      expect(
        ev.filter((e) => e.type === "CallEnded"),
        `call ${callId} from ${from}`,
      ).toHaveLength(1);
    }
    expect(froms).toEqual(answered);
    for (const from of refused) expect(froms.has(from)).toBe(false);
  });
});

describe.skipIf(skip)("overload: callers refused when FreeSWITCH endpoints fall behind", () => {
  let p: SipPlatform;
  let failed = false;
  let agent: SippAgent | undefined;

  beforeAll(async () => {
    // One endpoint created at a time and one caller allowed to wait for it: a burst is sure to exceed it.
    p = await startSipPlatform({
      name: "overmedia",
      driver: { endpointsInFlight: 1, admission: { maxWaitingForMedia: 1 } },
    });
    await defineConfig(p.e2e, [{ type: "ConfigureAccount", callerIdPassThrough: true }]);
  });

  beforeEach((ctx) => {
    ctx.onTestFailed(() => {
      failed = true;
    });
  });

  afterAll(async () => {
    await agent?.stop().catch(() => undefined);
    await p?.close({ keep: failed });
  });

  it("a burst beyond the callers allowed to wait for media: 503 at once, counted; every call taken ends once", {
    timeout: 120_000,
  }, async () => {
    agent = await startSippAgent({
      dir: p.tel.dir,
      name: "agents",
      behaviour: { kind: "answer", afterMs: 50 },
    });
    const number = await sippGroup(p, agent, {
      groupId: "om",
      agentIds: agentIdsOf("om", 20),
      connect: CALLER_ID_PASSED,
    });

    // 20 INVITEs within about 0.1 s; an endpoint takes milliseconds to make, so a line forms at once.
    const run = await startSippCallers({
      dir: p.tel.dir,
      name: "burst",
      target: p.sip,
      service: number,
      plan: { holdMs: 1_000, fromUser: "+1555300[call_number]" },
      calls: 20,
      rate: 200,
      timeoutSec: 60,
      events: false,
    });
    const result = await run.done;
    const finals = new Map<string, { from: string; status: number }>();
    for (const m of result.messages?.() ?? [])
      if (m.direction === "received" && m.cseqMethod === "INVITE" && m.status >= 200 && !finals.has(m.callId))
        finals.set(m.callId, { from: m.fromUser, status: m.status });
    const answered = new Set([...finals.values()].filter((f) => f.status === 200).map((f) => f.from));
    const refused = new Set([...finals.values()].filter((f) => f.status === 503).map((f) => f.from));
    expect(answered.size + refused.size).toBe(20);
    expect(refused.size).toBeGreaterThan(0);
    expect(answered.size).toBeGreaterThan(0);
    expect(p.driver.admissionStats()).toMatchObject({
      admitted: answered.size,
      overCalls: 0,
      overMedia: refused.size,
    });

    const calls = await waitFor(
      `${answered.size} calls terminal in PostgreSQL`,
      async () => {
        const all = await allCalls(p);
        const done = [...all.values()].every((ev) => {
          const st = stateOf(ev);
          return st.status === "ended" && Object.values(st.legs).every((l) => l.status === "ended");
        });
        return all.size >= answered.size && done ? all : undefined;
      },
      { tries: 300, everyMs: 200 },
    );
    const froms = new Set(
      [...calls.values()].map(
        (ev) => (ev.find((e) => e.type === "CallStarted")?.data as { from?: string } | undefined)?.from ?? "",
      ),
    );
    expect(froms).toEqual(answered);
    for (const ev of calls.values()) expect(ev.filter((e) => e.type === "CallEnded")).toHaveLength(1);
  });
});
