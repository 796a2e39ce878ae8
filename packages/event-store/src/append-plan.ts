import { EventStoreError, WrongExpectedVersionError } from "./errors.js";
import type { AppendResult, ExpectedVersion, NewEvent, StreamAppend } from "./types.js";

/**
 * Deciding a batch of appends, given the locked stream versions and the event ids already stored.
 * Pure: the caller locks the streams, asks for this plan, then writes `rows` and `versions` in one go.
 * The in-memory back end and the SQL back end's transaction path (test hook, savepoint fallback) use it;
 * the SQL back end's one-statement path applies the same rules in the database (event_store_append in
 * migrations.ts), and its tests compare the two.
 *
 * Rules (per append, in batch order, each seeing the effect of the earlier ones):
 * - An append whose events are ALL already stored (by an earlier commit or an earlier append of the same
 *   batch) is a retry: it succeeds without a version check and writes nothing (`written: 0`); the
 *   result carries the streams' current versions.
 * - Otherwise events whose ids are already stored are skipped, and the rest are appended under the
 *   normal expected-version check of every stream in the append (a stream with no new events is still
 *   checked: an append can assert a version without writing to that stream).
 * - A mismatch is a WrongExpectedVersionError for that append alone; invalid input is an
 *   EventStoreError for that append alone. Either way the append contributes nothing.
 */
export interface AppendPlan {
  readonly results: ReadonlyArray<AppendResult | Error>;
  /** JSON objects (already serialised) for `jsonb_to_recordset`, in insertion order. */
  readonly rows: readonly string[];
  /** New version per stream that received events. */
  readonly versions: ReadonlyMap<string, number>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

export function expectedVersionHolds(expected: ExpectedVersion, actual: number): boolean {
  switch (expected) {
    case "any":
      return true;
    case "no_stream":
      return actual === 0;
    case "stream_exists":
      return actual > 0;
    default:
      return actual === expected;
  }
}

/** Stream ids and event ids a batch touches: the streams to lock (sorted) and the ids to look up. */
export function batchKeys(appends: ReadonlyArray<readonly StreamAppend[]>): {
  streamIds: string[];
  eventIds: string[];
} {
  const streamIds = new Set<string>();
  const eventIds = new Set<string>();
  for (const append of appends) {
    for (const stream of append) {
      if (typeof stream.streamId === "string" && stream.streamId.length > 0) streamIds.add(stream.streamId);
      for (const event of stream.events ?? []) {
        if (isUuid(event.eventId)) eventIds.add(event.eventId.toLowerCase());
      }
    }
  }
  // Sorted so that concurrent batches lock streams in the same order and cannot deadlock each other.
  return { streamIds: [...streamIds].sort(), eventIds: [...eventIds] };
}

export function planAppends(
  appends: ReadonlyArray<readonly StreamAppend[]>,
  currentVersions: ReadonlyMap<string, number>,
  storedEventIds: ReadonlySet<string>,
): AppendPlan {
  const versions = new Map<string, number>();
  const stored = new Set(storedEventIds);
  const rows: string[] = [];
  const results: Array<AppendResult | Error> = [];
  const versionOf = (streamId: string) => versions.get(streamId) ?? currentVersions.get(streamId) ?? 0;

  for (const append of appends) {
    const invalid = validate(append);
    if (invalid) {
      results.push(invalid);
      continue;
    }
    const all = append.flatMap((s) => s.events);
    if (all.length > 0 && all.every((e) => stored.has(e.eventId.toLowerCase()))) {
      results.push({
        streams: append.map((s) => ({ streamId: s.streamId, version: versionOf(s.streamId) })),
        written: 0,
      });
      continue;
    }
    const mismatch = append.find((s) => !expectedVersionHolds(s.expectedVersion, versionOf(s.streamId)));
    if (mismatch) {
      results.push(
        new WrongExpectedVersionError(
          mismatch.streamId,
          mismatch.expectedVersion,
          versionOf(mismatch.streamId),
        ),
      );
      continue;
    }
    // Serialise before touching any state, so an unserialisable payload fails only this append.
    const appendRows: string[] = [];
    const appendIds = new Set<string>();
    const streamVersions: Array<{ streamId: string; version: number }> = [];
    let serialisationError: Error | undefined;
    for (const stream of append) {
      let version = versionOf(stream.streamId);
      for (const event of stream.events) {
        const id = event.eventId.toLowerCase();
        if (stored.has(id) || appendIds.has(id)) continue;
        version += 1;
        appendIds.add(id);
        try {
          appendRows.push(
            JSON.stringify({
              s: stream.streamId,
              v: version,
              e: id,
              t: event.type,
              d: event.data ?? null,
              m: event.metadata ?? {},
            }),
          );
        } catch (error) {
          serialisationError = unserialisable(event, stream, error);
          break;
        }
      }
      if (serialisationError) break;
      streamVersions.push({ streamId: stream.streamId, version });
    }
    if (serialisationError) {
      results.push(serialisationError);
      continue;
    }
    for (const { streamId, version } of streamVersions) {
      if (version !== versionOf(streamId)) versions.set(streamId, version);
    }
    for (const id of appendIds) stored.add(id);
    rows.push(...appendRows);
    results.push({ streams: streamVersions, written: appendRows.length });
  }
  return { results, rows, versions };
}

export function unserialisable(event: NewEvent, stream: StreamAppend, cause: unknown): EventStoreError {
  return new EventStoreError(
    `event ${event.eventId} of stream ${stream.streamId} cannot be serialised to JSON`,
    {
      cause,
    },
  );
}

/** Why an append is invalid input (it then fails alone, before any SQL), or undefined. */
export function validate(append: readonly StreamAppend[]): EventStoreError | undefined {
  if (!Array.isArray(append)) return new EventStoreError("an append must be an array of stream appends");
  const seen = new Set<string>();
  for (const stream of append) {
    if (typeof stream?.streamId !== "string" || stream.streamId.length === 0) {
      return new EventStoreError("stream id must be a non-empty string");
    }
    if (seen.has(stream.streamId)) {
      return new EventStoreError(`stream ${stream.streamId} appears more than once in one append`);
    }
    seen.add(stream.streamId);
    const expected = stream.expectedVersion;
    const validExpected =
      expected === "any" ||
      expected === "no_stream" ||
      expected === "stream_exists" ||
      (typeof expected === "number" && Number.isInteger(expected) && expected >= 0);
    if (!validExpected) {
      return new EventStoreError(
        `invalid expected version ${String(expected)} for stream ${stream.streamId}`,
      );
    }
    if (!Array.isArray(stream.events))
      return new EventStoreError(`events of stream ${stream.streamId} must be an array`);
    for (const event of stream.events) {
      if (!isUuid(event?.eventId)) {
        return new EventStoreError(
          `event id ${String(event?.eventId)} of stream ${stream.streamId} is not a uuid`,
        );
      }
      if (typeof event.type !== "string" || event.type.length === 0) {
        return new EventStoreError(`event ${event.eventId} of stream ${stream.streamId} has no type`);
      }
    }
  }
  return undefined;
}
