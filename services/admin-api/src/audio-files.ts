// AudioService: uploads are checked (size, WAV or MP3 by content), stored as a blob in PostgreSQL (event
// store package), and recorded by an AudioUploaded event on the file's `audio-<id>` stream (created with
// expected version "no stream", so an id is uploaded once).
import {
  AudioFile,
  AudioFile_Format,
  AudioFile_Purpose,
  type UploadAudioRequest,
} from "@switchyard/admin-proto";
import { type AudioUploadedData, audioStreamId } from "@switchyard/contracts";
import { type BlobStore, WrongExpectedVersionError } from "@switchyard/event-store";
import { appletAudio } from "@switchyard/routing-domain";
import type { AudioSummary, CallIndex } from "./call-index.js";
import type { ApiContext, Caller } from "./context.js";
import {
  type FieldViolation,
  InvalidRequestError,
  PreconditionError,
  ResourceExistsError,
  ResourceNotFoundError,
  TooLargeError,
} from "./errors.js";
import { paginate } from "./listing.js";
import { ID, idViolation, nameOf, textViolation } from "./names.js";

const TYPE = "switchyard.admin.v1.AudioFile";
export const MAX_AUDIO_BYTES = 20 * 1024 * 1024;
const streamOf = audioStreamId;

const PURPOSES: Partial<Record<AudioFile_Purpose, string>> = {
  [AudioFile_Purpose.PURPOSE_HOLD_MUSIC]: "holdMusic",
  [AudioFile_Purpose.PURPOSE_GREETING]: "greeting",
  [AudioFile_Purpose.PURPOSE_WHISPER]: "whisper",
};
const PURPOSE_OF = new Map(Object.entries(PURPOSES).map(([k, v]) => [v, Number(k) as AudioFile_Purpose]));

/** WAV (RIFF....WAVE) or MP3 (an ID3 tag, or an MPEG audio frame sync), from the first bytes. */
export function sniffAudio(head: Uint8Array): "wav" | "mp3" | undefined {
  const ascii = (from: number, to: number) => Buffer.from(head.subarray(from, to)).toString("latin1");
  if (head.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WAVE") return "wav";
  if (head.length >= 3 && ascii(0, 3) === "ID3") return "mp3";
  if (head.length >= 2 && head[0] === 0xff && (head[1]! & 0xe0) === 0xe0) return "mp3";
  return undefined;
}

const toAudioFile = (a: AudioSummary) =>
  AudioFile.fromPartial({
    name: `audio/${a.audioId}`,
    displayName: a.displayName,
    purpose: PURPOSE_OF.get(a.purpose) ?? AudioFile_Purpose.PURPOSE_UNSPECIFIED,
    format: a.format === "wav" ? AudioFile_Format.FORMAT_WAV : AudioFile_Format.FORMAT_MP3,
    sizeBytes: a.sizeBytes,
    sha256: a.sha256,
    createTime: new Date(a.at),
  });

function audioIdFrom(name: string): string {
  const id = name.startsWith("audio/") ? name.slice("audio/".length) : "";
  if (!ID.test(id))
    throw new InvalidRequestError([
      {
        field: "name",
        description: `"${name.slice(0, 80)}" is not a resource name of the form audio/{audio}`,
        reason: "INVALID_NAME",
      },
    ]);
  return id;
}

async function summaryOf(ctx: ApiContext, audioId: string): Promise<AudioSummary | undefined> {
  const events = await ctx.store.readStream(streamOf(audioId));
  const last = events.at(-1);
  return last?.type === "AudioUploaded" ? (last.data as AudioSummary) : undefined;
}

/**
 * Of the audio files a flow or group refers to (`audio/{id}` names anywhere in the message), those that
 * have been uploaded and not deleted: what flow validation checks stored-audio references against.
 */
export async function uploadedAudioIn(ctx: ApiContext, message: unknown): Promise<ReadonlySet<string>> {
  const ids = new Set<string>();
  const walk = (x: unknown, key: string): void => {
    if (key === "audioFile" && typeof x === "string" && x.startsWith("audio/")) ids.add(x.slice(6));
    else if (Array.isArray(x)) for (const v of x) walk(v, "");
    else if (typeof x === "object" && x !== null)
      for (const [k, v] of Object.entries(x as Record<string, unknown>)) walk(v, k);
  };
  walk(message, "");
  const found = new Set<string>();
  await Promise.all(
    [...ids]
      .filter((id) => ID.test(id))
      .map(async (id) => {
        if (await summaryOf(ctx, id)) found.add(id);
      }),
  );
  return found;
}

/** Collects an upload (metadata first, then chunks) and stores it. */
export async function uploadAudio(
  ctx: ApiContext,
  blobs: BlobStore,
  caller: Caller,
  messages: readonly UploadAudioRequest[],
): Promise<AudioFile> {
  const [first, ...rest] = messages;
  const meta = first?.metadata;
  const violations: FieldViolation[] = [];
  if (!meta)
    throw new InvalidRequestError([
      { field: "metadata", description: "the first message must carry the metadata", reason: "REQUIRED" },
    ]);
  const bad = idViolation(meta.audioId, "metadata.audio_id");
  if (bad) violations.push(bad);
  const badName = textViolation(meta.displayName, "metadata.display_name");
  if (badName) violations.push(badName);
  const purpose = PURPOSES[meta.purpose];
  if (!purpose)
    violations.push({
      field: "metadata.purpose",
      description: "one of the PURPOSE_ values is required",
      reason: "INVALID_ENUM",
    });
  const chunks: Uint8Array[] = [];
  rest.forEach((m, i) => {
    if (m.chunk !== undefined) chunks.push(m.chunk);
    else
      violations.push({
        field: `[${i + 1}].chunk`,
        description: "only the first message carries metadata",
        reason: "UNEXPECTED_METADATA",
      });
  });
  const head = Buffer.concat(chunks.slice(0, 4)).subarray(0, 16);
  const format = sniffAudio(head);
  if (chunks.length === 0)
    violations.push({ field: "chunk", description: "the file is empty", reason: "EMPTY_FILE" });
  else if (!format)
    violations.push({
      field: "chunk",
      description: "not a WAV (RIFF/WAVE) or MP3 file",
      reason: "UNSUPPORTED_FORMAT",
    });
  if (violations.length > 0 || !purpose || !format) throw new InvalidRequestError(violations);
  if ((await ctx.store.streamVersion(streamOf(meta.audioId))) > 0)
    throw new ResourceExistsError(TYPE, `audio/${meta.audioId}`);
  const blobId = `audio-${meta.audioId}-${ctx.newId()}`;
  const info = await blobs.put(blobId, format === "wav" ? "audio/wav" : "audio/mpeg", chunks);
  const summary: AudioUploadedData = {
    audioId: meta.audioId,
    displayName: meta.displayName,
    purpose,
    format,
    sizeBytes: info.sizeBytes,
    sha256: info.sha256,
    at: ctx.clock.now(),
    blobId,
  };
  try {
    await ctx.store.append([
      {
        streamId: streamOf(meta.audioId),
        expectedVersion: "no_stream",
        events: [
          { eventId: ctx.newId(), type: "AudioUploaded", data: summary, metadata: { actor: caller.actor } },
        ],
      },
    ]);
  } catch (error) {
    await blobs.delete(blobId); // the bytes of an upload that lost the race are not kept
    if (error instanceof WrongExpectedVersionError)
      throw new ResourceExistsError(TYPE, `audio/${meta.audioId}`);
    throw error;
  }
  return toAudioFile(summary);
}

/** Checks an upload's running size (RESOURCE_EXHAUSTED past the limit). */
export function checkUploadSize(total: number): void {
  if (total > MAX_AUDIO_BYTES) throw new TooLargeError("the audio file", MAX_AUDIO_BYTES);
}

export async function getAudio(ctx: ApiContext, name: string): Promise<AudioFile> {
  const summary = await summaryOf(ctx, audioIdFrom(name));
  if (!summary) throw new ResourceNotFoundError(TYPE, name);
  return toAudioFile(summary);
}

export async function listAudio(index: CallIndex, request: { pageSize: number; pageToken: string }) {
  await index.catchUp();
  const page = paginate(index.audioFiles(), (a) => a.audioId, request);
  return { audioFiles: page.items.map(toAudioFile), nextPageToken: page.nextPageToken };
}

export async function* downloadAudio(
  ctx: ApiContext,
  blobs: BlobStore,
  name: string,
): AsyncIterable<Uint8Array> {
  const summary = (await summaryOf(ctx, audioIdFrom(name))) as
    | (AudioSummary & { blobId: string })
    | undefined;
  if (!summary) throw new ResourceNotFoundError(TYPE, name);
  yield* blobs.read(summary.blobId);
}

export async function deleteAudio(
  ctx: ApiContext,
  blobs: BlobStore,
  caller: Caller,
  name: string,
): Promise<void> {
  const audioId = audioIdFrom(name);
  const events = await ctx.store.readStream(streamOf(audioId));
  const last = events.at(-1);
  if (last?.type !== "AudioUploaded") throw new ResourceNotFoundError(TYPE, name);
  // A file the live configuration plays cannot go: calls would hear nothing where it was.
  const { snapshot } = await ctx.config.current();
  const users: Array<{ type: string; subject: string; description: string }> = [];
  for (const flow of Object.values(snapshot.flows))
    for (const [appletId, applet] of Object.entries(flow.applets))
      for (const { field, audio } of appletAudio(applet))
        if (audio.kind === "stored" && audio.audioId === audioId)
          users.push({
            type: "IN_USE",
            subject: nameOf("flows", flow.flowId),
            description: `applet "${appletId}" ${field}`,
          });
  for (const group of Object.values(snapshot.groups))
    if (group.queue.holdMusic.kind === "stored" && group.queue.holdMusic.audioId === audioId)
      users.push({
        type: "IN_USE",
        subject: nameOf("groups", group.groupId),
        description: "queue hold music",
      });
  if (users.length > 0) throw new PreconditionError(users);
  await ctx.store.append([
    {
      streamId: streamOf(audioId),
      expectedVersion: last.streamVersion,
      events: [
        {
          eventId: ctx.newId(),
          type: "AudioDeleted",
          data: { at: ctx.clock.now() },
          metadata: { actor: caller.actor },
        },
      ],
    },
  ]);
  await blobs.delete((last.data as { blobId: string }).blobId);
}
