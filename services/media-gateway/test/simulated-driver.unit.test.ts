import { type ManualClock, manualClock, seededRandom } from "@switchyard/clock";
import { describe, expect, it } from "vitest";
import type { DriverEvent } from "../src/driver.js";
import { SimulatedDriver } from "../src/simulated/simulated-driver.js";
import type { MediaLogEntry, PhoneScript } from "../src/simulation-controls.js";

const T0 = 1_000_000;

function setup(options: { graceSec?: number } = {}) {
  const clock: ManualClock = manualClock(T0);
  const driver = new SimulatedDriver({ clock, originateGraceSec: options.graceSec ?? 5 });
  const events: DriverEvent[] = [];
  driver.onEvent((e) => events.push(e));
  const seconds = (s: number) => clock.advance(s * 1000);
  /** Events as `type@secondsSinceStart` (plus the reason or digit) for compact assertions. */
  const timeline = (channelId?: string) =>
    events
      .filter((e) => channelId === undefined || e.channelId === channelId)
      .map((e) => {
        const extra = e.type === "ended" ? `:${e.reason}` : e.type === "dtmf" ? `:${e.digit}` : "";
        return `${e.type}${extra}@${(e.at - T0) / 1000}`;
      });
  return { clock, driver, events, seconds, timeline };
}

const kinds = (log: MediaLogEntry[]) => log.map((e) => e.kind);
const phone = (number: string) => ({ kind: "phone" as const, number });

async function originate(driver: SimulatedDriver, legId: string, to: string, timeoutSec = 30) {
  await driver.originate({ channelId: legId, to: phone(to), callerId: "+15550000001", timeoutSec });
}

describe("simulated driver: called phones", () => {
  it("answers after the scripted delay, ringing first", async () => {
    const { driver, seconds, timeline } = setup();
    driver.setPhone("+1555", { kind: "answer", afterSec: 4 });
    await originate(driver, "leg-1", "+1555");
    await seconds(3.9);
    expect(timeline()).toEqual(["ringing@0.1"]);
    await seconds(0.1);
    expect(timeline()).toEqual(["ringing@0.1", "answered@4"]);
    expect(driver.channel("leg-1")?.status).toBe("answered");
  });

  it("a busy phone ends busy at once, without ringing", async () => {
    const { driver, seconds, timeline } = setup();
    driver.setPhone("+1555", { kind: "busy" });
    await originate(driver, "leg-1", "+1555");
    await seconds(0);
    expect(timeline()).toEqual(["ended:busy@0"]);
  });

  it("a never-answering phone ends noAnswer only when the originate timeout (plus grace) passes", async () => {
    const { driver, seconds, timeline } = setup({ graceSec: 5 });
    driver.setPhone("+1555", { kind: "noAnswer" });
    await originate(driver, "leg-1", "+1555", 20);
    await seconds(24.9);
    expect(timeline()).toEqual(["ringing@0.1"]);
    await seconds(0.1);
    expect(timeline()).toEqual(["ringing@0.1", "ended:noAnswer@25"]);
  });

  it("an answer scripted later than the originate timeout never happens", async () => {
    const { driver, seconds, timeline } = setup({ graceSec: 0 });
    driver.setPhone("+1555", { kind: "answer", afterSec: 40 });
    await originate(driver, "leg-1", "+1555", 30);
    await seconds(60);
    expect(timeline()).toEqual(["ringing@0.1", "ended:noAnswer@30"]);
  });

  it("a rejecting phone rings, then ends busy (603 Decline)", async () => {
    const { driver, events, seconds, timeline } = setup();
    driver.setPhone("+1555", { kind: "reject", afterSec: 2 });
    await originate(driver, "leg-1", "+1555");
    await seconds(5);
    expect(timeline()).toEqual(["ringing@0.1", "ended:busy@2"]);
    expect(events.at(-1)).toMatchObject({ detail: "603 Decline" });
  });

  it("a failing phone ends failed; an unscripted destination fails too", async () => {
    const { driver, seconds, timeline } = setup();
    driver.setPhone("sip:broken@example.com", { kind: "fail", afterSec: 1 });
    await driver.originate({
      channelId: "leg-1",
      to: { kind: "sip", uri: "sip:broken@example.com" },
      callerId: "+1",
      timeoutSec: 30,
    });
    await originate(driver, "leg-2", "+1999");
    await seconds(2);
    expect(timeline("leg-1")).toEqual(["ended:failed@1"]);
    expect(timeline("leg-2")).toEqual(["ended:failed@0"]);
  });

  it("cancel ends a ringing leg with cancelled and stops its later script", async () => {
    const { driver, seconds, timeline } = setup();
    driver.setPhone("+1555", { kind: "answer", afterSec: 10 });
    await originate(driver, "leg-1", "+1555");
    await seconds(3);
    await driver.cancel("leg-1", "ringTimeout");
    await seconds(60);
    expect(timeline()).toEqual(["ringing@0.1", "ended:cancelled@3"]);
    // A redelivered cancel is harmless.
    await driver.cancel("leg-1", "ringTimeout");
    expect(timeline()).toHaveLength(2);
    expect(driver.mediaLog("leg-1").at(-1)).toMatchObject({ kind: "ignored" });
  });

  it("hangs up by itself after the scripted time after answering", async () => {
    const { driver, seconds, timeline } = setup();
    driver.setPhone("+1555", { kind: "answer", afterSec: 1, hangUpAfterAnswerSec: 5 });
    await originate(driver, "leg-1", "+1555");
    await seconds(10);
    expect(timeline()).toEqual(["ringing@0.1", "answered@1", "ended:hungUp@6"]);
  });

  it("presses digits at offsets after answering, one digit every 0.3 s", async () => {
    const { driver, seconds, timeline } = setup();
    driver.setPhone("+1555", { kind: "answer", afterSec: 1, dtmf: [{ digits: "12", afterSec: 2 }] });
    await originate(driver, "leg-1", "+1555");
    await seconds(5);
    expect(timeline()).toEqual(["ringing@0.1", "answered@1", "dtmf:1@3", "dtmf:2@3.3"]);
  });

  it("re-scripts per call: a queue of behaviours, the last one repeating", async () => {
    const { driver, seconds, timeline } = setup();
    driver.setPhone("+1555", [{ kind: "busy" }, { kind: "answer", afterSec: 1 }]);
    await originate(driver, "a", "+1555");
    await originate(driver, "b", "+1555");
    await originate(driver, "c", "+1555");
    await seconds(2);
    expect(timeline("a")).toEqual(["ended:busy@0"]);
    expect(timeline("b")).toEqual(["ringing@0.1", "answered@1"]);
    expect(timeline("c")).toEqual(["ringing@0.1", "answered@1"]);
    expect(driver.attemptsOf("+1555")).toBe(3);
  });

  it("re-scripts per call: a function of the attempt drawing from the seeded rng (reproducible)", async () => {
    const script: PhoneScript = ({ rng, attempt }) =>
      attempt === 1 ? { kind: "noAnswer" } : rng() < 0.5 ? { kind: "busy" } : { kind: "answer", afterSec: 1 };
    const run = async () => {
      const clock = manualClock(T0);
      const driver = new SimulatedDriver({ clock, rng: seededRandom("agents") });
      const ends: string[] = [];
      driver.onEvent((e) => {
        if (e.type === "ended" || e.type === "answered") ends.push(`${e.channelId}:${e.type}`);
      });
      driver.setPhone("+1555", script);
      for (let i = 0; i < 20; i++) await originate(driver, `leg-${i}`, "+1555", 5);
      await clock.advance(60_000);
      return ends;
    };
    const first = await run();
    expect(first).toEqual(await run());
    expect(first).toContain("leg-0:ended");
    expect(first.some((e) => e.endsWith(":answered"))).toBe(true);
    expect(first.filter((e) => e !== "leg-0:ended").some((e) => e.endsWith(":ended"))).toBe(true);
  });

  it("ignores a second originate for the same leg", async () => {
    const { driver, seconds, timeline } = setup();
    driver.setPhone("+1555", { kind: "answer", afterSec: 1 });
    await originate(driver, "leg-1", "+1555");
    await originate(driver, "leg-1", "+1555");
    await seconds(2);
    expect(timeline()).toEqual(["ringing@0.1", "answered@1"]);
    expect(driver.attemptsOf("+1555")).toBe(1);
  });
});

describe("simulated driver: inbound callers", () => {
  it("reports the inbound call at once, and presses scripted digits after N seconds", async () => {
    const { driver, seconds, timeline } = setup();
    const ch = driver.placeInboundCall({ from: "+4411", to: "+1800", dtmf: [{ digits: "2", afterSec: 4 }] });
    expect(timeline()).toEqual(["inboundCall@0"]);
    await seconds(5);
    expect(timeline(ch)).toEqual(["inboundCall@0", "dtmf:2@4"]);
  });

  it("presses digits when prompted: after the next prompt finished, not after position announcements", async () => {
    const { driver, seconds, timeline } = setup();
    const ch = driver.placeInboundCall({
      from: "+4411",
      to: "+1800",
      dtmf: [{ digits: "3", whenPrompted: true, afterSec: 1 }],
    });
    await driver.announcePosition(ch, "pos-1", 2);
    await seconds(5);
    expect(timeline(ch)).toEqual(["inboundCall@0", "playbackFinished@3"]);
    await driver.play(ch, "menu-1", { kind: "tts", text: "Press 1 for sales, 2 for support, 3 for billing" });
    await seconds(10);
    // Started at 5 s; 10 words → 4 s of prompt, then 1 s to press.
    expect(timeline(ch)).toEqual(["inboundCall@0", "playbackFinished@3", "playbackFinished@9", "dtmf:3@10"]);
  });

  it("stopPlayback cuts a prompt short: logged as stopped, never reported finished, digits not consumed", async () => {
    const { driver, seconds, timeline } = setup();
    const ch = driver.placeInboundCall({
      from: "+4411",
      to: "+1800",
      dtmf: [{ digits: "1", whenPrompted: true, afterSec: 1 }],
    });
    // 10 words: 4 s of prompt.
    await driver.play(ch, "menu-1", { kind: "tts", text: "Press 1 for sales, 2 for support, 3 for billing" });
    await seconds(1);
    await driver.stopPlayback(ch, "menu-1");
    await driver.play(ch, "next-1", { kind: "tts", text: "Sales is closed" });
    await seconds(10);
    // Only the second playback finished (1.2 s → at least 1.2 s after 1 s), then the prompted digit.
    expect(timeline(ch)).toEqual(["inboundCall@0", "playbackFinished@2.2", "dtmf:1@3.2"]);
    const log = driver
      .mediaLog(ch)
      .filter((e) => e.kind.startsWith("playback"))
      .map((e) => [e.kind, e.playbackId, (e.at - T0) / 1000]);
    expect(log).toEqual([
      ["playbackStarted", "menu-1", 0],
      ["playbackStopped", "menu-1", 1],
      ["playbackStarted", "next-1", 1],
      ["playbackFinished", "next-1", 2.2],
    ]);
    expect(driver.mediaLog(ch).find((e) => e.kind === "playbackStopped")?.reason).toBe("stopped");
  });

  it("stopPlayback of a finished, unknown or ended playback does nothing", async () => {
    const { driver, seconds, timeline } = setup();
    const ch = driver.placeInboundCall({ from: "+4411", to: "+1800" });
    await driver.play(ch, "p-1", { kind: "defaultTone" });
    await seconds(3);
    await driver.stopPlayback(ch, "p-1");
    await driver.stopPlayback(ch, "nope");
    expect(kinds(driver.mediaLog(ch)).filter((k) => k.startsWith("playback"))).toEqual([
      "playbackStarted",
      "playbackFinished",
    ]);
    await driver.hangup(ch, "done");
    await driver.stopPlayback(ch, "p-1");
    expect(kinds(driver.mediaLog(ch)).at(-1)).toBe("ignored");
    expect(timeline(ch)).toEqual(["inboundCall@0", "playbackFinished@2", "ended:hungUp@3"]);
  });

  it("abandons after its patience when not bridged to anyone", async () => {
    const { driver, seconds, timeline } = setup();
    const ch = driver.placeInboundCall({ from: "+4411", to: "+1800", patienceSec: 30 });
    await driver.startHoldMusic(ch, { kind: "defaultTone" });
    await seconds(40);
    expect(timeline(ch)).toEqual(["inboundCall@0", "ended:hungUp@30"]);
    expect(kinds(driver.mediaLog(ch))).toEqual(["inbound", "holdMusicStarted", "holdMusicStopped", "ended"]);
  });

  it("once bridged, patience no longer applies; hangs up after its talk time", async () => {
    const { driver, seconds, timeline } = setup();
    driver.setPhone("+1555", { kind: "answer", afterSec: 5 });
    const ch = driver.placeInboundCall({ from: "+4411", to: "+1800", patienceSec: 30, talkSec: 60 });
    await originate(driver, "agent-leg", "+1555");
    await seconds(20);
    await driver.bridge(ch, "agent-leg");
    await seconds(100);
    expect(timeline(ch)).toEqual(["inboundCall@0", "ended:hungUp@80"]);
    // The agent's leg is not ended by the caller's hang-up: the router decides that.
    expect(timeline("agent-leg")).toEqual(["ringing@0.1", "answered@5"]);
    expect(driver.channel("agent-leg")).toMatchObject({ status: "answered" });
    expect(driver.channel("agent-leg")?.bridgedTo).toBeUndefined();
    expect(kinds(driver.mediaLog("agent-leg")).slice(-2)).toEqual(["bridged", "unbridged"]);
  });

  it("an agent phone with talk time hangs up after being bridged that long", async () => {
    const { driver, seconds, timeline } = setup();
    driver.setPhone("+1555", { kind: "answer", afterSec: 1, talkSec: 30 });
    const ch = driver.placeInboundCall({ from: "+4411", to: "+1800" });
    await originate(driver, "agent-leg", "+1555");
    await seconds(10);
    await driver.bridge(ch, "agent-leg");
    await seconds(60);
    expect(timeline("agent-leg")).toEqual(["ringing@0.1", "answered@1", "ended:hungUp@40"]);
    expect(driver.channel(ch)).toMatchObject({ status: "answered" });
    expect(driver.mediaLog(ch).at(-1)).toMatchObject({
      kind: "unbridged",
      peer: "agent-leg",
      reason: "ended",
    });
  });

  it("the agent who answers transfers the caller as scripted (warm: completes after the consult); the caller's talk restarts when put through", async () => {
    const { driver, events, seconds, timeline } = setup();
    driver.setPhone("+1555", { kind: "answer", afterSec: 1 });
    driver.setPhone("+1666", { kind: "answer", afterSec: 2 });
    const caller = driver.placeInboundCall({
      from: "+4411",
      to: "+1800",
      talkSec: 200,
      talkAfterTransferSec: 60,
      agentTransfer: { afterSec: 30, mode: "warm", target: "group:sales", consultSec: 5 },
    });
    await originate(driver, "a", "+1555");
    await seconds(10);
    await driver.bridge(caller, "a");
    await seconds(30);
    const transfers = () => events.filter((e) => e.type === "agentTransfer");
    expect(transfers()).toEqual([
      {
        type: "agentTransfer",
        channelId: "a",
        action: "start",
        mode: "warm",
        target: "group:sales",
        at: T0 + 40_000,
      },
    ]);
    // The router's part: the caller on hold, the target rung and bridged to the agent for the consult.
    await driver.unbridge(caller, "a");
    await originate(driver, "b", "+1666");
    await seconds(2);
    await driver.bridge("a", "b");
    await seconds(5);
    expect(transfers().at(-1)).toEqual({
      type: "agentTransfer",
      channelId: "a",
      action: "complete",
      at: T0 + 47_000,
    });
    await driver.hangup("a", "transferCompleted");
    await driver.bridge(caller, "b");
    await seconds(200);
    // 60 s after being put through to b, not 200 s after the first answer.
    expect(timeline(caller)).toEqual(["inboundCall@0", "ended:hungUp@107"]);
  });

  it("a transfer that cannot start leaves the caller's first talk time; only the first agent transfers", async () => {
    const { driver, events, seconds, timeline } = setup();
    driver.setPhone("+1555", { kind: "answer", afterSec: 1 });
    const caller = driver.placeInboundCall({
      from: "+4411",
      to: "+1800",
      talkSec: 50,
      talkAfterTransferSec: 60,
      agentTransfer: { afterSec: 20, mode: "blind", target: "+4477" },
    });
    await originate(driver, "a", "+1555");
    await seconds(10);
    await driver.bridge(caller, "a");
    await seconds(20);
    expect(events.filter((e) => e.type === "agentTransfer")).toMatchObject([
      { channelId: "a", mode: "blind" },
    ]);
    // Nobody to transfer to: the router leaves the caller with the agent, who talks on.
    await seconds(60);
    expect(timeline(caller)).toEqual(["inboundCall@0", "ended:hungUp@60"]);
    expect(events.filter((e) => e.type === "agentTransfer")).toHaveLength(1);
  });

  it("hangs up unconditionally after hangUpAfterSec, even mid-greeting", async () => {
    const { driver, seconds, timeline } = setup();
    const ch = driver.placeInboundCall({ from: "+4411", to: "+1800", hangUpAfterSec: 1 });
    await driver.play(ch, "greet", { kind: "url", url: "https://example.com/hello.wav" });
    await seconds(5);
    expect(timeline(ch)).toEqual(["inboundCall@0", "ended:hungUp@1"]);
    expect(kinds(driver.mediaLog(ch))).toEqual(["inbound", "playbackStarted", "playbackStopped", "ended"]);
  });

  it("leaves a voicemail: recording finished before the caller's hang-up", async () => {
    const { driver, seconds, timeline } = setup();
    const ch = driver.placeInboundCall({ from: "+4411", to: "+1800", patienceSec: 5, voicemailSec: 20 });
    await seconds(2);
    await driver.recordVoicemail("vm-1", ch, 120);
    await seconds(60);
    expect(timeline(ch)).toEqual(["inboundCall@0", "recordingFinished@22", "ended:hungUp@22"]);
  });

  it("a voicemail stops at its maximum length; the caller stays", async () => {
    const { driver, seconds, timeline } = setup();
    const ch = driver.placeInboundCall({ from: "+4411", to: "+1800" });
    await driver.recordVoicemail("vm-1", ch, 30);
    await seconds(60);
    expect(timeline(ch)).toEqual(["inboundCall@0", "recordingFinished@30"]);
    expect(driver.channel(ch)?.status).toBe("answered");
  });

  it("hangup by the gateway ends an answered leg hungUp and an unanswered one cancelled", async () => {
    const { driver, seconds, timeline } = setup();
    driver.setPhone("+1555", { kind: "noAnswer" });
    const ch = driver.placeInboundCall({ from: "+4411", to: "+1800" });
    await originate(driver, "ringing-leg", "+1555");
    await seconds(1);
    await driver.hangup(ch, "flowEnded");
    await driver.hangup("ringing-leg", "callEnded");
    expect(timeline(ch)).toEqual(["inboundCall@0", "ended:hungUp@1"]);
    expect(timeline("ringing-leg")).toEqual(["ringing@0.1", "ended:cancelled@1"]);
  });
});

describe("simulated driver: media log", () => {
  it("the agent hears the whisper before the bridge; the caller hears hold music and never the whisper", async () => {
    const { driver, seconds } = setup();
    driver.setPhone("+1555", { kind: "answer", afterSec: 3 });
    const caller = driver.placeInboundCall({ from: "+4411", to: "+1800" });
    await driver.startHoldMusic(caller, { kind: "defaultTone" });
    await originate(driver, "agent", "+1555");
    await seconds(3);
    const whisper = { kind: "tts" as const, text: "Incoming sales call" };
    await driver.play("agent", "whisper-1", whisper);
    await seconds(2);
    await driver.stopHoldMusic(caller);
    await driver.bridge(caller, "agent");
    await driver.startRecording("rec-1", [caller, "agent"]);

    const agentLog = driver.mediaLog("agent");
    expect(kinds(agentLog)).toEqual([
      "originated",
      "ringing",
      "answered",
      "playbackStarted",
      "playbackFinished",
      "bridged",
      "recordingStarted",
    ]);
    expect(agentLog[3]).toMatchObject({ audio: whisper, playbackId: "whisper-1", at: T0 + 3000 });
    expect(agentLog[5]).toMatchObject({ peer: caller, at: T0 + 5000 });
    const callerLog = driver.mediaLog(caller);
    expect(kinds(callerLog)).toEqual([
      "inbound",
      "holdMusicStarted",
      "holdMusicStopped",
      "bridged",
      "recordingStarted",
    ]);
    expect(callerLog.some((e) => e.playbackId === "whisper-1")).toBe(false);
    // Timestamps and the global sequence never go backwards.
    const all = driver.mediaLog();
    expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((a, b) => a - b));
    expect(all.every((e, i) => i === 0 || e.at >= all[i - 1]!.at)).toBe(true);
  });

  it("bridging stops hold music; a leg bridged elsewhere is unbridged first; ending stops recordings", async () => {
    const { driver, seconds } = setup();
    driver.setPhone("+1", { kind: "answer", afterSec: 1 });
    driver.setPhone("+2", { kind: "answer", afterSec: 1 });
    const caller = driver.placeInboundCall({ from: "+4411", to: "+1800" });
    await driver.startHoldMusic(caller, { kind: "url", url: "https://example.com/jazz.mp3" });
    await originate(driver, "a1", "+1");
    await originate(driver, "a2", "+2");
    await seconds(1);
    await driver.bridge(caller, "a1");
    await driver.startRecording("rec", [caller, "a1"]);
    await driver.bridge("a1", "a2"); // warm transfer consult: a1 leaves the caller
    await driver.hangup("a1", "transferCompleted");
    expect(kinds(driver.mediaLog(caller))).toEqual([
      "inbound",
      "holdMusicStarted",
      "holdMusicStopped",
      "bridged",
      "recordingStarted",
      "unbridged",
    ]);
    expect(kinds(driver.mediaLog("a1")).slice(3)).toEqual([
      "bridged",
      "recordingStarted",
      "unbridged",
      "bridged",
      "unbridged",
      "recordingStopped",
      "ended",
    ]);
    expect(driver.channel("a2")?.bridgedTo).toBeUndefined();
  });

  it("bridging a leg that has not answered is refused (logged, nothing bridged)", async () => {
    const { driver, seconds } = setup();
    driver.setPhone("+1", { kind: "noAnswer" });
    const caller = driver.placeInboundCall({ from: "+4411", to: "+1800" });
    await originate(driver, "a1", "+1");
    await seconds(1);
    await driver.bridge(caller, "a1");
    expect(driver.channel(caller)?.bridgedTo).toBeUndefined();
    expect(driver.mediaLog("a1").at(-1)).toMatchObject({ kind: "ignored", detail: "bridge: not answered" });
  });

  it("close stops every timer: no facts afterwards", async () => {
    const { driver, seconds, events } = setup();
    driver.setPhone("+1", { kind: "answer", afterSec: 1 });
    await originate(driver, "a1", "+1");
    await driver.close();
    await seconds(10);
    expect(events).toEqual([]);
  });
});
