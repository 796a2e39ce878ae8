// Uploaded audio as the media side plays it, from the real event store (PostgreSQL, own schema): the file's
// stream and blob written as the admin API writes them, copied to the cache once, its length read from the
// WAV header or counted from the MP3 frames; the simulated driver playing it for exactly that long (manual
// clock), the drachtio driver's resolver handing FreeSWITCH the cached copy's path.
import { randomBytes, randomUUID } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { manualClock } from "@switchyard/clock";
import { type AudioUploadedData, audioStreamId } from "@switchyard/contracts";
import { dropSchema, type OpenedEventStore, openEventStore } from "@switchyard/event-store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AudioResolver } from "../src/drachtio/audio.js";
import type { DriverEvent } from "../src/driver.js";
import { SimulatedDriver } from "../src/simulated/simulated-driver.js";
import { EventStoreAudioLibrary, StoredAudioUnavailableError } from "../src/stored-audio.js";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `gw_audio_${randomBytes(4).toString("hex")}`;
const cacheDir = join(tmpdir(), `switchyard-${schema}`);
let es: OpenedEventStore;
let library: EventStoreAudioLibrary;

beforeAll(async () => {
  es = await openEventStore({ url: DATABASE_URL, schema, poolSize: 2 });
  library = new EventStoreAudioLibrary({ store: es.store, blobs: es.blobs, cacheDir });
});
afterAll(async () => {
  await es?.close();
  await dropSchema(DATABASE_URL, schema);
  await rm(cacheDir, { recursive: true, force: true });
});

/** 16-bit mono PCM at `rate` Hz lasting `ms`. */
function wav(ms: number, rate = 8000): Buffer {
  const samples = Math.round((ms * rate) / 1000);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(5000 * Math.sin(i / 5)), i * 2);
  const h = Buffer.alloc(44);
  h.write("RIFF", 0, "latin1");
  h.writeUInt32LE(36 + data.length, 4);
  h.write("WAVE", 8, "latin1");
  h.write("fmt ", 12, "latin1");
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write("data", 36, "latin1");
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/**
 * `frames` silent MPEG-1 Layer III frames, 128 kbit/s, 44.1 kHz, no Xing header: 417 bytes and 1,152 samples
 * each, so the length can only be had by counting frames.
 */
function mp3(frames: number): Buffer {
  const frame = Buffer.alloc(417);
  frame.writeUInt32BE(0xfffb9000, 0);
  return Buffer.concat(Array.from({ length: frames }, () => frame));
}

/** Stores the bytes and their AudioUploaded event, as the admin API's UploadAudio does. */
async function uploaded(audioId: string, bytes: Buffer, format: "wav" | "mp3"): Promise<void> {
  const blobId = `audio-${audioId}-${randomUUID()}`;
  const info = await es.blobs.put(blobId, `audio/${format}`, [bytes.subarray(0, 1000), bytes.subarray(1000)]);
  const data: AudioUploadedData = {
    audioId,
    displayName: audioId,
    purpose: "greeting",
    format,
    sizeBytes: info.sizeBytes,
    sha256: info.sha256,
    at: 0,
    blobId,
  };
  const version = await es.store.streamVersion(audioStreamId(audioId));
  await es.store.append([
    {
      streamId: audioStreamId(audioId),
      expectedVersion: version === 0 ? "no_stream" : version,
      events: [{ eventId: randomUUID(), type: "AudioUploaded", data }],
    },
  ]);
}

describe("EventStoreAudioLibrary", () => {
  it("copies a WAV to the cache byte for byte and reads its length from the header", async () => {
    const bytes = wav(2_450);
    await uploaded("w1", bytes, "wav");
    const file = await library.file("w1");
    expect(file).toMatchObject({ audioId: "w1", format: "wav", durationMs: 2_450 });
    expect(Buffer.compare(await readFile(file.path), bytes)).toBe(0);
    // The second request is served from the cache.
    expect(await library.file("w1")).toEqual(file);
  });

  it("counts an MP3's frames for its length", async () => {
    await uploaded("m1", mp3(200), "mp3");
    const file = await library.file("m1");
    expect(file.format).toBe("mp3");
    // 200 frames × 1,152 samples / 44,100 Hz = 5.2245 s.
    expect(file.durationMs).toBe(Math.round((200 * 1152 * 1000) / 44_100));
  });

  it("a file re-uploaded under the same id is a new cache entry with the new length", async () => {
    await uploaded("w2", wav(1_000), "wav");
    const first = await library.file("w2");
    await uploaded("w2", wav(1_500), "wav");
    const second = await library.file("w2");
    expect(second.path).not.toBe(first.path);
    expect(second.durationMs).toBe(1_500);
  });

  it("a file never uploaded, deleted, or not audio is unavailable", async () => {
    await expect(library.file("never")).rejects.toBeInstanceOf(StoredAudioUnavailableError);
    // An id that is not one (it would become part of a path) is refused before anything is read.
    await expect(library.file("../../etc/passwd")).rejects.toBeInstanceOf(StoredAudioUnavailableError);
    await uploaded("gone", wav(500), "wav");
    await es.store.append([
      {
        streamId: audioStreamId("gone"),
        expectedVersion: 1,
        events: [{ eventId: randomUUID(), type: "AudioDeleted", data: { at: 0 } }],
      },
    ]);
    await expect(library.file("gone")).rejects.toBeInstanceOf(StoredAudioUnavailableError);
    await uploaded("junk", Buffer.concat([Buffer.from("RIFF\0\0\0\0WAVE"), randomBytes(64)]), "wav");
    await expect(library.file("junk")).rejects.toBeInstanceOf(StoredAudioUnavailableError);
  });
});

describe("drivers playing stored audio", () => {
  it("the simulated driver plays a stored file for its real length, and skips one it cannot find", async () => {
    await uploaded("prompt", wav(3_250), "wav");
    const T0 = 1_000_000;
    const clock = manualClock(T0);
    const driver = new SimulatedDriver({ clock, storedAudio: library });
    const events: DriverEvent[] = [];
    driver.onEvent((e) => events.push(e));
    const ch = driver.placeInboundCall({ from: "+4411", to: "+1800" });
    await driver.play(ch, "p1", { kind: "stored", audioId: "prompt" });
    await clock.advance(3_249);
    expect(events.filter((e) => e.type === "playbackFinished")).toEqual([]);
    await clock.advance(1);
    expect(events.filter((e) => e.type === "playbackFinished")).toEqual([
      { type: "playbackFinished", channelId: ch, playbackId: "p1", at: T0 + 3_250 },
    ]);
    expect(driver.mediaLog(ch).find((l) => l.kind === "playbackStarted")).toMatchObject({
      playbackId: "p1",
      audio: { kind: "stored", audioId: "prompt" },
      durationMs: 3_250,
    });

    // A file that is not there: the prompt is skipped (the flow goes on), as a media server does.
    await driver.play(ch, "p2", { kind: "stored", audioId: "missing" });
    await clock.advance(0);
    expect(events.at(-1)).toEqual({
      type: "playbackFinished",
      channelId: ch,
      playbackId: "p2",
      at: T0 + 3_250,
    });
    expect(driver.mediaLog(ch).at(-2)).toMatchObject({ kind: "ignored" });
    await driver.close();
  });

  it("the drachtio driver's resolver gives FreeSWITCH the cached copy's path", async () => {
    await uploaded("fs", wav(800), "wav");
    const resolver = new AudioResolver({ cacheDir: join(cacheDir, "fs"), storedAudio: library });
    const path = await resolver.resolve({ kind: "stored", audioId: "fs" }, "loop");
    expect(path).toBe((await library.file("fs")).path);
    expect((await readFile(path)).subarray(0, 4).toString("latin1")).toBe("RIFF");
    const without = new AudioResolver({ cacheDir: join(cacheDir, "none") });
    await expect(without.resolve({ kind: "stored", audioId: "fs" }, "once")).rejects.toBeInstanceOf(
      StoredAudioUnavailableError,
    );
  });
});
