// The drachtio driver against REAL drachtio-server and FreeSWITCH (the rig's private loopback instances) and
// sipp phones: originate with caller id, final-response mapping, CANCEL, BYE both ways, inbound INVITE,
// DTMF transfer codes, REFER, re-INVITE. Skipped with one line when the binaries are missing.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { scaledClock } from "@switchyard/clock";
import { DrachtioDriver, type DriverEvent } from "@switchyard/media-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  driverEndpoints,
  freePort,
  type SippAgent,
  skipSip,
  startSippAgent,
  startSippCallers,
  startTelephony,
  type Telephony,
  waitFor,
} from "../sip/rig/index.js";
import { runLateOfferCaller } from "./late-offer-caller.js";
import { sippReferAgent } from "./refer-agent.js";

const run = promisify(execFile);
const skip = skipSip(["drachtio", "freeswitch", "sipp"]);

describe.skipIf(skip)("drachtio driver on real drachtio-server + FreeSWITCH", () => {
  let tel: Telephony;
  let driver: DrachtioDriver;
  const events: DriverEvent[] = [];
  const agents: SippAgent[] = [];
  const clock = scaledClock({ speed: 1 });
  let n = 0;
  const leg = (what: string) => `${what}-${++n}`;

  const of = (channelId: string) => events.filter((e) => e.channelId === channelId);
  const kinds = (channelId: string) =>
    of(channelId).map((e) =>
      e.type === "ended"
        ? `ended:${e.reason}`
        : e.type === "agentTransfer"
          ? `transfer:${e.action}${"target" in e ? `:${e.mode}:${e.target}` : ""}`
          : e.type === "dtmf"
            ? `dtmf:${e.digit}`
            : e.type,
    );
  const until = (what: string, check: () => boolean) =>
    waitFor(what, () => (check() ? true : undefined), { tries: 200, everyMs: 100 });
  const agent = async (name: string, behaviour: Parameters<typeof startSippAgent>[0]["behaviour"]) => {
    const a = await startSippAgent({ dir: tel.dir, name, behaviour, maxSec: 300 });
    agents.push(a);
    return a;
  };
  const agentEvents = (a: SippAgent) => a.events().map((e) => e.event);

  beforeAll(async () => {
    tel = await startTelephony({ name: "driver" });
    driver = new DrachtioDriver({
      clock,
      ...driverEndpoints(tel),
      freeswitch: { ...driverEndpoints(tel).freeswitch, listenAddress: "127.0.0.1" },
      sipDomain: "switchyard.test",
      trunks: [{ name: "loopback", sources: ["127.0.0.1/32"] }],
      mediaDir: join(tel.dir, "media"),
      originateGraceSec: 0,
      log: () => {},
    });
    driver.onEvent((e) => events.push(e));
    await driver.start();
  });

  afterAll(async () => {
    await driver?.close();
    for (const a of agents) await a.stop().catch(() => undefined);
    await tel?.stop();
  });

  it("originates with the caller id in From and P-Asserted-Identity; 180 → ringing, 200 → answered; hangup sends BYE", async () => {
    const a = await agent("answer", { kind: "answer", afterMs: 300 });
    const id = leg("answer");
    await driver.originate({
      channelId: id,
      to: { kind: "sip", uri: a.uri() },
      callerId: "+442071234567",
      timeoutSec: 20,
    });
    await until("answered", () => kinds(id).includes("answered"));
    expect(kinds(id)).toEqual(["ringing", "answered"]);
    const invite = a.events().find((e) => e.event === "invite")?.detail ?? "";
    expect(invite).toMatch(/from=[^|]*<sip:\+442071234567@switchyard\.test>/);
    expect(invite).toMatch(/pai=[^|]*<sip:\+442071234567@switchyard\.test>/);
    expect(driver.channelExists(id)).toBe(true);
    await driver.hangup(id, "done");
    await until("agent got BYE", () => agentEvents(a).includes("bye-received"));
    expect(kinds(id)).toEqual(["ringing", "answered", "ended:hungUp"]);
    expect(driver.channelExists(id)).toBe(false);
  });

  it("the agent's BYE ends the leg hungUp", async () => {
    const a = await agent("hangs-up", { kind: "answer", afterMs: 100, holdMs: 800 });
    const id = leg("hangs-up");
    await driver.originate({
      channelId: id,
      to: { kind: "sip", uri: a.uri() },
      callerId: "+15550001",
      timeoutSec: 20,
    });
    await until("ended", () => kinds(id).some((k) => k.startsWith("ended")));
    // sipp logs its events through a forked shell: the line can land after our fact.
    await until("agent logged its BYE", () => agentEvents(a).includes("bye-sent"));
    expect(kinds(id)).toEqual(["ringing", "answered", "ended:hungUp"]);
  });

  it.each([
    [486, "busy"],
    [600, "busy"],
    [603, "busy"],
    [480, "noAnswer"],
    [408, "noAnswer"],
    [503, "failed"],
    [404, "failed"],
  ])("a %i final response ends the leg %s", async (status, reason) => {
    const a = await agent(`reject-${status}`, { kind: "reject", status, afterMs: 100 });
    const id = leg(`reject-${status}`);
    await driver.originate({
      channelId: id,
      to: { kind: "sip", uri: a.uri() },
      callerId: "+15550001",
      timeoutSec: 20,
    });
    await until("ended", () => kinds(id).some((k) => k.startsWith("ended")));
    expect(kinds(id)).toEqual(["ringing", `ended:${reason}`]);
    const ended = of(id).at(-1);
    expect(ended?.type === "ended" && ended.detail).toMatch(new RegExp(`^${status} `));
  });

  it("an unreachable destination fails the leg", async () => {
    const id = leg("unreachable");
    // Nothing listens there: drachtio-server gives up (503 or 408 after its timers) — failed or noAnswer is
    // the SIP stack's choice; what matters is that the leg ends and nothing rings.
    await driver.originate({
      channelId: id,
      to: { kind: "sip", uri: "sip:nobody@127.0.0.1:9;transport=tcp" },
      callerId: "+15550001",
      timeoutSec: 20,
    });
    await until("ended", () => kinds(id).some((k) => k.startsWith("ended")));
    expect(kinds(id)).toEqual(["ended:failed"]);
  });

  it("a phone number with no outbound gateway configured fails the leg at once", async () => {
    const id = leg("no-gateway");
    await driver.originate({
      channelId: id,
      to: { kind: "phone", number: "+15550100" },
      callerId: "+1555",
      timeoutSec: 5,
    });
    await until("ended", () => kinds(id).some((k) => k.startsWith("ended")));
    expect(kinds(id)).toEqual(["ended:failed"]);
  });

  it("the driver's own ring timeout CANCELs a phone that never answers: noAnswer", async () => {
    const a = await agent("never", { kind: "never-answer" });
    const id = leg("never");
    await driver.originate({
      channelId: id,
      to: { kind: "sip", uri: a.uri() },
      callerId: "+15550001",
      timeoutSec: 1,
    });
    await until("ended", () => kinds(id).some((k) => k.startsWith("ended")));
    expect(kinds(id)).toEqual(["ringing", "ended:noAnswer"]);
    await until("agent got CANCEL", () => agentEvents(a).includes("cancel"));
  });

  it("cancel (the router's ring timeout, or another leg won) sends CANCEL: cancelled; a late command is ignored", async () => {
    const a = await agent("cancelled", { kind: "never-answer" });
    const id = leg("cancelled");
    await driver.originate({
      channelId: id,
      to: { kind: "sip", uri: a.uri() },
      callerId: "+15550001",
      timeoutSec: 30,
    });
    await until("ringing", () => kinds(id).includes("ringing"));
    await driver.cancel(id, "ring timeout");
    await until("agent got CANCEL", () => agentEvents(a).includes("cancel"));
    await driver.cancel(id, "again");
    await driver.hangup(id, "again");
    expect(kinds(id)).toEqual(["ringing", "ended:cancelled"]);
  });

  it("simultaneous ring: the winner is connected, the others get CANCEL", async () => {
    const fast = await agent("sim-fast", { kind: "answer", afterMs: 200 });
    const slow1 = await agent("sim-slow1", { kind: "never-answer" });
    const slow2 = await agent("sim-slow2", { kind: "answer", afterMs: 20_000 });
    const ids = [leg("sim-fast"), leg("sim-slow1"), leg("sim-slow2")];
    await Promise.all(
      [fast, slow1, slow2].map((a, i) =>
        driver.originate({
          channelId: ids[i]!,
          to: { kind: "sip", uri: a.uri() },
          callerId: "+15550001",
          timeoutSec: 30,
        }),
      ),
    );
    await until("winner answered", () => kinds(ids[0]!).includes("answered"));
    await driver.cancel(ids[1]!, "another leg answered");
    await driver.cancel(ids[2]!, "another leg answered");
    await until(
      "losers got CANCEL",
      () => agentEvents(slow1).includes("cancel") && agentEvents(slow2).includes("cancel"),
    );
    expect(kinds(ids[1]!)).toEqual(["ringing", "ended:cancelled"]);
    expect(kinds(ids[2]!)).toEqual(["ringing", "ended:cancelled"]);
    expect(agentEvents(slow2)).not.toContain("answered");
    await driver.hangup(ids[0]!, "done");
  });

  it("an inbound INVITE is answered into FreeSWITCH and reported with number dialled, caller and trunk; BYE both ways", async () => {
    const before = events.length;
    const callers = await startSippCallers({
      dir: tel.dir,
      name: "inbound",
      target: { host: "127.0.0.1", port: tel.drachtio.sipPort },
      service: "+18005550100",
      plan: { holdMs: 1500, fromUser: "+442079460000" },
      calls: 1,
      timeoutSec: 30,
    });
    await until("inbound call", () => events.slice(before).some((e) => e.type === "inboundCall"));
    const inbound = events.slice(before).find((e) => e.type === "inboundCall");
    expect(inbound).toMatchObject({ from: "+442079460000", to: "+18005550100", trunk: "loopback" });
    const result = await callers.done;
    expect(result.stats?.successful).toBe(1);
    await until("caller's BYE", () => kinds(inbound!.channelId).includes("ended:hungUp"));
    expect(kinds(inbound!.channelId)).toEqual(["inboundCall", "ended:hungUp"]);

    // The other way: the gateway hangs up the caller.
    const before2 = events.length;
    const callers2 = await startSippCallers({
      dir: tel.dir,
      name: "inbound-bye",
      target: { host: "127.0.0.1", port: tel.drachtio.sipPort },
      service: "+18005550100",
      plan: { holdMs: 30_000 },
      calls: 1,
      timeoutSec: 60,
    });
    await until("inbound call", () => events.slice(before2).some((e) => e.type === "inboundCall"));
    const id2 = events.slice(before2).find((e) => e.type === "inboundCall")!.channelId;
    await driver.hangup(id2, "flow ended");
    const r2 = await callers2.done;
    expect(r2.events.map((e) => e.event)).toContain("bye-received");
    expect(kinds(id2)).toEqual(["inboundCall", "ended:hungUp"]);
  });

  it("agent DTMF (SIP INFO) with the transfer codes: start with target digits, then complete", async () => {
    const a = await agent("dtmf", {
      kind: "answer",
      afterMs: 100,
      dtmf: [
        { afterMs: 300, digits: "5*2201#", mode: "info", gapMs: 50 },
        { afterMs: 300, digits: "*3", mode: "info", gapMs: 50 },
      ],
    });
    const id = leg("dtmf");
    await driver.originate({
      channelId: id,
      to: { kind: "sip", uri: a.uri() },
      callerId: "+15550001",
      timeoutSec: 20,
    });
    await until("complete", () => kinds(id).includes("transfer:complete"));
    expect(kinds(id).filter((k) => k.startsWith("transfer"))).toEqual([
      "transfer:start:warm:201",
      "transfer:complete",
    ]);
    expect(
      kinds(id)
        .filter((k) => k.startsWith("dtmf"))
        .join(""),
    ).toBe("dtmf:5dtmf:*dtmf:2dtmf:2dtmf:0dtmf:1dtmf:#dtmf:*dtmf:3");
    await driver.hangup(id, "done");
  });

  it("agent DTMF as RFC 2833 through FreeSWITCH: cancel code", async () => {
    const a = await agent("dtmf2833", {
      kind: "answer",
      afterMs: 100,
      dtmf: [{ afterMs: 500, digits: "*4", mode: "rfc2833", gapMs: 400 }],
    });
    const id = leg("dtmf2833");
    await driver.originate({
      channelId: id,
      to: { kind: "sip", uri: a.uri() },
      callerId: "+15550001",
      timeoutSec: 20,
    });
    await until("cancel code", () => kinds(id).includes("transfer:cancel"));
    await driver.hangup(id, "done");
  });

  it("REFER from an agent's phone: 202, NOTIFY, blind transfer fact with the Refer-To user", async () => {
    const a = await sippReferAgent(tel.dir, "refer", "+15557654321");
    agents.push(a);
    const id = leg("refer");
    await driver.originate({
      channelId: id,
      to: { kind: "sip", uri: a.uri() },
      callerId: "+15550001",
      timeoutSec: 20,
    });
    await until("transfer", () => kinds(id).some((k) => k.startsWith("transfer")));
    expect(kinds(id)).toContain("transfer:start:blind:+15557654321");
    await until("NOTIFY", () => agentEvents(a).includes("notify"));
    await until("REFER accepted", () => agentEvents(a).includes("refer-accepted"));
    await driver.hangup(id, "blind transfer: A drops");
  });

  it("an INVITE from a source no trunk holds is refused 403 and never reported", async () => {
    const before = events.length;
    const dir = join(tel.dir, "untrusted");
    await mkdir(dir, { recursive: true });
    const port = await freePort();
    // sipp's built-in UAC from 127.0.0.2, outside the only trunk (127.0.0.1/32).
    await run(
      "sipp",
      [
        "-sn",
        "uac",
        `127.0.0.1:${tel.drachtio.sipPort}`,
        "-i",
        "127.0.0.2",
        "-p",
        String(port),
        "-s",
        "+18005550100",
        "-m",
        "1",
        "-nostdin",
        "-timeout",
        "15s",
        "-trace_msg",
        "-message_file",
        join(dir, "messages.log"),
      ],
      { timeout: 30_000 },
    ).catch(() => undefined);
    const log = readFileSync(join(dir, "messages.log"), "utf8");
    expect(log).toMatch(/^SIP\/2\.0 403/m);
    expect(events.slice(before).filter((e) => e.type === "inboundCall")).toEqual([]);
  });

  it("a late-offer INVITE (no SDP): FreeSWITCH's plain-RTP offer in the 200 OK, the caller's answer in the ACK", async () => {
    const before = events.length;
    const result = await runLateOfferCaller(
      tel.dir,
      { host: "127.0.0.1", port: tel.drachtio.sipPort },
      "+18005550101",
    );
    expect(result.exitCode).toBe(0);
    const ok =
      result.messages.split(/-{10,}/).find((m) => /^SIP\/2\.0 200 OK[\s\S]*CSeq: 1 INVITE/m.test(m)) ?? "";
    expect(ok).toMatch(/^m=audio \d+ RTP\/AVP /m);
    expect(ok).not.toContain("RTP/SAVP");
    await until("ended", () => events.slice(before).some((e) => e.type === "ended"));
    const inbound = events.slice(before).find((e) => e.type === "inboundCall");
    expect(inbound).toMatchObject({ from: "+442079460001", to: "+18005550101" });
    expect(kinds(inbound!.channelId)).toEqual(["inboundCall", "ended:hungUp"]);
  });
});
