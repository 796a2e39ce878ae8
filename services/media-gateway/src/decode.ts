import { PoisonMessageError } from "@switchyard/bus";
import type { LegCommandMessage } from "@switchyard/contracts";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function poison(path: string, why: string): never {
  throw new PoisonMessageError(`malformed leg command: ${path} ${why}`);
}

function text(o: Json, key: string, path: string): void {
  if (!isText(o[key])) poison(`${path}.${key}`, "must be a non-empty string");
}

function audio(o: Json, key: string, path: string): void {
  const a = o[key];
  if (!isObject(a)) poison(`${path}.${key}`, "must be an audio object");
  switch (a.kind) {
    case "defaultTone":
    case "ringback":
      return;
    case "url":
      text(a, "url", `${path}.${key}`);
      return;
    case "tts":
      text(a, "text", `${path}.${key}`);
      return;
    case "stored":
      text(a, "audioId", `${path}.${key}`);
      return;
    default:
      poison(`${path}.${key}.kind`, `is not a known audio kind (${JSON.stringify(a.kind)})`);
  }
}

function legPair(o: Json, path: string): void {
  const ids = o.legIds;
  if (!Array.isArray(ids) || ids.length !== 2 || !ids.every(isText)) {
    poison(`${path}.legIds`, "must be two leg ids");
  }
}

/** Validates a message from `legcmd.<gatewayId>`; anything that could never be executed is poison. */
export function decodeLegCommandMessage(json: unknown): LegCommandMessage {
  if (!isObject(json)) poison("message", "must be an object");
  text(json, "commandId", "message");
  text(json, "callId", "message");
  text(json, "callerLegId", "message");
  if (!isNumber(json.at)) poison("message.at", "must be a number");
  const c = json.command;
  const p = "message.command";
  if (!isObject(c)) poison(p, "must be an object");
  switch (c.kind) {
    case "originate": {
      text(c, "legId", p);
      text(c, "callerId", p);
      if (!isNumber(c.timeoutSec) || c.timeoutSec <= 0)
        poison(`${p}.timeoutSec`, "must be a positive number");
      const to = c.to;
      if (!isObject(to)) poison(`${p}.to`, "must be a contact");
      if (to.kind === "phone") text(to, "number", `${p}.to`);
      else if (to.kind === "sip") text(to, "uri", `${p}.to`);
      else poison(`${p}.to.kind`, `is not phone or sip (${JSON.stringify(to.kind)})`);
      break;
    }
    case "cancel":
    case "hangup":
      text(c, "legId", p);
      if (typeof c.reason !== "string") poison(`${p}.reason`, "must be a string");
      break;
    case "playHoldMusic":
      text(c, "legId", p);
      audio(c, "audio", p);
      break;
    case "stopHoldMusic":
      text(c, "legId", p);
      break;
    case "play":
      text(c, "legId", p);
      text(c, "playbackId", p);
      audio(c, "audio", p);
      break;
    case "stopPlayback":
      text(c, "legId", p);
      text(c, "playbackId", p);
      break;
    case "announcePosition":
      text(c, "legId", p);
      text(c, "playbackId", p);
      if (!isNumber(c.position) || c.position < 1) poison(`${p}.position`, "must be a position from 1");
      if (c.expectedWaitSec !== undefined && (!isNumber(c.expectedWaitSec) || c.expectedWaitSec < 0))
        poison(`${p}.expectedWaitSec`, "must be a number of seconds");
      break;
    case "bridge":
    case "unbridge":
      legPair(c, p);
      break;
    case "startRecording":
      text(c, "recordingId", p);
      if (!Array.isArray(c.legIds) || !c.legIds.every(isText)) poison(`${p}.legIds`, "must be leg ids");
      break;
    case "stopRecording":
      text(c, "recordingId", p);
      break;
    case "recordVoicemail":
      text(c, "recordingId", p);
      text(c, "legId", p);
      if (!isNumber(c.maxLengthSec) || c.maxLengthSec <= 0) {
        poison(`${p}.maxLengthSec`, "must be a positive number");
      }
      break;
    default:
      poison(`${p}.kind`, `is not a known leg command (${JSON.stringify(c.kind)})`);
  }
  return json as unknown as LegCommandMessage;
}
