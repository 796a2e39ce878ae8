import type { LegCommand } from "@switchyard/routing-domain";
import { describe, expect, it } from "vitest";
import { decodeLegCommandMessage, MalformedMessageError } from "../src/index.js";

const envelope = (command: unknown) => ({
  commandId: "c-1",
  callId: "call-1",
  callerLegId: "call-1:leg-0.1",
  at: 1,
  command,
});

const valid: LegCommand[] = [
  {
    kind: "originate",
    legId: "l",
    to: { kind: "sip", uri: "sip:a@b" },
    callerId: "+1",
    timeoutSec: 20,
  },
  { kind: "cancel", legId: "l", reason: "ringTimeout" },
  { kind: "hangup", legId: "l", reason: "" },
  { kind: "playHoldMusic", legId: "l", audio: { kind: "url", url: "https://x/y.wav" } },
  { kind: "stopHoldMusic", legId: "l" },
  { kind: "play", legId: "l", playbackId: "p", audio: { kind: "tts", text: "hi" } },
  { kind: "announcePosition", legId: "l", playbackId: "p", position: 1 },
  { kind: "bridge", legIds: ["a", "b"] },
  { kind: "unbridge", legIds: ["a", "b"] },
  { kind: "startRecording", recordingId: "r", legIds: ["a", "b"] },
  { kind: "stopRecording", recordingId: "r" },
  { kind: "recordVoicemail", recordingId: "r", legId: "l", maxLengthSec: 60 },
  { kind: "stopPlayback", legId: "l", playbackId: "p" },
  { kind: "play", legId: "l", playbackId: "p", audio: { kind: "stored", audioId: "welcome" } },
];

describe("decodeLegCommandMessage", () => {
  it.each(valid.map((c) => [c.kind, c] as const))("accepts a well-formed %s", (_kind, command) => {
    const message = envelope(command);
    expect(decodeLegCommandMessage(message)).toBe(message);
  });

  const malformed: Array<[string, unknown, RegExp]> = [
    ["not an object", "hello", /message must be an object/],
    [
      "no commandId",
      { ...envelope(valid[1]), commandId: "" },
      /message.commandId must be a non-empty string/,
    ],
    ["no callerLegId", { ...envelope(valid[1]), callerLegId: undefined }, /message.callerLegId/],
    ["at not a number", { ...envelope(valid[1]), at: "now" }, /message.at must be a number/],
    [
      "stopPlayback without a playback id",
      envelope({ kind: "stopPlayback", legId: "l" }),
      /command.playbackId/,
    ],
    ["unknown kind", envelope({ kind: "teleport", legId: "l" }), /command.kind is not a known leg command/],
    [
      "contact of an unknown kind",
      envelope({ ...valid[0], to: { kind: "fax", number: "1" } }),
      /command.to.kind is not phone or sip/,
    ],
    [
      "zero timeout",
      envelope({ ...valid[0], timeoutSec: 0 }),
      /command.timeoutSec must be a positive number/,
    ],
    ["audio without url", envelope({ ...valid[3], audio: { kind: "url" } }), /command.audio.url/],
    [
      "stored audio without its id",
      envelope({ ...valid[5], audio: { kind: "stored", audioId: "" } }),
      /command.audio.audioId/,
    ],
    ["bridge of one leg", envelope({ kind: "bridge", legIds: ["a"] }), /command.legIds must be two leg ids/],
    ["position 0", envelope({ ...valid[6], position: 0 }), /command.position must be a position from 1/],
    ["voicemail without max", envelope({ ...valid[11], maxLengthSec: undefined }), /command.maxLengthSec/],
  ];
  it.each(malformed)("rejects %s, naming the field", (_what, json, reason) => {
    expect(() => decodeLegCommandMessage(json)).toThrow(MalformedMessageError);
    expect(() => decodeLegCommandMessage(json)).toThrow(reason);
  });
});
