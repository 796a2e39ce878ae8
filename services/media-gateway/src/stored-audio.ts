// Audio files uploaded through the admin API, as a media driver plays them: the bytes from the event store's
// blob storage, written once to a local cache file (what FreeSWITCH's `playback` reads), and the file's
// real length (what the simulated driver "plays" for).
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type AudioUploadedData, audioStreamId } from "@switchyard/contracts";
import type { BlobStore, EventStore } from "@switchyard/event-store";
import { parseFile } from "music-metadata";

export interface StoredAudioFile {
  readonly audioId: string;
  readonly format: "wav" | "mp3";
  /** The file's playing time, from its own headers (WAV) or frames (MP3). */
  readonly durationMs: number;
  /** A local copy of the bytes. */
  readonly path: string;
  readonly sha256: string;
}

/** Where a driver finds uploaded audio by id. */
export interface StoredAudioSource {
  /** Throws StoredAudioUnavailableError when there is no such file (never uploaded, deleted, unreadable). */
  file(audioId: string): Promise<StoredAudioFile>;
}

const AUDIO_ID = /^[A-Za-z0-9_-]{1,63}$/;

/** An uploaded audio file a flow refers to cannot be played. */
export class StoredAudioUnavailableError extends Error {
  override readonly name = "StoredAudioUnavailableError";
}

/**
 * The event store's uploaded audio, cached in `cacheDir` under the content's hash (a file replaced under the
 * same id is a new upload with a new hash; the cache never serves stale bytes).
 */
export class EventStoreAudioLibrary implements StoredAudioSource {
  readonly #inflight = new Map<string, Promise<StoredAudioFile>>();

  constructor(
    private readonly options: {
      readonly store: Pick<EventStore, "readStream">;
      readonly blobs: BlobStore;
      readonly cacheDir: string;
    },
  ) {}

  async file(audioId: string): Promise<StoredAudioFile> {
    // The id becomes part of a path FreeSWITCH opens: only what the admin API allows as an id.
    if (!AUDIO_ID.test(audioId))
      throw new StoredAudioUnavailableError(`"${audioId.slice(0, 80)}" is not an audio file id`);
    const events = await this.options.store.readStream(audioStreamId(audioId));
    const last = events.at(-1);
    if (last?.type !== "AudioUploaded")
      throw new StoredAudioUnavailableError(`audio file "${audioId}" has not been uploaded (or was deleted)`);
    const data = last.data as AudioUploadedData;
    if (!/^[0-9a-f]{64}$/.test(data.sha256) || (data.format !== "wav" && data.format !== "mp3"))
      throw new StoredAudioUnavailableError(`audio file "${audioId}" is recorded without a hash or format`);
    const key = `${audioId}-${data.sha256.slice(0, 16)}`;
    const existing = this.#inflight.get(key);
    if (existing) return existing;
    const p = this.#materialise(data, join(this.options.cacheDir, `stored-${key}.${data.format}`));
    this.#inflight.set(key, p);
    // A failure is not remembered: the next playback tries again.
    p.catch(() => this.#inflight.delete(key));
    return p;
  }

  async #materialise(data: AudioUploadedData, path: string): Promise<StoredAudioFile> {
    await mkdir(this.options.cacheDir, { recursive: true });
    const cached = await stat(path).then(
      (s) => s.size === data.sizeBytes,
      () => false,
    );
    if (!cached) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of this.options.blobs.read(data.blobId)) chunks.push(chunk);
      const bytes = Buffer.concat(chunks);
      if (bytes.length !== data.sizeBytes)
        throw new StoredAudioUnavailableError(
          `audio file "${data.audioId}": ${bytes.length} bytes stored, ${data.sizeBytes} uploaded`,
        );
      const tmp = `${path}.${process.pid}.tmp`;
      try {
        await writeFile(tmp, bytes);
        await rename(tmp, path);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    }
    let seconds: number | undefined;
    try {
      // `duration: true` counts an MP3's frames when it has no Xing/VBRI header to read the length from.
      seconds = (await parseFile(path, { duration: true, skipCovers: true })).format.duration;
    } catch (err) {
      throw new StoredAudioUnavailableError(`audio file "${data.audioId}" cannot be parsed`, { cause: err });
    }
    if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0)
      throw new StoredAudioUnavailableError(`audio file "${data.audioId}" has no playing time`);
    return {
      audioId: data.audioId,
      format: data.format,
      durationMs: Math.round(seconds * 1000),
      path,
      sha256: data.sha256,
    };
  }
}
