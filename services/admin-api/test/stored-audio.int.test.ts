// Applets and queues name uploaded audio files by id (`audio/{audio}`): an id that is not uploaded is
// INVALID_ARGUMENT naming the applet and field (saving, validating and publishing a version, defining a
// group's queue), and a file the live configuration plays cannot be deleted (FAILED_PRECONDITION).
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { type AudioFile, AudioFile_Purpose, FlowSpec, Group, Strategy } from "@switchyard/admin-proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusDetails } from "../src/index.js";
import { call, failure, type Harness, startHarness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness("storedaudio", { presence: false });
});
afterAll(async () => {
  await h?.close();
});

const WAV = Buffer.concat([Buffer.from("RIFF\x24\x00\x00\x00WAVEfmt ", "latin1"), Buffer.alloc(64)]);

function upload(audioId: string): Promise<AudioFile> {
  return new Promise((resolve, reject) => {
    const stream = h.audio.uploadAudio(new Metadata(), (e: ServiceError | null, r?: AudioFile) =>
      e || !r ? reject(e) : resolve(r),
    );
    stream.write({
      metadata: { audioId, displayName: audioId, purpose: AudioFile_Purpose.PURPOSE_GREETING },
    });
    stream.write({ chunk: WAV });
    stream.end();
  });
}

const greetingFlow = (audioFile: string) =>
  FlowSpec.fromPartial({
    startApplet: "hello",
    applets: { hello: { greeting: { audio: { audioFile } } } },
  });

const violations = (e: ServiceError) =>
  statusDetails(e).badRequest?.fieldViolations.map((v) => ({ field: v.field, reason: v.reason }));

describe("stored audio references", () => {
  it("a flow version naming a file that is not uploaded is refused at the applet's field; once uploaded it saves", async () => {
    const spec = greetingFlow("audio/hello_wav");
    const validated = await call(h.flows, h.flows.validateFlow, { name: "flows/st1", spec });
    expect(validated.problems.map((p) => [p.applet, p.field, p.reason])).toEqual([
      ["hello", 'spec.applets["hello"].greeting.audio.audio_file', "UNKNOWN_AUDIO"],
    ]);
    const refused = await failure(
      call(h.flows, h.flows.createFlowVersion, { parent: "flows/st1", spec, etag: "" }),
    );
    expect(refused.code).toBe(status.INVALID_ARGUMENT);
    expect(violations(refused)).toEqual([
      { field: 'spec.applets["hello"].greeting.audio.audio_file', reason: "UNKNOWN_AUDIO" },
    ]);
    const bad = await failure(
      call(h.flows, h.flows.createFlowVersion, {
        parent: "flows/st1",
        spec: greetingFlow("hello_wav"),
        etag: "",
      }),
    );
    expect(violations(bad)).toEqual([
      { field: 'spec.applets["hello"].greeting.audio.audio_file', reason: "INVALID_NAME" },
    ]);

    await upload("hello_wav");
    expect((await call(h.flows, h.flows.validateFlow, { name: "flows/st1", spec })).problems).toEqual([]);
    const saved = await call(h.flows, h.flows.createFlowVersion, { parent: "flows/st1", spec, etag: "" });
    expect(saved.spec?.applets.hello?.greeting?.audio?.audioFile).toBe("audio/hello_wav");
  });

  it("a file deleted after a version was saved makes publishing that version INVALID_ARGUMENT", async () => {
    await upload("short_lived");
    const v = await call(h.flows, h.flows.createFlowVersion, {
      parent: "flows/st2",
      spec: greetingFlow("audio/short_lived"),
      etag: "",
    });
    await call(h.audio, h.audio.deleteAudio, { name: "audio/short_lived" });
    const refused = await failure(call(h.flows, h.flows.publishFlowVersion, { name: v.name, etag: "" }));
    expect(refused.code).toBe(status.INVALID_ARGUMENT);
    expect(violations(refused)).toEqual([
      { field: 'spec.applets["hello"].greeting.audio.audio_file', reason: "UNKNOWN_AUDIO" },
    ]);
  });

  it("a file a published flow or a group's queue plays cannot be deleted", async () => {
    await upload("in_use");
    const v = await call(h.flows, h.flows.createFlowVersion, {
      parent: "flows/st3",
      spec: greetingFlow("audio/in_use"),
      etag: "",
    });
    await call(h.flows, h.flows.publishFlowVersion, { name: v.name, etag: "" });
    const queue = (audioFile: string) =>
      Group.fromPartial({
        displayName: "Q",
        strategy: Strategy.STRATEGY_ROUND_ROBIN,
        queue: { enabled: true, holdMusic: { audioFile } },
      });
    const unknown = await failure(
      call(h.groups, h.groups.createGroup, { groupId: "q1", group: queue("audio/nope") }),
    );
    expect(unknown.code).toBe(status.INVALID_ARGUMENT);
    expect(violations(unknown)).toEqual([
      { field: "group.queue.hold_music.audio_file", reason: "UNKNOWN_AUDIO" },
    ]);
    const group = await call(h.groups, h.groups.createGroup, { groupId: "q1", group: queue("audio/in_use") });
    expect(group.queue?.holdMusic?.audioFile).toBe("audio/in_use");

    const before = await h.countEvents();
    const refused = await failure(call(h.audio, h.audio.deleteAudio, { name: "audio/in_use" }));
    expect(refused.code).toBe(status.FAILED_PRECONDITION);
    expect(
      statusDetails(refused).preconditionFailure?.violations.map((x) => [x.subject, x.description]),
    ).toEqual([
      ["flows/st3", 'applet "hello" audio'],
      ["groups/q1", "queue hold music"],
    ]);
    expect(await h.countEvents()).toBe(before);
    expect((await call(h.audio, h.audio.getAudio, { name: "audio/in_use" })).name).toBe("audio/in_use");
  });
});
