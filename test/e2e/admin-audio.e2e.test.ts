// Uploaded audio on the whole platform, through the generated clients: files uploaded (client streaming),
// a flow whose greeting, hold music and whisper refer to them by id (an unknown id is a field violation
// naming the applet and field), published on a number; a call through it, and the simulated media driver
// playing each file for its real length, read from the stored bytes.
import {
  type CallOptions,
  type Client,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { type AdminApi, start as startAdminApi, statusDetails } from "@switchyard/admin-api";
import {
  type AudioFile,
  AudioFile_Purpose,
  AudioServiceClient,
  FlowServiceClient,
  FlowSpec,
  NumberServiceClient,
} from "@switchyard/admin-proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defineAgents,
  defineConfig,
  type E2EPlatform,
  endedCall,
  newNumber,
  placeCall,
  signIn,
  startE2E,
} from "./harness.js";

let p: E2EPlatform;
let api: AdminApi;
let audio: AudioServiceClient;
let flows: FlowServiceClient;
let numbers: NumberServiceClient;

beforeAll(async () => {
  // Exact simulated time: a file plays for exactly its length in platform time, whatever the machine's load.
  p = await startE2E();
  api = await startAdminApi({
    eventStore: p.eventStore,
    bus: await p.buses.busOf("admin-api"),
    clock: p.clock,
    authenticate: () => ({ actor: "e2e", role: "admin" }),
  });
  const creds = credentials.createInsecure();
  audio = new AudioServiceClient(api.target, creds);
  flows = new FlowServiceClient(api.target, creds);
  numbers = new NumberServiceClient(api.target, creds);
});

afterAll(async () => {
  for (const c of [audio, flows, numbers]) c?.close();
  await api?.[Symbol.asyncDispose]();
  await p?.close();
});

function unary<Req, Res>(
  client: Client,
  method: (
    r: Req,
    m: Metadata,
    o: Partial<CallOptions>,
    cb: (e: ServiceError | null, res: Res) => void,
  ) => unknown,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    method.call(client, request, new Metadata(), {}, (e, res) => (e ? reject(e) : resolve(res))),
  );
}

/** A 16-bit mono PCM WAV at 8 kHz lasting `ms` (a tone, so it is not all silence). */
function wav(ms: number): Buffer {
  const samples = (ms * 8000) / 1000;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(6000 * Math.sin(i / 7)), i * 2);
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVE", 8, "latin1");
  header.write("fmt ", 12, "latin1");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "latin1");
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

function upload(audioId: string, bytes: Buffer, purpose: AudioFile_Purpose): Promise<AudioFile> {
  return new Promise((resolve, reject) => {
    const stream = audio.uploadAudio(new Metadata(), (e: ServiceError | null, r?: AudioFile) =>
      e || !r ? reject(e) : resolve(r),
    );
    stream.write({ metadata: { audioId, displayName: audioId, purpose } });
    for (let i = 0; i < bytes.length; i += 16 * 1024)
      stream.write({ chunk: bytes.subarray(i, i + 16 * 1024) });
    stream.end();
  });
}

/** Greeting → Connect to the agent (hold music and whisper) → hang up, with the given audio file names. */
const spec = (files: { greeting: string; hold: string; whisper: string }, agentId: string) =>
  FlowSpec.fromPartial({
    displayName: "Stored audio",
    startApplet: "welcome",
    applets: {
      welcome: { greeting: { audio: { audioFile: files.greeting }, next: "agent" } },
      agent: {
        connect: {
          agent: `agents/${agentId}`,
          holdMusic: { audioFile: files.hold },
          whisper: { audioFile: files.whisper },
          fallbackBranch: "bye",
        },
      },
      bye: { hangup: {} },
    },
  });

describe("uploaded audio played on a call", () => {
  it("the simulated driver plays the uploaded greeting, hold music and whisper for their real lengths", async () => {
    // Lengths no default of the driver has (prompts default to 1-3 s), so only the files can give them.
    const LENGTH = { greeting: 3_700, hold: 5_250, whisper: 1_350 };
    await upload("aud_greeting", wav(LENGTH.greeting), AudioFile_Purpose.PURPOSE_GREETING);
    await upload("aud_hold", wav(LENGTH.hold), AudioFile_Purpose.PURPOSE_HOLD_MUSIC);
    await upload("aud_whisper", wav(LENGTH.whisper), AudioFile_Purpose.PURPOSE_WHISPER);
    const { commands, agents } = defineAgents(["aud_a"]);
    await defineConfig(p, commands);
    await signIn(p, ["aud_a"]);
    p.driver.setPhone(agents.aud_a!.number, { kind: "answer", afterSec: 2, talkSec: 5 });

    // An id that was never uploaded: the applet and the field, without saving anything.
    const ghost = spec(
      { greeting: "audio/aud_greeting", hold: "audio/no_such_file", whisper: "audio/aud_whisper" },
      "aud_a",
    );
    const validated = await unary(flows, flows.validateFlow, { name: "flows/aud_flow", spec: ghost });
    expect(validated.problems).toEqual([
      expect.objectContaining({
        applet: "agent",
        field: 'spec.applets["agent"].connect.hold_music.audio_file',
        reason: "UNKNOWN_AUDIO",
      }),
    ]);
    const refused = await unary(flows, flows.createFlowVersion, {
      parent: "flows/aud_flow",
      spec: ghost,
      etag: "",
    }).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(refused?.code).toBe(status.INVALID_ARGUMENT);
    expect(statusDetails(refused!).badRequest?.fieldViolations).toEqual([
      expect.objectContaining({
        field: 'spec.applets["agent"].connect.hold_music.audio_file',
        reason: "UNKNOWN_AUDIO",
      }),
    ]);

    const files = { greeting: "audio/aud_greeting", hold: "audio/aud_hold", whisper: "audio/aud_whisper" };
    const version = await unary(flows, flows.createFlowVersion, {
      parent: "flows/aud_flow",
      spec: spec(files, "aud_a"),
      etag: "",
    });
    expect(version.spec?.applets.welcome?.greeting?.audio?.audioFile).toBe("audio/aud_greeting");
    await unary(flows, flows.publishFlowVersion, { name: version.name, etag: "" });
    const business = newNumber();
    await unary(numbers, numbers.createNumber, {
      number: { name: `numbers/${business}`, flow: "flows/aud_flow", etag: "" },
    });

    const callId = await placeCall(p, { from: newNumber(), to: business });
    const call = await endedCall(p, callId);
    const callerLog = p.gateway.mediaLog(call.state.callerLegId);

    // The greeting: started with the file's length and finished exactly that much platform time later.
    const greeting = callerLog.find((l) => l.kind === "playbackStarted");
    expect(greeting).toMatchObject({
      audio: { kind: "stored", audioId: "aud_greeting" },
      durationMs: LENGTH.greeting,
    });
    const greetingDone = callerLog.find(
      (l) => l.kind === "playbackFinished" && l.playbackId === greeting!.playbackId,
    );
    expect(greetingDone!.at - greeting!.at).toBe(LENGTH.greeting);
    // The router moved on only once the driver reported the greeting finished.
    expect(call.types.indexOf("PlaybackFinished")).toBeLessThan(call.types.indexOf("RoutingDecided"));

    // Hold music to the caller while the agent rang, from the stored file.
    expect(callerLog.find((l) => l.kind === "holdMusicStarted")).toMatchObject({
      audio: { kind: "stored", audioId: "aud_hold" },
      durationMs: LENGTH.hold,
    });

    // The whisper to the agent's leg only, for its length, before the bridge.
    const agentLog = p.gateway.mediaLog(call.of("LegOriginateRequested")[0]!.legId);
    const whisper = agentLog.find((l) => l.kind === "playbackStarted");
    expect(whisper).toMatchObject({
      audio: { kind: "stored", audioId: "aud_whisper" },
      durationMs: LENGTH.whisper,
    });
    const whisperDone = agentLog.find(
      (l) => l.kind === "playbackFinished" && l.playbackId === whisper!.playbackId,
    );
    expect(whisperDone!.at - whisper!.at).toBe(LENGTH.whisper);
    const bridged = agentLog.find((l) => l.kind === "bridged");
    expect(bridged!.seq).toBeGreaterThan(whisperDone!.seq);
    expect(
      callerLog.some(
        (l) =>
          l.kind === "playbackStarted" && l.audio?.kind === "stored" && l.audio.audioId === "aud_whisper",
      ),
    ).toBe(false);
  });
});
