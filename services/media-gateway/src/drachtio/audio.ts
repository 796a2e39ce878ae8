import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { promisify } from "node:util";
import { hasControlCharacters } from "@switchyard/contracts";
import type { Audio } from "@switchyard/routing-domain";
import { type StoredAudioSource, StoredAudioUnavailableError } from "../stored-audio.js";

const run = promisify(execFile);

/** How a playback is used: once (a prompt) or looped until stopped (hold music, ringback). */
export type AudioUse = "once" | "loop";

export interface AudioResolverOptions {
  /** Where rendered TTS and downloaded URLs are cached (created if missing). */
  readonly cacheDir: string;
  /** The TTS command (default `espeak-ng`); called as `<cmd> -w <out.wav> -- <text>`. */
  readonly ttsCommand?: string;
  /** Extra arguments before `-w` (a voice, a speed). */
  readonly ttsArgs?: readonly string[];
  /**
   * Use FreeSWITCH's own TTS (`say:` through `speak`) instead of rendering a file: `engine|voice` as its
   * `tts_engine`/`tts_voice`, for deployments whose FreeSWITCH has one (mod_flite, mod_tts_commandline...).
   */
  readonly freeswitchTts?: { readonly engine: string; readonly voice: string };
  readonly fetch?: typeof fetch;
  /**
   * Uploaded audio files: each is written once to its cache (which must be readable by FreeSWITCH, as
   * `cacheDir` is) and played from there. Absent: a stored-audio prompt is skipped.
   */
  readonly storedAudio?: StoredAudioSource;
}

/** TTS could not be rendered (engine missing or failing). */
export class TtsRenderError extends Error {
  override readonly name = "TtsRenderError";
}

/** An audio URL could not be downloaded. */
export class AudioDownloadError extends Error {
  override readonly name = "AudioDownloadError";
}

/**
 * The domain's `Audio` as what FreeSWITCH's `playback` plays: tones as `tone_stream://`, TTS rendered once by
 * a local engine to a cached WAV (this FreeSWITCH has no TTS module), HTTP(S) URLs downloaded once to the
 * cache (no mod_http_cache here), local paths and FreeSWITCH's own stream URLs (`tone_stream://`,
 * `silence_stream://`, `local_stream://`) as they are.
 */
export class AudioResolver {
  readonly #inflight = new Map<string, Promise<string>>();
  readonly #ready: Promise<unknown>;

  constructor(private readonly options: AudioResolverOptions) {
    this.#ready = mkdir(options.cacheDir, { recursive: true });
  }

  async resolve(audio: Audio, use: AudioUse): Promise<string> {
    switch (audio.kind) {
      case "defaultTone":
        // A steady 440 Hz: the hold music of a deployment that configured none.
        return use === "loop" ? "tone_stream://%(1000,0,440);loops=-1" : "tone_stream://%(2000,0,440)";
      case "ringback":
        // North American ringback: 440+480 Hz, 2 s on, 4 s off.
        return use === "loop"
          ? "tone_stream://%(2000,4000,440,480);loops=-1"
          : "tone_stream://%(2000,4000,440,480)";
      case "url":
        return this.#url(audio.url);
      case "tts":
        return this.tts(audio.text);
      case "stored": {
        const source = this.options.storedAudio;
        if (!source)
          throw new StoredAudioUnavailableError(
            `audio file "${audio.audioId}": this driver has no stored audio source`,
          );
        return (await source.file(audio.audioId)).path;
      }
      default: {
        const unknown: never = audio;
        throw new Error(`unknown audio ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** A WAV of the text (cached by content), or FreeSWITCH's own TTS when configured. */
  async tts(text: string): Promise<string> {
    const fs = this.options.freeswitchTts;
    if (fs) return `say:${fs.engine}:${fs.voice}:${text.replace(/[\r\n]+/g, " ")}`;
    const cmd = this.options.ttsCommand ?? "espeak-ng";
    const args = this.options.ttsArgs ?? [];
    const key = createHash("sha256")
      .update(JSON.stringify([cmd, args, text]))
      .digest("hex")
      .slice(0, 32);
    const file = join(this.options.cacheDir, `tts-${key}.wav`);
    return this.#once(file, async () => {
      const tmp = `${file}.${process.pid}.tmp.wav`;
      try {
        await run(cmd, [...args, "-w", tmp, "--", text], { timeout: 30_000 });
        await rename(tmp, file);
      } catch (err) {
        await rm(tmp, { force: true });
        throw new TtsRenderError(`TTS (${cmd}) failed for "${text.slice(0, 40)}"`, { cause: err });
      }
    });
  }

  async #url(url: string): Promise<string> {
    // The path or URL goes into a FreeSWITCH command: nothing that could end or extend it.
    if (/[\s"'<>\\]/.test(url) || hasControlCharacters(url))
      throw new AudioDownloadError(
        `audio url ${JSON.stringify(url.slice(0, 80))} holds characters a media path may not`,
      );
    if (url.startsWith("file://")) return new URL(url).pathname;
    if (!/^https?:\/\//i.test(url)) {
      if (isAbsolute(url) || /^[a-z_]+:\/\//.test(url)) return url;
      throw new AudioDownloadError(
        `audio url "${url}" is neither http(s), file://, a path nor a FreeSWITCH stream`,
      );
    }
    const ext = /\.(wav|mp3|ogg|gsm|ul|al|r8|raw)(?:$|[?#])/i.exec(url)?.[1]?.toLowerCase() ?? "wav";
    const key = createHash("sha256").update(url).digest("hex").slice(0, 32);
    const file = join(this.options.cacheDir, `url-${key}.${ext}`);
    return this.#once(file, async () => {
      const doFetch = this.options.fetch ?? fetch;
      let body: ArrayBuffer;
      try {
        const res = await doFetch(url, { signal: AbortSignal.timeout(30_000) });
        if (!res.ok) throw new AudioDownloadError(`GET ${url}: HTTP ${res.status}`);
        body = await res.arrayBuffer();
      } catch (err) {
        if (err instanceof AudioDownloadError) throw err;
        throw new AudioDownloadError(`GET ${url} failed`, { cause: err });
      }
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, new Uint8Array(body));
      await rename(tmp, file);
    });
  }

  /** Makes `file` once (concurrent callers share the work); an existing file is reused. */
  async #once(file: string, make: () => Promise<void>): Promise<string> {
    await this.#ready;
    const existing = this.#inflight.get(file);
    if (existing) return existing;
    const p = (async () => {
      const found = await stat(file).then(
        (s) => s.size > 0,
        () => false,
      );
      if (!found) await make();
      return file;
    })();
    this.#inflight.set(file, p);
    // A failure is not cached: the next request tries again.
    p.catch(() => this.#inflight.delete(file));
    return p;
  }
}
