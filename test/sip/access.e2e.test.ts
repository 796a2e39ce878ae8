// SIP access control over real SIP (drachtio-server, FreeSWITCH, sipp on distinct loopback source addresses):
// trunks by source address, agent phones by SIP digest, a per-source INVITE rate cap that throttles a flood
// from one trunk peer while another trunk's callers are answered and routed, and nothing in any response that
// names the software behind the gateway.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defineConfig, flowOnNumber, hangup } from "../e2e/harness.js";
import {
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
  type SippResult,
  skipSip,
  startSippAgent,
  startSippCallers,
  waitFor,
} from "./rig/index.js";

const skip = skipSip(["drachtio", "freeswitch", "sipp"]);

const CARRIER = "127.0.0.1";
const FLOODER = "127.0.0.2";
const STRANGER = "127.0.0.3";
const PHONE_NET = "127.0.0.4";
/** A second peer of the wholesale trunk, for the calls-up cap. */
const HOLDER = "127.0.0.6";
/** Per-source cap: calls up at once. */
const MAX_CALLS = 3;
const RINGERS = ["acc_r1", "acc_r2", "acc_r3", "acc_r4", "acc_r5"];
/** Per-source cap: new calls per second (burst: one second's worth). */
const RATE = 2;
const BURST = Math.max(1, RATE);
const FLOOD = { calls: 40, rate: 20 };
/** Agents (one sipp UAS answering for all): enough for the carrier's calls at once. */
const AGENTS = ["acc_a1", "acc_a2", "acc_a3", "acc_a4", "acc_a5", "acc_a6"];
/** The carrier's callers, all at once: above the default per-source rate, within the carrier's own. */
const CARRIER_CALLS = 5;
// Planted so that the test can look for it in every log line of the gateway and every SIP message.
const PHONE_PASSWORD = `pw-${randomBytes(8).toString("hex")}`;

/** The first final response to each INVITE transaction a caller run received, by Call-ID. */
function finalsOf(
  messages: readonly SippMessage[],
): Map<string, { from: string; status: number; at: number }> {
  const finals = new Map<string, { from: string; status: number; at: number }>();
  for (const m of messages)
    if (m.direction === "received" && m.cseqMethod === "INVITE" && m.status >= 200 && !finals.has(m.callId))
      finals.set(m.callId, { from: m.fromUser, status: m.status, at: m.at });
  return finals;
}

/** Every SIP message a sipp run received, as raw text. */
function receivedRaw(run: SippResult): string[] {
  const file = join(run.dir, "messages.log");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split(/^-{20,}.*$/m)
    .filter((b) => /message received/.test(b));
}

/** How a sipp run ended, with the tail of its output and errors (for an assertion's message). */
function whatRan(run: SippResult): string {
  const tail = (name: string) => {
    const file = join(run.dir, name);
    return existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(-8).join("\n") : "(none)";
  };
  return `sipp in ${run.dir} exited ${run.exitCode}; sipp.out:\n${tail("sipp.out")}\nerrors.log:\n${tail("errors.log")}`;
}

describe.skipIf(skip)("SIP access control: trunks, digest phones, per-source caps, no banners", () => {
  let p: SipPlatform;
  let failed = false;
  let agent: SippAgent | undefined;
  const logLines: string[] = [];
  const runs: SippResult[] = [];
  let connectNumber = "";

  beforeAll(async () => {
    p = await startSipPlatform({
      name: "access",
      driver: {
        trunks: [
          // The carrier's SBC is held to its own, higher caps: its callers come faster than the default allows.
          { name: "carrier", sources: [`${CARRIER}/32`], perSource: { maxCallsPerSec: 10, maxCalls: 10 } },
          { name: "wholesale", sources: [FLOODER, HOLDER] },
        ],
        phones: [{ username: "ann-phone", password: PHONE_PASSWORD }],
        digest: { sources: [PHONE_NET] },
        admission: { perSource: { maxCallsPerSec: RATE, maxCalls: MAX_CALLS } },
        log: (level, message, fields) => logLines.push(JSON.stringify({ level, message, ...fields })),
      },
    });
    // Agents hang up after 1 s: the platform then sends the caller a BYE (a request of its own to check).
    agent = await startSippAgent({
      dir: p.tel.dir,
      name: "agent",
      behaviour: { kind: "answer", afterMs: 100, holdMs: 1_000 },
    });
    await defineConfig(p.e2e, [{ type: "ConfigureAccount", callerIdPassThrough: true }]);
    connectNumber = await sippGroup(p, agent, {
      groupId: "acc",
      agentIds: AGENTS,
      connect: CALLER_ID_PASSED,
    });
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

  /** The platform's call streams whose caller is one of `froms`, once all of them are terminal. */
  async function terminalCallsFrom(froms: ReadonlySet<string>, count: number) {
    return waitFor(
      `${count} calls from ${[...froms].slice(0, 3).join(", ")}… terminal in PostgreSQL`,
      async () => {
        const mine = [...(await allCalls(p)).values()].filter((ev) =>
          froms.has(
            (ev.find((e) => e.type === "CallStarted")?.data as { from?: string } | undefined)?.from ?? "",
          ),
        );
        const terminal = mine.filter((ev) => {
          const st = stateOf(ev);
          return st.status === "ended" && Object.values(st.legs).every((l) => l.status === "ended");
        });
        return mine.length >= count && terminal.length === mine.length ? mine : undefined;
      },
      { tries: 300, everyMs: 200 },
    );
  }

  it(`a flood of ${FLOOD.calls} INVITEs from one trunk peer is throttled at ${RATE}/s; the carrier's callers are answered and routed; a stranger gets 403`, {
    timeout: 60_000,
  }, async () => {
    const flowHangup = flowOnNumber("acc_flood_flow", "bye", { bye: hangup });
    await defineConfig(p.e2e, flowHangup.commands);
    const before = p.driver.admissionStats();
    const [flood, legit, stranger] = await Promise.all([
      startSippCallers({
        dir: p.tel.dir,
        name: "flood",
        localIp: FLOODER,
        target: p.sip,
        service: flowHangup.number,
        plan: { holdMs: 0, fromUser: "+1555300[call_number]" },
        calls: FLOOD.calls,
        rate: FLOOD.rate,
        timeoutSec: 40,
        events: false,
      }),
      startSippCallers({
        dir: p.tel.dir,
        name: "carrier",
        localIp: CARRIER,
        target: p.sip,
        service: connectNumber,
        plan: { holdMs: 5_000, fromUser: "+1555400[call_number]" },
        calls: CARRIER_CALLS,
        rate: CARRIER_CALLS,
        timeoutSec: 40,
        events: false,
      }),
      startSippCallers({
        dir: p.tel.dir,
        name: "stranger",
        localIp: STRANGER,
        target: p.sip,
        service: connectNumber,
        plan: { holdMs: 0, fromUser: "+1555500[call_number]" },
        calls: 2,
        rate: 2,
        timeoutSec: 40,
        events: false,
      }),
    ]);
    const [floodRun, legitRun, strangerRun] = await Promise.all([flood.done, legit.done, stranger.done]);
    runs.push(floodRun, legitRun, strangerRun);

    // The flood: every INVITE got a final response, 200 or 503 (with Retry-After), as sipp saw them.
    const floodMessages = floodRun.messages?.() ?? [];
    const floodFinals = finalsOf(floodMessages);
    const sent = floodMessages.filter((m) => m.direction === "sent" && m.method === "INVITE");
    expect(new Set(sent.map((m) => m.callId)).size).toBe(FLOOD.calls);
    expect(floodFinals.size).toBe(FLOOD.calls);
    const served = [...floodFinals.values()].filter((f) => f.status === 200);
    const throttled = [...floodFinals.values()].filter((f) => f.status === 503);
    expect(served.length + throttled.length).toBe(FLOOD.calls);
    // At most the burst plus the rate over the time the gateway can have seen the flood in: from the first
    // INVITE sent to the last final response received (sipp's own timestamps).
    const spanSec =
      (Math.max(...[...floodFinals.values()].map((f) => f.at)) - Math.min(...sent.map((m) => m.at))) / 1000;
    expect(served.length).toBeGreaterThanOrEqual(BURST);
    expect(served.length).toBeLessThanOrEqual(Math.floor(BURST + RATE * spanSec));
    expect(throttled.length).toBeGreaterThan(0);
    for (const block of receivedRaw(floodRun).filter((b) => /^SIP\/2\.0 503 /m.test(b)))
      expect(block).toMatch(/^Retry-After: \d+\s*$/m);
    const stats = p.driver.admissionStats();
    // (A served flood call still up when a later INVITE came may make that one over the calls-up cap.)
    expect(
      stats.sourceOverRate - before.sourceOverRate + stats.sourceOverCalls - before.sourceOverCalls,
    ).toBe(throttled.length);
    expect(stats.sourceOverRate - before.sourceOverRate).toBeGreaterThan(0);
    // The account's own caps were not touched by the flood: the per-source cap refused it first.
    expect(stats.overRate - before.overRate).toBe(0);

    // The carrier's callers, at the same time: all answered, and each call routed to the agent and bridged.
    const legitFinals = [...finalsOf(legitRun.messages?.() ?? []).values()];
    expect(legitFinals.map((f) => f.status)).toEqual(Array(CARRIER_CALLS).fill(200));
    const legitFroms = new Set(legitFinals.map((f) => f.from));
    const legitCalls = await terminalCallsFrom(legitFroms, CARRIER_CALLS);
    expect(legitCalls).toHaveLength(CARRIER_CALLS);
    for (const ev of legitCalls) expect(ev.map((e) => e.type)).toContain("LegsBridged");

    // The stranger (no trunk, not the phones' network): 403, nothing recorded.
    const strangerFinals = [...finalsOf(strangerRun.messages?.() ?? []).values()];
    expect(
      strangerFinals.map((f) => f.status),
      whatRan(strangerRun),
    ).toEqual([403, 403]);
    expect(stats.forbidden - before.forbidden).toBe(2);

    // The platform's call streams: one per served flood INVITE, none for a throttled one or the stranger.
    const floodCalls = await terminalCallsFrom(new Set(served.map((f) => f.from)), served.length);
    expect(floodCalls).toHaveLength(served.length);
    const startedFrom = new Set(
      [...(await allCalls(p)).values()].map(
        (ev) => (ev.find((e) => e.type === "CallStarted")?.data as { from?: string } | undefined)?.from,
      ),
    );
    for (const f of [...throttled, ...strangerFinals]) expect(startedFrom.has(f.from)).toBe(false);
    console.log(
      `flood from ${FLOODER}: ${served.length} served, ${throttled.length} × 503 over ${spanSec.toFixed(2)} s (bound ${Math.floor(BURST + RATE * spanSec)}); carrier ${legitFinals.length}/${CARRIER_CALLS} answered and bridged; stranger 2 × 403`,
    );
  });

  it("an agent phone: challenged (401), right password → call routed as the phone, wrong → 403, none → 401", {
    timeout: 60_000,
  }, async () => {
    const phone = (name: string, password: string | undefined) =>
      startSippCallers({
        dir: p.tel.dir,
        name,
        localIp: PHONE_NET,
        target: p.sip,
        service: connectNumber,
        plan: {
          digest: password === undefined ? undefined : { username: "ann-phone", password },
          holdMs: 5_000,
          fromUser: `spoofed-${name}`,
        },
        calls: 1,
        timeoutSec: 30,
      }).then((r) => r.done);
    const before = p.driver.admissionStats();
    const right = await phone("phone-right", PHONE_PASSWORD);
    const wrong = await phone("phone-wrong", `${PHONE_PASSWORD}x`);
    const none = await phone("phone-none", undefined);
    runs.push(right, wrong, none);
    const finals = (r: SippResult) => r.events.filter((e) => e.event === "final").map((e) => e.detail);
    const events = (r: SippResult) => r.events.map((e) => e.event);

    expect(events(right)).toEqual(expect.arrayContaining(["challenged", "answered", "bye-received"]));
    expect(finals(right)).toEqual([]);
    expect(events(wrong)).toContain("challenged");
    expect(finals(wrong)).toEqual(["403"]);
    expect(finals(none)).toEqual(["401"]);
    const stats = p.driver.admissionStats();
    expect(stats.challenged - before.challenged).toBe(3);
    expect(stats.forbidden - before.forbidden).toBe(1);
    expect(stats.admitted - before.admitted).toBe(1);

    // The call is the authenticated phone's (not the From it claimed), routed to the agent and bridged.
    const [call] = await terminalCallsFrom(new Set(["ann-phone"]), 1);
    expect(call!.map((e) => e.type)).toContain("LegsBridged");
    const froms = [...(await allCalls(p)).values()].map(
      (ev) => (ev.find((e) => e.type === "CallStarted")?.data as { from?: string } | undefined)?.from ?? "",
    );
    expect(froms.filter((f) => f.startsWith("spoofed-"))).toEqual([]);
  });

  it(`one source with ${MAX_CALLS} calls up gets 503 for more until one ends`, {
    timeout: 60_000,
  }, async () => {
    // Calls that stay up: answered by the platform, then ringing agents who never answer (10 s each).
    const ringer = await startSippAgent({
      dir: p.tel.dir,
      name: "ringer",
      behaviour: { kind: "never-answer" },
    });
    try {
      const number = await sippGroup(p, ringer, {
        groupId: "acc_ringers",
        agentIds: RINGERS,
        connect: { record: "off" },
      });
      const before = p.driver.admissionStats();
      // 5 callers, one a second (under the rate cap), each staying 6 s: the 4th and 5th find 3 calls up.
      const run = await startSippCallers({
        dir: p.tel.dir,
        name: "holder",
        localIp: HOLDER,
        target: p.sip,
        service: number,
        plan: { holdMs: 6_000, fromUser: "+1555600[call_number]" },
        calls: 5,
        rate: 1,
        timeoutSec: 40,
        events: false,
      }).then((r) => r.done);
      runs.push(run);
      const finals = [...finalsOf(run.messages?.() ?? []).values()];
      const served = finals.filter((f) => f.status === 200);
      const refused = finals.filter((f) => f.status === 503);
      expect(served.length + refused.length).toBe(5);
      expect(served.length).toBeLessThanOrEqual(MAX_CALLS);
      expect(refused.length).toBeGreaterThanOrEqual(5 - MAX_CALLS);
      const stats = p.driver.admissionStats();
      expect(stats.sourceOverCalls - before.sourceOverCalls).toBe(refused.length);
      expect(stats.sourceOverRate - before.sourceOverRate).toBe(0);
      const calls = await terminalCallsFrom(new Set(served.map((f) => f.from)), served.length);
      expect(calls).toHaveLength(served.length);
      // Those calls ended: the source's count went down with them, and it is served again.
      const again = await startSippCallers({
        dir: p.tel.dir,
        name: "holder-again",
        localIp: HOLDER,
        target: p.sip,
        service: number,
        plan: { holdMs: 0, fromUser: "+1555700[call_number]" },
        calls: 1,
        timeoutSec: 20,
        events: false,
      }).then((r) => r.done);
      runs.push(again);
      expect([...finalsOf(again.messages?.() ?? []).values()].map((f) => f.status)).toEqual([200]);
    } finally {
      await ringer.stop().catch(() => undefined);
    }
  });

  it("no response names the software behind the gateway; the phone password is in no log line", () => {
    const received = runs.flatMap(receivedRaw);
    expect(received.length).toBeGreaterThan(50);
    // Requests the platform sent (its BYEs once the agent hung up) are checked as well as responses.
    expect(received.filter((m) => /^BYE sip:/m.test(m)).length).toBeGreaterThanOrEqual(4);
    for (const msg of received) {
      expect(msg).not.toMatch(/^(Server|User-Agent):/im);
      expect(msg).not.toMatch(/freeswitch|drachtio|sofia|switchyard/i);
    }
    // Refusals use the standard reason phrases only.
    const statusLines = new Set(received.flatMap((m) => /^SIP\/2\.0 \d{3} .*$/m.exec(m)?.[0] ?? []));
    for (const line of statusLines)
      expect(line.trim()).toMatch(
        /^SIP\/2\.0 (100 Trying|180 Ringing|183 Session Progress|200 OK|401 Unauthorized|403 Forbidden|503 Service Unavailable)$/,
      );
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join("\n")).not.toContain(PHONE_PASSWORD);
  });
});
