import { describe, expect, it } from "vitest";
import { type Applet, EMPTY_CONFIG, type Flow, validateFlow } from "../src/index.js";

const stored = (audioId: string) => ({ kind: "stored", audioId }) as const;

const flow = (applets: Record<string, Applet>): Flow => ({ flowId: "f", name: "f", start: "hello", applets });

const everyAudioField: Record<string, Applet> = {
  hello: { kind: "greeting", audio: stored("greeting"), next: "menu" },
  menu: {
    kind: "ivrMenu",
    prompt: stored("prompt"),
    branches: { "1": "agent" },
    timeoutSec: 5,
    retries: 0,
    timeoutBranch: "vm",
    invalidBranch: "vm",
  },
  agent: {
    kind: "connect",
    target: { kind: "number", number: "+15550100" },
    holdMusic: stored("hold"),
    whisper: stored("whisper"),
    branches: { fallback: "vm" },
  },
  vm: { kind: "voicemail", greeting: stored("vm"), maxLengthSec: 60 },
};

describe("flows referring to uploaded audio", () => {
  it("every audio field naming a file that was not uploaded is an issue naming its applet and field", () => {
    const issues = validateFlow(flow(everyAudioField), { ...EMPTY_CONFIG, audioFiles: new Set(["prompt"]) });
    expect(issues.map(({ code, appletId, field }) => ({ code, appletId, field }))).toEqual([
      { code: "unknownAudio", appletId: "hello", field: "audio" },
      { code: "unknownAudio", appletId: "agent", field: "holdMusic" },
      { code: "unknownAudio", appletId: "agent", field: "whisper" },
      { code: "unknownAudio", appletId: "vm", field: "greeting" },
    ]);
  });

  it("no issue when every file is uploaded, nor when the caller cannot see the audio library", () => {
    const all = new Set(["greeting", "prompt", "hold", "whisper", "vm"]);
    expect(validateFlow(flow(everyAudioField), { ...EMPTY_CONFIG, audioFiles: all })).toEqual([]);
    expect(validateFlow(flow(everyAudioField), EMPTY_CONFIG)).toEqual([]);
  });
});
