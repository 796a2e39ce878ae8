import { Audio as AudioPb } from "@switchyard/admin-proto";
import { hasControlCharacters } from "@switchyard/contracts";
import type { Audio } from "@switchyard/routing-domain";
import type { FieldViolation } from "./errors.js";
import { nameOf, parseName } from "./names.js";

const MAX_TTS = 2_000;
const MAX_URL = 2_000;

export function toAudioPb(audio: Audio): AudioPb {
  switch (audio.kind) {
    case "defaultTone":
      return AudioPb.fromPartial({ defaultTone: {} });
    case "ringback":
      return AudioPb.fromPartial({ ringback: {} });
    case "url":
      return AudioPb.fromPartial({ url: audio.url });
    case "tts":
      return AudioPb.fromPartial({ tts: audio.text });
    case "stored":
      return AudioPb.fromPartial({ audioFile: nameOf("audio", audio.audioId) });
    default: {
      const unknown: never = audio;
      throw new Error(`unknown audio ${JSON.stringify(unknown)}`);
    }
  }
}

/** The domain audio, or undefined (with a violation) when the message is empty or wrong. */
export function fromAudioPb(audio: AudioPb, field: string, violations: FieldViolation[]): Audio | undefined {
  if (audio.defaultTone !== undefined) return { kind: "defaultTone" };
  if (audio.ringback !== undefined) return { kind: "ringback" };
  if (audio.url !== undefined) {
    let ok = audio.url.length <= MAX_URL;
    try {
      const u = new URL(audio.url);
      ok &&= ["http:", "https:", "file:"].includes(u.protocol);
    } catch {
      ok = false;
    }
    if (ok) return { kind: "url", url: audio.url };
    violations.push({
      field: `${field}.url`,
      description: `not an http(s) or file URL of at most ${MAX_URL} characters`,
      reason: "INVALID_URL",
    });
    return undefined;
  }
  if (audio.tts !== undefined) {
    if (
      audio.tts.trim() !== "" &&
      audio.tts.length <= MAX_TTS &&
      !hasControlCharacters(audio.tts.replace(/[\n\t]/g, " "))
    )
      return { kind: "tts", text: audio.tts };
    violations.push({
      field: `${field}.tts`,
      description: `1 to ${MAX_TTS} characters`,
      reason: "INVALID_TEXT",
    });
    return undefined;
  }
  if (audio.audioFile !== undefined) {
    // Whether the file exists is the flow validation's question (it names the applet): here only the name.
    const parsed = parseName("audio", audio.audioFile, `${field}.audio_file`);
    if ("violation" in parsed) {
      violations.push(parsed.violation);
      return undefined;
    }
    return { kind: "stored", audioId: parsed.id };
  }
  violations.push({ field, description: "one audio source is required", reason: "REQUIRED" });
  return undefined;
}
