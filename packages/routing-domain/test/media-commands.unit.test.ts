import { describe, expect, it } from "vitest";
import { type CallEvent, type LegCommand, legCommandOf, legCommandsFrom } from "../src/index.js";

/**
 * Issue 16, the media effect of call events (call/media.ts): what the gateway is told to do for each event,
 * and nothing for events with no media effect (a gateway driven from the event stream plays, rings and
 * bridges exactly what the decisions said).
 */

const tone = { kind: "defaultTone" } as const;
const cases: Array<[CallEvent, LegCommand]> = [
  [
    {
      type: "LegOriginateRequested",
      data: {
        legId: "l1",
        role: "target",
        to: { kind: "phone", number: "+14155550101" },
        agentId: "ann",
        callerId: "+14155550000",
        timeoutSec: 30,
      },
    },
    {
      kind: "originate",
      legId: "l1",
      to: { kind: "phone", number: "+14155550101" },
      callerId: "+14155550000",
      timeoutSec: 30,
    },
  ],
  [
    { type: "LegCancelRequested", data: { legId: "l1", reason: "ringTimeout" } },
    { kind: "cancel", legId: "l1", reason: "ringTimeout" },
  ],
  [
    { type: "LegHangupRequested", data: { legId: "l1", reason: "callEnded" } },
    { kind: "hangup", legId: "l1", reason: "callEnded" },
  ],
  [
    { type: "HoldMusicStarted", data: { legId: "c", audio: tone } },
    { kind: "playHoldMusic", legId: "c", audio: tone },
  ],
  [
    { type: "HoldMusicStopped", data: { legId: "c" } },
    { kind: "stopHoldMusic", legId: "c" },
  ],
  [
    {
      type: "PlaybackStarted",
      data: { playbackId: "p", legId: "c", audio: { kind: "tts", text: "Hi" }, purpose: "greeting" },
    },
    { kind: "play", legId: "c", playbackId: "p", audio: { kind: "tts", text: "Hi" } },
  ],
  [
    { type: "PlaybackStopped", data: { playbackId: "p", legId: "c" } },
    { kind: "stopPlayback", legId: "c", playbackId: "p" },
  ],
  [
    {
      type: "WhisperRequested",
      data: { legId: "l1", playbackId: "w", audio: { kind: "tts", text: "Sales" } },
    },
    { kind: "play", legId: "l1", playbackId: "w", audio: { kind: "tts", text: "Sales" } },
  ],
  [
    {
      type: "QueuePositionAnnounced",
      data: { legId: "c", playbackId: "q", position: 3, expectedWaitSec: 120, at: 0 },
    } as CallEvent,
    { kind: "announcePosition", legId: "c", playbackId: "q", position: 3, expectedWaitSec: 120 },
  ],
  [
    {
      type: "QueuePositionAnnounced",
      data: { legId: "c", playbackId: "q", position: 1, at: 0 },
    } as CallEvent,
    { kind: "announcePosition", legId: "c", playbackId: "q", position: 1 },
  ],
  [
    { type: "LegsBridged", data: { legIds: ["c", "l1"], at: 0 } },
    { kind: "bridge", legIds: ["c", "l1"] },
  ],
  [
    { type: "LegsUnbridged", data: { legIds: ["c", "l1"] } },
    { kind: "unbridge", legIds: ["c", "l1"] },
  ],
  [
    {
      type: "RecordingStarted",
      data: { recordingId: "r", legIds: ["c", "l1"], reason: "the account records calls" },
    } as CallEvent,
    { kind: "startRecording", recordingId: "r", legIds: ["c", "l1"] },
  ],
  [
    { type: "RecordingStopped", data: { recordingId: "r" } },
    { kind: "stopRecording", recordingId: "r" },
  ],
  [
    { type: "VoicemailRecordingStarted", data: { recordingId: "vm", legId: "c", maxLengthSec: 90 } },
    { kind: "recordVoicemail", recordingId: "vm", legId: "c", maxLengthSec: 90 },
  ],
];

describe("what the media gateway is told", () => {
  it.each(cases)("%o → %o", (event, command) => {
    expect(legCommandOf(event)).toEqual(command);
  });

  it("events with no media effect tell the gateway nothing, and the commands keep the events' order", () => {
    const quiet: CallEvent[] = [
      { type: "TimerScheduled", data: { timerId: "t", kind: "ringTimeout", dueAt: 0 } },
      { type: "CallEnded", data: { reason: "flowEnded", at: 0 } },
      { type: "LegAnswered", data: { legId: "l1", at: 0 } },
    ];
    for (const e of quiet) expect(legCommandOf(e)).toBeUndefined();
    const events = cases.map(([e]) => e);
    expect(legCommandsFrom([quiet[0]!, ...events, quiet[1]!])).toEqual(cases.map(([, c]) => c));
  });
});
