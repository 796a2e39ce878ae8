// Audio uploads through the generated client (client streaming) into PostgreSQL: checked for format and
// size, listed, downloaded byte for byte, deleted.
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import {
  type AudioFile,
  AudioFile_Format,
  AudioFile_Purpose,
  type DownloadAudioResponse,
} from "@switchyard/admin-proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, failure, type Harness, startHarness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness("audio", { presence: false });
});
afterAll(async () => {
  await h?.close();
});

/** A PCM WAV file of `samples` 16-bit mono samples at 8 kHz. */
function wav(samples: number): Buffer {
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(8000 * Math.sin(i / 10)), i * 2);
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

function upload(
  audioId: string,
  bytes: Buffer,
  chunkSize = 64 * 1024,
  purpose = AudioFile_Purpose.PURPOSE_HOLD_MUSIC,
) {
  return new Promise<AudioFile>((resolve, reject) => {
    const stream = h.audio.uploadAudio(new Metadata(), (e: ServiceError | null, r?: AudioFile) =>
      e || !r ? reject(e) : resolve(r),
    );
    stream.write({ metadata: { audioId, displayName: `Audio ${audioId}`, purpose } });
    for (let i = 0; i < bytes.length; i += chunkSize)
      stream.write({ chunk: bytes.subarray(i, i + chunkSize) });
    stream.end();
  });
}

function download(name: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const stream = h.audio.downloadAudio({ name });
    stream.on("data", (r: DownloadAudioResponse) => parts.push(Buffer.from(r.chunk)));
    stream.on("end", () => resolve(Buffer.concat(parts)));
    stream.on("error", reject);
  });
}

describe("AudioService", () => {
  it("uploads a WAV in chunks, lists it, and gives the same bytes back", async () => {
    const bytes = wav(200_000); // 400 kB: several chunks
    const file = await upload("hold1", bytes);
    expect(file).toMatchObject({
      name: "audio/hold1",
      format: AudioFile_Format.FORMAT_WAV,
      purpose: AudioFile_Purpose.PURPOSE_HOLD_MUSIC,
      sizeBytes: bytes.length,
    });
    expect(await call(h.audio, h.audio.getAudio, { name: "audio/hold1" })).toEqual(file);
    const mp3 = Buffer.concat([
      Buffer.from("ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000", "latin1"),
      Buffer.alloc(5000, 0xff),
    ]);
    await upload("greet1", mp3, 1000, AudioFile_Purpose.PURPOSE_GREETING);
    const listed = await call(h.audio, h.audio.listAudio, { pageSize: 1, pageToken: "" });
    expect(listed.audioFiles.map((a) => a.name)).toEqual(["audio/greet1"]);
    const rest = await call(h.audio, h.audio.listAudio, { pageSize: 1, pageToken: listed.nextPageToken });
    expect(rest.audioFiles.map((a) => a.name)).toEqual(["audio/hold1"]);
    expect((await download("audio/hold1")).equals(bytes)).toBe(true);
  });

  it("refuses what is not WAV or MP3, a taken id, and a file over the size limit, storing nothing", async () => {
    const before = await h.countEvents();
    const text = await failure(upload("notes", Buffer.from("this is not audio at all")));
    expect(text.code).toBe(status.INVALID_ARGUMENT);
    const noPurpose = await failure(upload("np", wav(10), 100, AudioFile_Purpose.PURPOSE_UNSPECIFIED));
    expect(noPurpose.code).toBe(status.INVALID_ARGUMENT);
    const huge = await failure(
      upload("huge", Buffer.concat([wav(10), Buffer.alloc(21 * 1024 * 1024)]), 1024 * 1024),
    );
    expect(huge.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(await h.countEvents()).toBe(before);
    await upload("taken", wav(10));
    expect((await failure(upload("taken", wav(10)))).code).toBe(status.ALREADY_EXISTS);
  });

  it("deletes a file and its bytes", async () => {
    await upload("gone", wav(100));
    const [uploaded] = await h.eventStore.store.readStream("audio-gone");
    const blobId = (uploaded!.data as { blobId: string }).blobId;
    expect(await h.eventStore.blobs.info(blobId)).toBeDefined();
    await call(h.audio, h.audio.deleteAudio, { name: "audio/gone" });
    expect((await failure(call(h.audio, h.audio.getAudio, { name: "audio/gone" }))).code).toBe(
      status.NOT_FOUND,
    );
    expect((await failure(download("audio/gone"))).code).toBe(status.NOT_FOUND);
    expect(await h.eventStore.blobs.info(blobId)).toBeUndefined();
  });
});
