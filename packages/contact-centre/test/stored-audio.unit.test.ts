import { describe, expect, it } from "vitest";
import { ContactCentreConfigError, parseContactCentre } from "../src/index.js";

const centre = (audio: string) => `
agents:
  - { id: alice, name: Alice, phone: +447700900001 }
numbers:
  - { number: +442071234567, flow: main }
flows:
  - id: main
    name: Main
    start: welcome
    applets:
      welcome: { type: greeting, audio: ${audio}, next: agent }
      agent:
        type: connect
        target: { agent: alice }
        holdMusic: { file: hold_music }
        whisper: { file: whisper-1 }
        branches: { fallback: bye }
      bye: { type: hangup }
`;

describe("uploaded audio in the YAML file", () => {
  it("{ file: <id> } names an uploaded audio file wherever a flow takes audio", () => {
    const cc = parseContactCentre(centre("{ file: welcome }"), "cc.yaml");
    const flow = cc.snapshot.flows.main!;
    expect(flow.applets.welcome).toMatchObject({ audio: { kind: "stored", audioId: "welcome" } });
    expect(flow.applets.agent).toMatchObject({
      holdMusic: { kind: "stored", audioId: "hold_music" },
      whisper: { kind: "stored", audioId: "whisper-1" },
    });
  });

  it("refuses an id an audio file cannot have, and a file given together with another source", () => {
    for (const [audio, path] of [
      ['{ file: "../etc/passwd" }', "flows[0].applets.welcome.audio.file"],
      ["{ file: welcome, tts: Hello }", "flows[0].applets.welcome.audio"],
    ] as const) {
      let error: unknown;
      try {
        parseContactCentre(centre(audio), "cc.yaml");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ContactCentreConfigError);
      expect((error as ContactCentreConfigError).issues.map((i) => i.path)).toEqual([path]);
    }
  });
});
