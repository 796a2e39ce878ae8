// The IVR menu's retries (no input, invalid digit, a valid digit on the retry), the Voicemail applet (greeting,
// recording on the caller leg with its maximum length, the end after RecordingFinished) and the Greeting's TTS
// on the caller leg — simulated phones, real NATS and PostgreSQL, every call's stream checked.
import type { Applet } from "@switchyard/routing-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defineAgents,
  defineConfig,
  type E2EPlatform,
  endedCall,
  eventually,
  flowOnNumber,
  placeCall,
  say,
  signIn,
  startE2E,
  streamOf,
} from "./harness.js";

let p: E2EPlatform;
const CALLER = "+14155559005";

beforeAll(async () => {
  p = await startE2E();
});

afterAll(async () => {
  await p?.close();
});

// Eight words: the simulated driver plays it for 3.2 platform seconds.
const PROMPT = { kind: "tts", text: "Press one for sales or two for support" } as const;

describe("IVR menu", () => {
  let number: string;
  let agentId: string;

  beforeAll(async () => {
    const { commands, agents } = defineAgents(["ivr_support"]);
    agentId = "ivr_support";
    const ivr: Applet = {
      kind: "ivrMenu",
      prompt: PROMPT,
      branches: { "1": "sales", "2": "support" },
      timeoutSec: 5,
      retries: 1,
      timeoutBranch: "noInput",
      invalidBranch: "invalid",
    };
    const flow = flowOnNumber("ivr_retries", "ivr", {
      ivr,
      sales: say("Sales is closed"),
      support: { kind: "connect", target: { kind: "agent", agentId }, branches: { fallback: "invalid" } },
      noInput: say("We did not hear a choice"),
      invalid: say("That is not a valid choice"),
    });
    number = flow.number;
    await defineConfig(p, [...commands, ...flow.commands]);
    await signIn(p, [agentId]);
    p.driver.setPhone(agents[agentId]!.number, { kind: "answer", afterSec: 1, talkSec: 2 });
  });

  const promptsIn = (log: ReturnType<E2EPlatform["gateway"]["mediaLog"]>) =>
    log.filter(
      (e) => e.kind === "playbackStarted" && e.audio?.kind === "tts" && e.audio.text === PROMPT.text,
    );

  it("no input: the prompt is replayed after the timeout, then the timeout branch", async () => {
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: number }));
    expect(call.of("IvrInputRejected")).toEqual([
      { appletId: "ivr", reason: "timeout", attempt: 1, willRetry: true },
      { appletId: "ivr", reason: "timeout", attempt: 2, willRetry: false },
    ]);
    expect(call.of("AppletEntered").map((a) => a.appletId)).toEqual(["ivr", "noInput"]);
    expect(call.types).not.toContain("IvrBranchChosen");
    // Each timeout runs from the end of its prompt: prompt, timer, timeout, rejection, prompt again, ...
    const flowOf = call.types.filter((t) =>
      ["PlaybackStarted", "TimerScheduled", "TimerElapsed", "IvrInputRejected", "AppletEntered"].includes(t),
    );
    expect(flowOf).toEqual([
      "AppletEntered",
      "PlaybackStarted",
      "TimerScheduled",
      "TimerElapsed",
      "IvrInputRejected",
      "PlaybackStarted",
      "TimerScheduled",
      "TimerElapsed",
      "IvrInputRejected",
      "AppletEntered",
      "PlaybackStarted",
    ]);
    expect(call.of("TimerElapsed").map((t) => t.kind)).toEqual(["ivrTimeout", "ivrTimeout"]);
    expect(call.of("PlaybackStarted").map((b) => b.purpose)).toEqual(["ivrPrompt", "ivrPrompt", "greeting"]);
    const callerLog = p.gateway.mediaLog(call.state.callerLegId);
    expect(promptsIn(callerLog)).toHaveLength(2);
    expect(
      callerLog.some(
        (e) =>
          e.kind === "playbackStarted" &&
          e.audio?.kind === "tts" &&
          e.audio.text === "We did not hear a choice",
      ),
    ).toBe(true);
    expect(call.of("CallEnded")[0]?.reason).toBe("flowEnded");
  });

  it("an invalid digit is rejected and the prompt replayed; a second one takes the invalid branch", async () => {
    const call = await endedCall(
      p,
      await placeCall(p, {
        from: CALLER,
        to: number,
        dtmf: [
          { digits: "9", whenPrompted: true },
          { digits: "7", whenPrompted: true },
        ],
      }),
    );
    expect(call.of("IvrInputRejected")).toEqual([
      { appletId: "ivr", reason: "invalidDigit", digit: "9", attempt: 1, willRetry: true },
      { appletId: "ivr", reason: "invalidDigit", digit: "7", attempt: 2, willRetry: false },
    ]);
    expect(call.of("AppletEntered").map((a) => a.appletId)).toEqual(["ivr", "invalid"]);
    // The digit came before the timeout: no timer elapsed, each one was cancelled by the digit.
    expect(call.types).not.toContain("TimerElapsed");
    expect(call.of("TimerCancelled")).toHaveLength(2);
    expect(promptsIn(p.gateway.mediaLog(call.state.callerLegId))).toHaveLength(2);
    expect(call.of("CallEnded")[0]?.reason).toBe("flowEnded");
  });

  it("an invalid digit, then a valid one on the retry: routed to that digit's Connect", async () => {
    const call = await endedCall(
      p,
      await placeCall(p, {
        from: CALLER,
        to: number,
        dtmf: [
          { digits: "#", whenPrompted: true },
          { digits: "2", whenPrompted: true },
        ],
      }),
    );
    expect(call.of("IvrInputRejected")).toEqual([
      { appletId: "ivr", reason: "invalidDigit", digit: "#", attempt: 1, willRetry: true },
    ]);
    expect(call.of("IvrBranchChosen")).toEqual([{ appletId: "ivr", digit: "2", next: "support" }]);
    expect(call.of("AppletEntered").map((a) => a.appletId)).toEqual(["ivr", "support"]);
    expect(call.of("RoutingDecided")[0]?.chosen).toEqual([agentId]);
    expect(call.of("ConnectCompleted")[0]?.outcome).toBe("answered");
    expect(call.of("CallEnded")[0]?.reason).toBe("agentHungUp");
  });

  it("no input, then a valid digit during the replayed prompt: routed to that digit's branch", async () => {
    const { callId, channelId } = await p.gateway.placeInboundCall({ from: CALLER, to: number });
    await eventually(async () => {
      const events = await streamOf(p, callId);
      return events.some((e) => e.type === "IvrInputRejected") ? true : undefined;
    }, "the first timeout");
    p.driver.pressDigits(channelId, "1");
    const call = await endedCall(p, callId);
    expect(call.of("IvrInputRejected")).toEqual([
      { appletId: "ivr", reason: "timeout", attempt: 1, willRetry: true },
    ]);
    expect(call.of("IvrBranchChosen")).toEqual([{ appletId: "ivr", digit: "1", next: "sales" }]);
    expect(call.of("AppletEntered").map((a) => a.appletId)).toEqual(["ivr", "sales"]);
    expect(call.of("CallEnded")[0]?.reason).toBe("flowEnded");
  });
});

describe("IVR barge-in", () => {
  it("a digit pressed during the prompt stops it; the branch's audio starts after the stop", async () => {
    // Forty words: 16 platform seconds of prompt, so the digit surely lands while it plays.
    const long = {
      kind: "tts",
      text: Array.from({ length: 40 }, (_, i) => (i === 0 ? "Press one for sales" : "please")).join(" "),
    } as const;
    const thanks = { kind: "tts", text: "Thank you for calling sales" } as const;
    const flow = flowOnNumber("ivr_barge", "menu", {
      menu: {
        kind: "ivrMenu",
        prompt: long,
        branches: { "1": "sales" },
        timeoutSec: 5,
        retries: 0,
        timeoutBranch: "sales",
        invalidBranch: "sales",
      },
      sales: say(thanks.text),
    });
    await defineConfig(p, flow.commands);
    const { callId, channelId } = await p.gateway.placeInboundCall({ from: CALLER, to: flow.number });
    await eventually(
      () => (p.driver.mediaLog(channelId).some((e) => e.kind === "playbackStarted") ? true : undefined),
      "the prompt to start",
      1_200,
      5,
    );
    p.driver.pressDigits(channelId, "1");
    const call = await endedCall(p, callId);
    const caller = call.state.callerLegId;
    const [prompt, next] = call.of("PlaybackStarted");
    expect(prompt).toMatchObject({ legId: caller, audio: long, purpose: "ivrPrompt" });
    expect(next).toMatchObject({ legId: caller, audio: thanks, purpose: "greeting" });
    // The stop is decided with the digit: same transaction, before the branch is taken.
    expect(call.of("PlaybackStopped")).toEqual([{ playbackId: prompt!.playbackId, legId: caller }]);
    const stopped = call.events.find((e) => e.type === "PlaybackStopped")!;
    const chosen = call.events.find((e) => e.type === "IvrBranchChosen")!;
    expect(stopped.transactionId).toBe(chosen.transactionId);
    expect(stopped.streamVersion).toBe(chosen.streamVersion - 1);
    expect(call.of("IvrBranchChosen")).toEqual([{ appletId: "menu", digit: "1", next: "sales" }]);
    expect(call.types).not.toContain("TimerScheduled");
    expect(call.of("CallEnded")[0]?.reason).toBe("flowEnded");
    // The media side: prompt, digit, prompt stopped (never finished), then the next applet's audio.
    const log = p.gateway
      .mediaLog(caller)
      .filter((e) => ["playbackStarted", "playbackFinished", "playbackStopped", "dtmf"].includes(e.kind));
    expect(log.map((e) => [e.kind, e.playbackId ?? e.digit])).toEqual([
      ["playbackStarted", prompt!.playbackId],
      ["dtmf", "1"],
      ["playbackStopped", prompt!.playbackId],
      ["playbackStarted", next!.playbackId],
      ["playbackFinished", next!.playbackId],
    ]);
    const at = log.map((e) => e.at);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    // Platform time: the prompt was cut well short of its 16 seconds.
    expect(at[2]! - at[0]!).toBeLessThan(16_000);
  });
});

describe("greeting", () => {
  it("plays each greeting's TTS text to the caller leg, one after the other, then ends", async () => {
    const flow = flowOnNumber("greetings", "welcome", {
      welcome: say("Welcome to Switchyard", "hours"),
      hours: say("We are open nine to five"),
    });
    await defineConfig(p, flow.commands);
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: flow.number }));
    const played = call.of("PlaybackStarted");
    expect(played.map((b) => [b.legId, b.purpose, b.audio])).toEqual([
      [call.state.callerLegId, "greeting", { kind: "tts", text: "Welcome to Switchyard" }],
      [call.state.callerLegId, "greeting", { kind: "tts", text: "We are open nine to five" }],
    ]);
    const log = p.gateway
      .mediaLog(call.state.callerLegId)
      .filter((e) => e.kind === "playbackStarted" || e.kind === "playbackFinished" || e.kind === "ended");
    expect(log.map((e) => [e.kind, e.playbackId])).toEqual([
      ["playbackStarted", played[0]!.playbackId],
      ["playbackFinished", played[0]!.playbackId],
      ["playbackStarted", played[1]!.playbackId],
      ["playbackFinished", played[1]!.playbackId],
      ["ended", undefined],
    ]);
    expect(log[0]!.audio).toEqual({ kind: "tts", text: "Welcome to Switchyard" });
    expect(call.of("CallEnded")[0]?.reason).toBe("flowEnded");
  });
});

describe("voicemail", () => {
  it("greets, records the caller leg up to the maximum length, and ends after RecordingFinished", async () => {
    const maxLengthSec = 4;
    const greeting = { kind: "tts", text: "Please leave a message after the tone" } as const;
    const flow = flowOnNumber("vm_max", "vm", { vm: { kind: "voicemail", greeting, maxLengthSec } });
    await defineConfig(p, flow.commands);
    // The caller keeps talking: the recording ends at its maximum length, not with a hang-up.
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: flow.number }));
    const caller = call.state.callerLegId;
    expect(call.of("PlaybackStarted")).toEqual([
      expect.objectContaining({ legId: caller, audio: greeting, purpose: "voicemailGreeting" }),
    ]);
    const [started] = call.of("VoicemailRecordingStarted");
    expect(started).toMatchObject({ legId: caller, maxLengthSec });
    expect(call.of("VoicemailRecorded")).toEqual([
      { recordingId: started!.recordingId, at: expect.any(Number) },
    ]);
    const order = ["PlaybackStarted", "VoicemailRecordingStarted", "VoicemailRecorded", "CallEnded"].map(
      (t) => call.types.indexOf(t),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(call.of("CallEnded")[0]?.reason).toBe("voicemailDone");
    // The media side: greeting, then the recording on the caller leg, finished by its limit, then the hang-up.
    const log = p.gateway.mediaLog(caller);
    const kinds = log
      .map((e) => e.kind)
      .filter((k) =>
        ["playbackStarted", "playbackFinished", "voicemailStarted", "voicemailFinished", "ended"].includes(k),
      );
    expect(kinds).toEqual([
      "playbackStarted",
      "playbackFinished",
      "voicemailStarted",
      "voicemailFinished",
      "ended",
    ]);
    expect(log.find((e) => e.kind === "playbackStarted")).toMatchObject({
      audio: greeting,
      playbackId: call.of("PlaybackStarted")[0]!.playbackId,
    });
    const vmStart = log.find((e) => e.kind === "voicemailStarted")!;
    const vmEnd = log.find((e) => e.kind === "voicemailFinished")!;
    expect(vmStart.recordingId).toBe(started!.recordingId);
    expect(vmEnd).toMatchObject({ recordingId: started!.recordingId, reason: "maximum length" });
    // Platform (scaled) time, not wall-clock: the recording ran for its configured maximum. Node may fire a
    // timer a millisecond early, which the 20× clock turns into 20 ms of platform time (seen once in CI).
    expect(vmEnd.at - vmStart.at).toBeGreaterThanOrEqual(maxLengthSec * 1000 - 2 * 20);
    expect(call.state.legs[caller]?.endReason).toBe("hungUp");
  });

  it("continues to the next applet after the message, then ends", async () => {
    const flow = flowOnNumber("vm_next", "vm", {
      vm: { kind: "voicemail", maxLengthSec: 2, next: "thanks" },
      thanks: say("Thank you goodbye"),
    });
    await defineConfig(p, flow.commands);
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: flow.number }));
    // No greeting configured: the recording starts at once.
    expect(call.types.indexOf("VoicemailRecordingStarted")).toBeLessThan(
      call.types.indexOf("PlaybackStarted"),
    );
    expect(call.of("AppletEntered").map((a) => a.appletId)).toEqual(["vm", "thanks"]);
    expect(call.types.indexOf("VoicemailRecorded")).toBeLessThan(call.types.lastIndexOf("AppletEntered"));
    expect(call.of("CallEnded")[0]?.reason).toBe("flowEnded");
  });
});
