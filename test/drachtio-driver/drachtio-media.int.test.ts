// The drachtio driver's media on real FreeSWITCH, heard by phones that are FreeSWITCH channels themselves (a
// caller that sends 330 Hz and records what it hears, an agent that rings 1 s, answers, sends 660 Hz and
// records what it hears): hold music to the caller while the agent rings, the whisper to the agent only and
// before the bridge, the bridge both ways, a stereo recording of both parties, IVR prompt (TTS) cut short by
// the caller's DTMF (barge-in), voicemail. Frequencies by FFT (the rig's audio analysis).
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { scaledClock } from "@switchyard/clock";
import { DrachtioDriver, type DriverEvent } from "@switchyard/media-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  analyse,
  describe as describeAudio,
  driverEndpoints,
  firstHeardAt,
  freePort,
  heard,
  makeTone,
  runDir,
  skipSip,
  sleep,
  startTelephony,
  type Telephony,
  waitFor,
} from "../sip/rig/index.js";

const run = promisify(execFile);
const skip = skipSip(["drachtio", "freeswitch", "sox"]);

const HOLD = 440;
const CALLER = 330;
const AGENT = 660;
const WHISPER = 1000;

describe.skipIf(skip)("drachtio driver media on real FreeSWITCH", () => {
  let tel: Telephony;
  let driver: DrachtioDriver;
  let rec: string;
  let http: Server;
  let httpPort: number;
  let httpGets = 0;
  const events: DriverEvent[] = [];
  const until = (what: string, check: () => boolean) =>
    waitFor(what, () => (check() ? true : undefined), { tries: 300, everyMs: 100 });

  beforeAll(async () => {
    const dir = runDir("media");
    rec = join(dir, "recordings");
    // Phones as dialplan extensions, placed before the shipped ones.
    const dialplan = `
    <extension name="agent"><condition field="destination_number" expression="^agent-(.+)$">
      <action application="ring_ready"/>
      <action application="sleep" data="1000"/>
      <action application="answer"/>
      <action application="set" data="RECORD_READ_ONLY=true"/>
      <action application="record_session" data="${rec}/heard-agent-$1.wav"/>
      <action application="playback" data="tone_stream://%(60000,0,${AGENT})"/>
      <action application="hangup"/>
    </condition></extension>
    <extension name="caller"><condition field="destination_number" expression="^caller-(.+)$">
      <action application="set" data="RECORD_READ_ONLY=true"/>
      <action application="record_session" data="${rec}/heard-caller-$1.wav"/>
      <action application="playback" data="tone_stream://%(60000,0,${CALLER})"/>
      <action application="hangup"/>
    </condition></extension>`;
    tel = await startTelephony({ dir, dialplan });
    driver = new DrachtioDriver({
      clock: scaledClock({ speed: 1 }),
      ...driverEndpoints(tel),
      trunks: [{ name: "loopback", sources: ["127.0.0.0/8"] }],
      mediaDir: join(dir, "media"),
      // The "phones" here are FreeSWITCH extensions on a profile with enable-3pcc (drachtio-fsmrf needs it),
      // which answers a late-offer INVITE at once, without ringing: offer SDP in the agents' INVITEs.
      agentOffer: "early",
      log: () => {},
    });
    driver.onEvent((e) => events.push(e));
    await driver.start();
    // Announcements from a URL: a WAV served over HTTP (downloaded once by the driver; FreeSWITCH here has no
    // HTTP file module).
    const wav = await makeTone(join(dir, "announcement-550.wav"), 550, 1.5);
    httpPort = await freePort();
    http = createServer((_req, res) => {
      httpGets++;
      res.writeHead(200, { "content-type": "audio/wav" });
      res.end(readFileSync(wav));
    });
    await new Promise<void>((r) => http.listen(httpPort, "127.0.0.1", r));
  });

  afterAll(async () => {
    http?.close();
    await driver?.close();
    await tel?.stop();
  });

  /** A FreeSWITCH phone calls the platform's number through drachtio-server; resolves with the inbound channel. */
  async function callIn(name: string): Promise<{ channelId: string; phoneUuid: string }> {
    const before = events.length;
    const out = await tel.freeswitch.api(
      `originate {origination_caller_id_number=+442079460000,ignore_early_media=true}sofia/drachtio_mrf/sip:+18005550100@127.0.0.1:${tel.drachtio.sipPort} caller-${name} XML public`,
    );
    const phoneUuid = /\+OK ([0-9a-f-]+)/.exec(out)?.[1];
    if (!phoneUuid) throw new Error(`originate failed: ${out}`);
    await until("inbound call", () => events.slice(before).some((e) => e.type === "inboundCall"));
    const inbound = events.slice(before).find((e) => e.type === "inboundCall")!;
    return { channelId: inbound.channelId, phoneUuid };
  }

  const has = (
    type: DriverEvent["type"],
    channelId: string,
    extra: (e: DriverEvent) => boolean = () => true,
  ) => events.some((e) => e.type === type && e.channelId === channelId && extra(e));

  it("hold music while the agent rings, whisper to the agent only before the bridge, then both parties; stereo recording", async () => {
    const { channelId: caller } = await callIn("a");
    await driver.startHoldMusic(caller, { kind: "defaultTone" });
    const agent = "agent-leg-a";
    await driver.originate({
      channelId: agent,
      to: { kind: "sip", uri: `sip:agent-a@127.0.0.1:${tel.freeswitch.sipPort}` },
      callerId: "+442079460000",
      timeoutSec: 20,
    });
    await until("agent answered", () => has("answered", agent));
    expect(has("ringing", agent)).toBe(true);
    await driver.play(agent, "whisper-a", { kind: "url", url: `tone_stream://%(1500,0,${WHISPER})` });
    await until("whisper finished", () => has("playbackFinished", agent));
    await driver.startRecording("rec-a", [caller, agent]);
    await driver.bridge(caller, agent);
    await sleep(2500);
    await driver.stopRecording("rec-a");
    await driver.hangup(agent, "done");
    await driver.hangup(caller, "done");
    await sleep(500);

    const callerHeard = analyse(join(rec, "heard-caller-a.wav"));
    const agentHeard = analyse(join(rec, "heard-agent-a.wav"));
    // The caller: hold music (while the agent rang and during the whisper), then the agent; never the whisper.
    expect(heard(callerHeard, HOLD, { minSec: 1 }), describeAudio(callerHeard)).toBe(true);
    expect(heard(callerHeard, AGENT, { minSec: 1 }), describeAudio(callerHeard)).toBe(true);
    expect(heard(callerHeard, WHISPER), describeAudio(callerHeard)).toBe(false);
    expect(firstHeardAt(callerHeard, HOLD)!).toBeLessThan(firstHeardAt(callerHeard, AGENT)!);
    // The agent: the whisper first, then the caller.
    expect(heard(agentHeard, WHISPER, { minSec: 1 }), describeAudio(agentHeard)).toBe(true);
    expect(heard(agentHeard, CALLER, { minSec: 1 }), describeAudio(agentHeard)).toBe(true);
    expect(heard(agentHeard, HOLD), describeAudio(agentHeard)).toBe(false);
    expect(firstHeardAt(agentHeard, WHISPER)!).toBeLessThan(firstHeardAt(agentHeard, CALLER)!);
    // The conversation recording: the caller on the left, the agent on the right.
    const file = driver.recordingPath("rec-a");
    expect(existsSync(file)).toBe(true);
    const dir = join(tel.dir, "split");
    await run("mkdir", ["-p", dir]);
    await run("sox", [file, join(dir, "left.wav"), "remix", "1"]);
    await run("sox", [file, join(dir, "right.wav"), "remix", "2"]);
    const left = analyse(join(dir, "left.wav"));
    const right = analyse(join(dir, "right.wav"));
    expect(heard(left, CALLER, { minSec: 1.5 }), describeAudio(left)).toBe(true);
    expect(heard(right, AGENT, { minSec: 1.5 }), describeAudio(right)).toBe(true);
  });

  it("an IVR prompt (TTS by espeak-ng) is cut short by the caller's DTMF (RFC 2833) and never reports finished; a short prompt finishes", async () => {
    const { channelId: caller, phoneUuid } = await callIn("ivr");
    await driver.play(caller, "prompt-short", { kind: "url", url: "tone_stream://%(500,0,800)" });
    await until("short prompt finished", () =>
      has(
        "playbackFinished",
        caller,
        (e) => e.type === "playbackFinished" && e.playbackId === "prompt-short",
      ),
    );
    await driver.play(caller, "prompt-long", {
      kind: "tts",
      text: "Welcome to Switchyard. For sales press one. For support press two. For billing press three. To hear these options again, stay on the line.",
    });
    await sleep(1500);
    await tel.freeswitch.api(`uuid_send_dtmf ${phoneUuid} 2`);
    await until("dtmf", () => has("dtmf", caller, (e) => e.type === "dtmf" && e.digit === "2"));
    await driver.stopPlayback(caller, "prompt-long");
    await sleep(1500);
    expect(
      has("playbackFinished", caller, (e) => e.type === "playbackFinished" && e.playbackId === "prompt-long"),
    ).toBe(false);
    // The TTS prompt was rendered once, to the cache.
    await driver.hangup(caller, "done");
  });

  it("queue position announcement finishes; voicemail records the caller until the maximum length", async () => {
    const { channelId: caller } = await callIn("vm");
    await driver.startHoldMusic(caller, { kind: "defaultTone" });
    await driver.announcePosition(caller, "pos-1", 3);
    await until("position announced", () =>
      has("playbackFinished", caller, (e) => e.type === "playbackFinished" && e.playbackId === "pos-1"),
    );
    await driver.stopHoldMusic(caller);
    await driver.recordVoicemail("vm-1", caller, 2);
    await until("voicemail finished", () =>
      has("recordingFinished", caller, (e) => e.type === "recordingFinished" && e.recordingId === "vm-1"),
    );
    await driver.hangup(caller, "done");
    const vm = analyse(driver.recordingPath("vm-1", "voicemail"));
    expect(heard(vm, CALLER, { minSec: 1 }), describeAudio(vm)).toBe(true);
  });

  it("plays audio from an HTTP URL (downloaded once, cached) and answers a phone's re-INVITE (hold) from the endpoint", async () => {
    const { channelId: caller, phoneUuid } = await callIn("url");
    const url = `http://127.0.0.1:${httpPort}/prompts/announcement-550.wav`;
    await driver.play(caller, "url-1", { kind: "url", url });
    await until("url prompt 1", () =>
      has("playbackFinished", caller, (e) => e.type === "playbackFinished" && e.playbackId === "url-1"),
    );
    await driver.play(caller, "url-2", { kind: "url", url });
    await until("url prompt 2", () =>
      has("playbackFinished", caller, (e) => e.type === "playbackFinished" && e.playbackId === "url-2"),
    );
    expect(httpGets).toBe(1);
    // The caller's phone puts the call on hold and back (re-INVITEs with a=sendonly, then sendrecv).
    expect(await tel.freeswitch.api(`uuid_hold ${phoneUuid}`)).toContain("+OK");
    await sleep(500);
    expect(await tel.freeswitch.api(`uuid_hold off ${phoneUuid}`)).toContain("+OK");
    await sleep(500);
    expect(driver.channelExists(caller)).toBe(true);
    await driver.play(caller, "after-hold", { kind: "url", url: `tone_stream://%(1000,0,${WHISPER})` });
    await until("prompt after hold", () =>
      has("playbackFinished", caller, (e) => e.type === "playbackFinished" && e.playbackId === "after-hold"),
    );
    await driver.hangup(caller, "done");
    await sleep(300);
    const callerHeard = analyse(join(rec, "heard-caller-url.wav"));
    expect(heard(callerHeard, 550, { minSec: 2 }), describeAudio(callerHeard)).toBe(true);
    // Media flows again after the phone resumed the call.
    expect(heard(callerHeard, WHISPER, { minSec: 0.5 }), describeAudio(callerHeard)).toBe(true);
  });
});
