// Real audio through the platform, analysed from baresip recordings by frequency: every phone plays its own
// tone as its microphone (caller 330 Hz, agents 660 / 880 Hz), hold music is 550 Hz and the whisper 1200 Hz,
// so what each party heard, and in which order, is read off the FFT of what its phone recorded. A greeting
// uploaded through the admin API (750 Hz) is played by FreeSWITCH from the gateway's copy of the stored bytes.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { start as startAdminApi } from "@switchyard/admin-api";
import { type AudioFile, AudioFile_Purpose, AudioServiceClient } from "@switchyard/admin-proto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defineConfig, flowOnNumber, hangup, signIn } from "../e2e/harness.js";
import { callFrom, type SipPlatform, startSipPlatform, terminalCall } from "./platform.js";
import {
  analyse,
  bandShares,
  describe as describeAudio,
  firstHeardAt,
  heard,
  makeTone,
  type Phone,
  readWav,
  skipSip,
  sleep,
  startPhone,
} from "./rig/index.js";

const skip = skipSip(["drachtio", "freeswitch", "baresip", "sox"]);

const CALLER_HZ = 330;
const AGENT_HZ = 660;
const SECOND_AGENT_HZ = 880;
const HOLD_HZ = 550;
const WHISPER_HZ = 1200;
const UPLOADED_HZ = 750;

describe.skipIf(skip)("real audio through drachtio-server and FreeSWITCH (baresip phones)", () => {
  let p: SipPlatform;
  let failed = false;
  const phones: Phone[] = [];
  const tones: Record<number, string> = {};

  beforeAll(async () => {
    p = await startSipPlatform({
      name: "audio",
      gateway: { transferTargets: { "21": { kind: "agent", agentId: "xfer_b" } } },
    });
    for (const hz of [CALLER_HZ, AGENT_HZ, SECOND_AGENT_HZ]) {
      tones[hz] = await makeTone(join(p.tel.dir, `tone${hz}.wav`), hz, 120);
    }
  });

  beforeEach((ctx) => {
    ctx.onTestFailed(() => {
      failed = true;
    });
  });

  afterAll(async () => {
    for (const phone of phones) await phone.stop().catch(() => undefined);
    await p?.close({ keep: failed });
  });

  async function phone(name: string, hz: number, answer: "auto" | "manual") {
    const ph = await startPhone({ dir: p.tel.dir, name, source: tones[hz]!, answer });
    phones.push(ph);
    return ph;
  }

  async function agent(agentId: string, ph: Phone) {
    await defineConfig(p.e2e, [
      { type: "DefineAgent", agentId, name: agentId, contact: { kind: "sip", uri: ph.uri }, wrapUpSec: 0 },
    ]);
  }

  it("caller hears hold music while the agent rings, then the agent; the agent hears the whisper first; the caller never hears it; the recording holds both parties", async () => {
    const caller = await phone("+15550001001", CALLER_HZ, "manual");
    const ann = await phone("ann", AGENT_HZ, "manual");
    await agent("audio_ann", ann);
    const flow = flowOnNumber("audio_flow", "c", {
      c: {
        kind: "connect",
        target: { kind: "agent", agentId: "audio_ann" },
        ringTimeoutSec: 30,
        holdMusic: { kind: "url", url: `tone_stream://%(1000,0,${HOLD_HZ});loops=-1` },
        whisper: { kind: "url", url: `tone_stream://%(1500,0,${WHISPER_HZ})` },
        record: "on",
        branches: { fallback: "bye" },
      },
      bye: hangup,
    });
    await defineConfig(p.e2e, flow.commands);
    await signIn(p.e2e, ["audio_ann"]);

    await caller.dial(`sip:${flow.number}@${p.sip.host}:${p.sip.port}`);
    await ann.waitForEvent("CALL_INCOMING");
    // Let the agent's phone ring for a while: the caller is on hold music meanwhile.
    await sleep(3_000);
    await ann.accept();
    await ann.waitForEvent("CALL_ESTABLISHED");
    // Whisper (1.5 s) then the conversation.
    await sleep(5_000);
    await caller.hangup();
    await caller.waitForEvent("CALL_CLOSED");
    await ann.waitForEvent("CALL_CLOSED");

    const callId = await callFrom(p, "+15550001001");
    const call = await terminalCall(p, callId);
    expect(call.types).toContain("LegsBridged");

    const callerHeard = analyse(caller.recordings().at(-1)!.heard);
    const agentHeard = analyse(ann.recordings().at(-1)!.heard);
    const report = `caller heard: ${describeAudio(callerHeard)}\nagent heard: ${describeAudio(agentHeard)}`;
    console.log(report);
    expect(heard(callerHeard, HOLD_HZ, { minSec: 1.5 }), report).toBe(true);
    expect(heard(callerHeard, AGENT_HZ, { minSec: 1.5 }), report).toBe(true);
    expect(firstHeardAt(callerHeard, HOLD_HZ)!, report).toBeLessThan(firstHeardAt(callerHeard, AGENT_HZ)!);
    expect(heard(callerHeard, WHISPER_HZ, { minSec: 0.1 }), report).toBe(false);
    expect(heard(agentHeard, WHISPER_HZ, { minSec: 1 }), report).toBe(true);
    expect(heard(agentHeard, CALLER_HZ, { minSec: 1.5 }), report).toBe(true);
    expect(firstHeardAt(agentHeard, WHISPER_HZ)!, report).toBeLessThan(firstHeardAt(agentHeard, CALLER_HZ)!);

    // The recording: one file of the call's segment, with both parties' tones in the same windows.
    const recordingId = call.of("RecordingStarted")[0]?.recordingId;
    expect(recordingId).toBeDefined();
    const dir = join(p.mediaDir, "recordings");
    // The driver names the file after the recording id, unsafe characters (":") replaced.
    const safe = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, "_");
    const file = readdirSync(dir).find((f) => safe(f).startsWith(safe(recordingId!)));
    expect(file, `recordings: ${readdirSync(dir).join(", ")}`).toBeDefined();
    const windows = bandShares(readWav(join(dir, file!)), [CALLER_HZ, AGENT_HZ]);
    const both = windows.filter((w) => w.shares[0]! > 0.1 && w.shares[1]! > 0.1);
    console.log(`recording ${file}: ${windows.length} windows of 0.25 s, ${both.length} with both parties`);
    expect(both.length).toBeGreaterThanOrEqual(8);
  });

  it("warm transfer started by the agent's DTMF: the agent consults a second agent, completes, the caller talks to the second agent", async () => {
    const caller = await phone("+15550001002", CALLER_HZ, "manual");
    const a = await phone("xa", AGENT_HZ, "auto");
    const b = await phone("xb", SECOND_AGENT_HZ, "auto");
    await agent("xfer_a", a);
    await agent("xfer_b", b);
    const flow = flowOnNumber("xfer_flow", "c", {
      c: {
        kind: "connect",
        target: { kind: "agent", agentId: "xfer_a" },
        ringTimeoutSec: 20,
        record: "off",
        branches: { fallback: "bye" },
      },
      bye: hangup,
    });
    await defineConfig(p.e2e, flow.commands);
    await signIn(p.e2e, ["xfer_a", "xfer_b"]);

    await caller.dial(`sip:${flow.number}@${p.sip.host}:${p.sip.port}`);
    await a.waitForEvent("CALL_ESTABLISHED");
    await sleep(2_500);
    // *2 <target> # starts a warm transfer (RFC 2833 from the agent's phone); "21" is the short code for xfer_b.
    await a.sendDtmf("*221#");
    await b.waitForEvent("CALL_ESTABLISHED");
    await sleep(2_500);
    await a.sendDtmf("*3");
    await a.waitForEvent("CALL_CLOSED");
    await sleep(3_000);
    await caller.hangup();
    await caller.waitForEvent("CALL_CLOSED");
    await b.waitForEvent("CALL_CLOSED");

    const callId = await callFrom(p, "+15550001002");
    const call = await terminalCall(p, callId);
    expect(call.types).toContain("TransferRequested");
    expect(call.types).toContain("TransferCompleted");
    const bLeg = call.of("LegOriginateRequested").find((l) => l.agentId === "xfer_b")?.legId;
    expect(bLeg).toBeDefined();
    expect(call.of("LegsBridged").at(-1)?.legIds).toEqual(
      expect.arrayContaining([call.state.callerLegId, bLeg]),
    );

    const callerHeard = analyse(caller.recordings().at(-1)!.heard);
    const bHeard = analyse(b.recordings().at(-1)!.heard);
    const report = `caller heard: ${describeAudio(callerHeard)}\nsecond agent heard: ${describeAudio(bHeard)}`;
    console.log(report);
    expect(heard(callerHeard, AGENT_HZ, { minSec: 1.5 }), report).toBe(true);
    expect(heard(callerHeard, SECOND_AGENT_HZ, { minSec: 1.5 }), report).toBe(true);
    expect(firstHeardAt(callerHeard, AGENT_HZ)!, report).toBeLessThan(
      firstHeardAt(callerHeard, SECOND_AGENT_HZ)!,
    );
    const lastTone = callerHeard.filter((s) => s.hz !== null).at(-1);
    expect(Math.abs(lastTone!.hz! - SECOND_AGENT_HZ), report).toBeLessThan(15);
    // The second agent heard the first agent (consultation), then the caller.
    expect(firstHeardAt(bHeard, AGENT_HZ)!, report).toBeLessThan(firstHeardAt(bHeard, CALLER_HZ)!);
  });

  it("a greeting uploaded through the admin API is what FreeSWITCH plays to the caller", async () => {
    const tone = await makeTone(join(p.tel.dir, `uploaded${UPLOADED_HZ}.wav`), UPLOADED_HZ, 3);
    const api = await startAdminApi({
      eventStore: p.e2e.eventStore,
      bus: await p.e2e.buses.busOf("admin-api"),
      authenticate: () => ({ actor: "sip-test", role: "admin" }),
    });
    const audio = new AudioServiceClient(api.target, credentials.createInsecure());
    try {
      const uploaded = await new Promise<AudioFile>((resolve, reject) => {
        const stream = audio.uploadAudio(new Metadata(), (e: ServiceError | null, f?: AudioFile) =>
          e || !f ? reject(e ?? new Error("no answer")) : resolve(f),
        );
        stream.write({
          metadata: {
            audioId: "sip_hello",
            displayName: "Hello",
            purpose: AudioFile_Purpose.PURPOSE_GREETING,
          },
        });
        const bytes = readFileSync(tone);
        for (let at = 0; at < bytes.length; at += 16 * 1024)
          stream.write({ chunk: bytes.subarray(at, at + 16 * 1024) });
        stream.end();
      });
      expect(uploaded.name).toBe("audio/sip_hello");
    } finally {
      audio.close();
      await api[Symbol.asyncDispose]();
    }
    const flow = flowOnNumber("uploaded_flow", "hello", {
      hello: { kind: "greeting", audio: { kind: "stored", audioId: "sip_hello" }, next: "bye" },
      bye: hangup,
    });
    await defineConfig(p.e2e, flow.commands);

    const caller = await phone("+15550001003", CALLER_HZ, "manual");
    await caller.dial(`sip:${flow.number}@${p.sip.host}:${p.sip.port}`);
    // The flow hangs up once the greeting has played.
    await caller.waitForEvent("CALL_CLOSED");
    const call = await terminalCall(p, await callFrom(p, "+15550001003"));
    expect(call.types).toContain("CallEnded");

    const callerHeard = analyse(caller.recordings().at(-1)!.heard);
    const report = `caller heard: ${describeAudio(callerHeard)}`;
    console.log(report);
    expect(heard(callerHeard, UPLOADED_HZ, { minSec: 2 }), report).toBe(true);
  });
});
