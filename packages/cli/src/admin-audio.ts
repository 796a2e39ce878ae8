// `switchyard audio list|get|upload|download|delete`: the admin API's stored audio (hold music, greetings,
// whispers) from the command line. Upload streams the file in chunks (client streaming); the server checks
// the format (WAV or MP3, from the bytes) and the size.
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { ServiceError } from "@grpc/grpc-js";
import {
  type AudioFile,
  AudioFile_Format,
  AudioFile_Purpose,
  type DownloadAudioResponse,
} from "@switchyard/admin-proto";
import { systemClock } from "@switchyard/clock";
import { type AdminClients, adminCallError, rpc } from "./admin-client.js";
import type { CliContext } from "./context.js";
import { UsageError } from "./usage-error.js";

/** Chunk size for uploads: well under the API's message limit. */
const CHUNK_BYTES = 64 * 1024;

const PURPOSES: Record<string, AudioFile_Purpose> = {
  "hold-music": AudioFile_Purpose.PURPOSE_HOLD_MUSIC,
  greeting: AudioFile_Purpose.PURPOSE_GREETING,
  whisper: AudioFile_Purpose.PURPOSE_WHISPER,
};

const lower = (value: number, names: Record<number, string>, prefix: string) =>
  (names[value] ?? String(value)).replace(prefix, "").toLowerCase().replaceAll("_", "-");

function show(ctx: CliContext, files: readonly AudioFile[], asJson: boolean): void {
  if (asJson) {
    ctx.out(JSON.stringify(files, null, 2));
    return;
  }
  const rows = files.map((f) => [
    f.name.slice("audio/".length),
    f.displayName,
    lower(f.purpose, AudioFile_Purpose, "PURPOSE_"),
    lower(f.format, AudioFile_Format, "FORMAT_"),
    String(f.sizeBytes),
    f.sha256.slice(0, 12),
    f.createTime?.toISOString() ?? "",
  ]);
  const header = ["ID", "NAME", "PURPOSE", "FORMAT", "BYTES", "SHA256", "UPLOADED"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [header, ...rows])
    ctx.out(
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    );
}

export async function audioCommand(
  ctx: CliContext,
  a: AdminClients,
  verb: string,
  id: string | undefined,
  asJson: boolean,
): Promise<number> {
  const name = () => {
    if (!id) throw new UsageError(`audio ${verb} needs an audio id`);
    return `audio/${id}`;
  };
  const file = () => {
    if (typeof ctx.flags.file !== "string") throw new UsageError(`audio ${verb} needs -f FILE`);
    return ctx.flags.file;
  };
  switch (verb) {
    case "list": {
      const files: AudioFile[] = [];
      let pageToken = "";
      do {
        const page = await rpc(a, a.audio, a.audio.listAudio, { pageSize: 1000, pageToken });
        files.push(...page.audioFiles);
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
      show(ctx, files, asJson);
      return 0;
    }
    case "get":
      show(ctx, [await rpc(a, a.audio, a.audio.getAudio, { name: name() })], asJson);
      return 0;
    case "upload": {
      const audioId = name().slice("audio/".length);
      const path = file();
      const purposeText = typeof ctx.flags.purpose === "string" ? ctx.flags.purpose : "";
      const purpose = PURPOSES[purposeText];
      if (purpose === undefined)
        throw new UsageError(`audio upload needs --purpose ${Object.keys(PURPOSES).join("|")}`);
      const displayName = typeof ctx.flags.name === "string" ? ctx.flags.name : basename(path);
      const bytes = await readFile(path);
      show(ctx, [await upload(a, { audioId, displayName, purpose }, bytes)], asJson);
      return 0;
    }
    case "download": {
      const path = file();
      const written = await download(a, name(), path);
      ctx.out(`switchyard: wrote ${written} bytes of ${name()} to ${path}`);
      return 0;
    }
    case "delete":
      await rpc(a, a.audio, a.audio.deleteAudio, { name: name() });
      ctx.out(`switchyard: deleted ${name()}`);
      return 0;
    default:
      ctx.err(`switchyard: unknown audio command "${verb}"; see switchyard help`);
      return 2;
  }
}

function upload(
  a: AdminClients,
  metadata: { audioId: string; displayName: string; purpose: AudioFile_Purpose },
  bytes: Buffer,
): Promise<AudioFile> {
  return new Promise((resolve, reject) => {
    const stream = a.audio.uploadAudio(
      a.metadata,
      // Large files on slow links: a minute per 5 MiB, at least a minute.
      { deadline: systemClock.now() + 60_000 * Math.max(1, Math.ceil(bytes.length / (5 * 1024 * 1024))) },
      (error: ServiceError | null, file?: AudioFile) =>
        error || !file ? reject(error ? adminCallError(a, error) : new Error("no answer")) : resolve(file),
    );
    stream.write({ metadata });
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES)
      stream.write({ chunk: bytes.subarray(at, at + CHUNK_BYTES) });
    stream.end();
  });
}

function download(a: AdminClients, name: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(path);
    let written = 0;
    const stream = a.audio.downloadAudio({ name }, a.metadata);
    stream.on("data", (r: DownloadAudioResponse) => {
      written += r.chunk.length;
      out.write(r.chunk);
    });
    stream.on("error", (error: ServiceError) => {
      out.destroy();
      reject(adminCallError(a, error));
    });
    stream.on("end", () => out.end(() => resolve(written)));
  });
}
