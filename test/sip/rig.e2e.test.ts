// The rig proves itself: drachtio-server and FreeSWITCH on private loopback ports of this run; sipp callers
// through a drachtio-srf B2BUA to sipp agents (answer, 486, 503, CANCEL while ringing, DTMF); baresip ↔
// FreeSWITCH real audio analysed by frequency in both directions; sipp DTMF (INFO and RFC 2833) reaching
// FreeSWITCH.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Srf from "drachtio-srf";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  analyse,
  describe as describeAudio,
  makeTone,
  type Phone,
  runSippCallers,
  skipSip,
  startPhone,
  startSippAgent,
  startTelephony,
  type Telephony,
  waitFor,
} from "./rig/index.js";

const skip = skipSip(["drachtio", "freeswitch", "sipp", "baresip", "sox"]);

// Extensions of this test only: two tones in order; a recorder of what the caller sends; DTMF collection.
const dialplan = (dir: string) => `
    <extension name="rig_tones"><condition field="destination_number" expression="^rigtones$">
      <action application="answer"/>
      <action application="playback" data="tone_stream://%(2000,0,440);%(2000,0,880)"/>
      <action application="hangup" data="NORMAL_CLEARING"/></condition></extension>
    <extension name="rig_record"><condition field="destination_number" expression="^rigrecord$">
      <action application="answer"/>
      <action application="record" data="${dir}/fs-heard.wav 3"/>
      <action application="hangup" data="NORMAL_CLEARING"/></condition></extension>
    <extension name="rig_dtmf"><condition field="destination_number" expression="^rigdtmf$">
      <action application="answer"/>
      <action application="read" data="3 3 silence_stream://100 rig_digits 8000 #"/>
      <action application="log" data="INFO RIG_DIGITS=\${rig_digits}"/>
      <action application="sleep" data="1500"/>
      <action application="hangup" data="NORMAL_CLEARING"/></condition></extension>`;

describe.skipIf(skip)("SIP rig on private loopback ports", () => {
  let rig: Telephony;
  let srf: Srf;
  let failed = false;

  beforeAll(async () => {
    rig = await startTelephony({ name: "self-test", dialplan });
  });

  beforeEach((ctx) => {
    ctx.onTestFailed(() => {
      failed = true;
    });
  });

  afterAll(async () => {
    srf?.disconnect();
    await rig?.stop({ keep: failed });
  });

  it("starts drachtio-server and FreeSWITCH away from the well-known ports", () => {
    const ports = [rig.drachtio.port, rig.drachtio.sipPort, rig.freeswitch.port, rig.freeswitch.sipPort];
    for (const p of ports) expect([5060, 9022, 5080, 8021]).not.toContain(p);
    expect(rig.freeswitch.rtp.start).not.toBe(20_000);
    expect(new Set(ports).size).toBe(4);
  });

  it("sipp callers reach sipp agents through drachtio-server: answer, 486, 503, CANCEL while ringing", async () => {
    const answering = await startSippAgent({
      dir: rig.dir,
      name: "ann",
      behaviour: { kind: "answer", afterMs: 300 },
    });
    const busy = await startSippAgent({
      dir: rig.dir,
      name: "bob",
      behaviour: { kind: "reject", status: 486, afterMs: 200 },
    });
    const down = await startSippAgent({
      dir: rig.dir,
      name: "cid",
      behaviour: { kind: "reject", status: 503 },
    });
    const silent = await startSippAgent({ dir: rig.dir, name: "dee", behaviour: { kind: "never-answer" } });
    const agents: Record<string, string> = {
      "1001": answering.uri(),
      "1002": busy.uri(),
      "1003": down.uri(),
      "1004": silent.uri(),
    };
    // A drachtio-srf B2BUA: the Request-URI user picks the agent; failures and CANCELs pass through.
    srf = new Srf();
    srf.invite((req, res) => {
      const target = agents[req.calledNumber];
      if (target === undefined) return void res.send(404);
      srf
        .createB2BUA(req, res, target, { localSdpB: req.body, passFailure: true })
        .then(({ uas, uac }) => {
          uas.on("destroy", () => uac.destroy());
          uac.on("destroy", () => uas.destroy());
        })
        .catch(() => {});
    });
    await srf.connect({ host: rig.drachtio.host, port: rig.drachtio.port, secret: rig.drachtio.secret });
    const target = { host: "127.0.0.1", port: rig.drachtio.sipPort };

    const ok = await runSippCallers({
      dir: rig.dir,
      name: "to-ann",
      target,
      service: "1001",
      plan: { holdMs: 500 },
      calls: 3,
      rate: 3,
    });
    const r486 = await runSippCallers({
      dir: rig.dir,
      name: "to-bob",
      target,
      service: "1002",
      plan: { holdMs: 500 },
      calls: 2,
      rate: 2,
    });
    const r503 = await runSippCallers({
      dir: rig.dir,
      name: "to-cid",
      target,
      service: "1003",
      plan: { holdMs: 500 },
      calls: 1,
    });
    const cancel = await runSippCallers({
      dir: rig.dir,
      name: "to-dee",
      target,
      service: "1004",
      plan: { holdMs: 500, cancelAfterMs: 1_000 },
      calls: 2,
      rate: 2,
    });

    expect(ok.exitCode).toBe(0);
    expect(ok.stats?.successful).toBe(3);
    expect([...ok.calls.values()].every((c) => c.some((e) => e.event === "answered"))).toBe(true);
    // A rejection is an expected outcome of the caller scenario (ACKed, logged as "final <code>").
    const finals = (r: typeof ok) =>
      [...r.calls.values()].map((c) => c.find((e) => e.event === "final")?.detail);
    expect(finals(r486)).toEqual(["486", "486"]);
    expect(finals(r503)).toEqual(["503"]);
    expect(readFileSync(join(r486.dir, "messages.log"), "utf8")).toMatch(/SIP\/2\.0 486 Busy Here/);
    expect(readFileSync(join(r503.dir, "messages.log"), "utf8")).toMatch(/SIP\/2\.0 503/);
    expect([...cancel.calls.values()].map((c) => c.find((e) => e.event === "final")?.detail)).toEqual([
      "487",
      "487",
    ]);

    const a = await answering.stop();
    const b = await busy.stop();
    const c = await down.stop();
    const d = await silent.stop();
    expect([...a.calls.values()].filter((c) => c.some((e) => e.event === "answered"))).toHaveLength(3);
    expect([...a.calls.values()].filter((c) => c.some((e) => e.event === "bye-received"))).toHaveLength(3);
    expect([...b.calls.values()].map((c) => c.find((e) => e.event === "rejected")?.detail)).toEqual([
      "486",
      "486",
    ]);
    expect([...c.calls.values()].map((c) => c.find((e) => e.event === "rejected")?.detail)).toEqual(["503"]);
    expect([...d.calls.values()].filter((c) => c.some((e) => e.event === "cancel"))).toHaveLength(2);
    // The caller's From reached the agent through the B2BUA.
    expect(a.events.find((e) => e.event === "invite")?.detail).toMatch(/from=.*\+1999000\d/);
  });

  it("sipp sends DTMF to FreeSWITCH as SIP INFO and as RFC 2833 events", async () => {
    const target = { host: "127.0.0.1", port: rig.freeswitch.sipPort };
    const info = await runSippCallers({
      dir: rig.dir,
      name: "dtmf-info",
      target,
      service: "rigdtmf",
      plan: { holdMs: 8_000, dtmf: [{ afterMs: 500, digits: "472", mode: "info" }] },
    });
    const rtp = await runSippCallers({
      dir: rig.dir,
      name: "dtmf-2833",
      target,
      service: "rigdtmf",
      plan: { holdMs: 8_000, dtmf: [{ afterMs: 500, digits: "95#", mode: "rfc2833" }] },
    });
    expect(info.exitCode).toBe(0);
    expect(rtp.exitCode).toBe(0);
    const log = await waitFor("both digit logs", () => {
      const text = readFileSync(rig.freeswitch.logFile, "utf8");
      return text.includes("RIG_DIGITS=472") && /RIG_DIGITS=95\b/.test(text) ? text : undefined;
    });
    expect(log).toContain("RIG_DIGITS=472");
  });

  it("baresip and FreeSWITCH exchange real audio, analysed by frequency both ways", async () => {
    const mic = await makeTone(join(rig.dir, "tone660.wav"), 660, 30);
    let phone: Phone | undefined;
    try {
      phone = await startPhone({ dir: rig.dir, name: "caller1", source: mic, answer: "manual" });
      // FreeSWITCH plays 2 s of 440 Hz then 2 s of 880 Hz and hangs up.
      await phone.dial(`sip:rigtones@127.0.0.1:${rig.freeswitch.sipPort}`);
      await phone.waitForEvent("CALL_ESTABLISHED");
      await phone.waitForEvent("CALL_CLOSED");
      const heard = analyse(phone.recordings().at(-1)!.heard);
      const tones = heard.filter((s) => s.hz !== null);
      expect(
        tones.map((s) => Math.round(s.hz! / 10) * 10),
        describeAudio(heard),
      ).toEqual([440, 880]);
      expect(tones[0]!.end - tones[0]!.start).toBeGreaterThan(1.5);
      expect(tones[1]!.end - tones[1]!.start).toBeGreaterThan(1.5);

      // The other way: FreeSWITCH records 3 s of what the phone sends.
      const closed = phone.events().length;
      await phone.dial(`sip:rigrecord@127.0.0.1:${rig.freeswitch.sipPort}`);
      await phone.waitForEvent("CALL_CLOSED", closed);
      const fsHeard = analyse(join(rig.dir, "fs-heard.wav"));
      expect(
        fsHeard.filter((s) => s.hz !== null).map((s) => Math.round(s.hz! / 10) * 10),
        describeAudio(fsHeard),
      ).toEqual([660]);
    } finally {
      await phone?.stop();
    }
  });
});
