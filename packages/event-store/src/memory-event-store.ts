// The event store kept in this process's memory: the same contract as the PostgreSQL and PGlite back ends
// (expected versions, idempotent event ids, one transaction per append call, the log read in commit order
// from checkpoints), proven by the same conformance suite, with nothing durable. For throwaway runs of the
// whole platform in one process (what-if re-runs of a recorded day), where SQL would cost more than every
// other part of the platform together and nothing needs to outlive the run.
import { createHash } from "node:crypto";
import { batchKeys, planAppends } from "./append-plan.js";
import { BlobExistsError, type BlobInfo, type BlobStore } from "./blob-store.js";
import { EventStoreError } from "./errors.js";
import type { LocalWrites } from "./local-writes.js";
import { type AppendOptions, BatchCommitStore, type SqlEventStoreApi } from "./sql-event-store.js";
import {
  type AppendResult,
  type Checkpoint,
  type CheckpointStore,
  type EventMetadata,
  type ReadAllResult,
  type RecordedEvent,
  START,
  type StreamAppend,
} from "./types.js";

/** A row of the append plan, as serialised for `jsonb_to_recordset` (see planAppends). */
interface PlannedRow {
  readonly s: string;
  readonly v: number;
  readonly e: string;
  readonly t: string;
  readonly d: unknown;
  readonly m: EventMetadata;
}

/** `\u0000` in JSON text: an escape preceded by an even number of backslashes (an odd one escapes it). */
const NUL_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\u0000/;

/** What one append call has planned and not yet committed (its "transaction"). */
class Staged {
  readonly versions = new Map<string, number>();
  readonly ids = new Set<string>();
  readonly rows: PlannedRow[] = [];
}

export class MemoryEventStore extends BatchCommitStore implements SqlEventStoreApi {
  readonly #log: RecordedEvent[] = [];
  readonly #streams = new Map<string, RecordedEvent[]>();
  readonly #ids = new Set<string>();
  #transactionId = 0n;
  #position = 0n;
  /** Appends run one at a time, like PGlite's single session: an awaited hook cannot interleave another. */
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(
    /** recorded_at of the events of one append (the database's transaction time on the SQL back ends). */
    private readonly now: () => Date,
    private readonly onCommitted: () => void,
    writes: LocalWrites,
    /** Closes what the store was opened with (its opener's close, which calls end()). */
    private readonly onClose: () => Promise<void>,
  ) {
    super(writes);
  }

  protected commitBatch(
    appends: ReadonlyArray<readonly StreamAppend[]>,
    options: AppendOptions,
    mode: { throwFirstError: boolean },
  ): Promise<ReadonlyArray<AppendResult | Error>> {
    const run = this.#tail.then(() => this.#transaction(appends, options, mode.throwFirstError));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #transaction(
    appends: ReadonlyArray<readonly StreamAppend[]>,
    options: AppendOptions,
    throwFirstError: boolean,
  ): Promise<ReadonlyArray<AppendResult | Error>> {
    this.#open();
    const staged = new Staged();
    // Each append planned alone against what is stored plus what the earlier appends of this batch staged:
    // the same result as planning the batch at once, and an append the SQL side would reject fails alone
    // (as the SQL back ends isolate it in a savepoint).
    const results = appends.map((append) => this.#plan(append, staged));
    const failure = results.find((r) => r instanceof Error);
    if (throwFirstError && failure) throw failure;
    await options.inTransaction?.();
    this.#open();
    if (staged.rows.length > 0) {
      this.#apply(staged);
      this.onCommitted();
    }
    return results;
  }

  #plan(append: readonly StreamAppend[], staged: Staged): AppendResult | Error {
    const { streamIds, eventIds } = batchKeys([append]);
    const versions = new Map<string, number>();
    for (const id of streamIds)
      versions.set(id, staged.versions.get(id) ?? this.#streams.get(id)?.length ?? 0);
    const stored = new Set(eventIds.filter((id) => staged.ids.has(id) || this.#ids.has(id)));
    const plan = planAppends([append], versions, stored);
    const result = plan.results[0];
    if (!result) return new EventStoreError("append produced no result");
    if (result instanceof Error) return result;
    // jsonb cannot hold U+0000: PostgreSQL refuses such an event, and so does this store, so that a payload
    // that works here works there.
    if (plan.rows.some((row) => NUL_ESCAPE.test(row)))
      return new EventStoreError("append failed: an event holds \\u0000, which jsonb cannot store");
    const rows = plan.rows.map((row) => JSON.parse(row) as PlannedRow);
    for (const row of rows) {
      staged.rows.push(row);
      staged.ids.add(row.e);
    }
    for (const [streamId, version] of plan.versions) staged.versions.set(streamId, version);
    return result;
  }

  #apply(staged: Staged): void {
    this.#transactionId += 1n;
    const recordedAt = this.now();
    for (const row of staged.rows) {
      this.#position += 1n;
      const event: RecordedEvent = Object.freeze({
        position: this.#position,
        streamId: row.s,
        streamVersion: row.v,
        eventId: row.e,
        type: row.t,
        data: deepFreeze(row.d),
        metadata: deepFreeze(row.m),
        recordedAt,
        transactionId: this.#transactionId,
      });
      this.#log.push(event);
      this.#ids.add(row.e);
      let stream = this.#streams.get(row.s);
      if (!stream) {
        stream = [];
        this.#streams.set(row.s, stream);
      }
      stream.push(event);
    }
  }

  async readStream(streamId: string, options: { fromVersion?: number } = {}): Promise<RecordedEvent[]> {
    this.#open();
    return (this.#streams.get(streamId) ?? []).slice(Math.max(0, (options.fromVersion ?? 1) - 1));
  }

  async streamVersion(streamId: string): Promise<number> {
    this.#open();
    return this.#streams.get(streamId)?.length ?? 0;
  }

  async readAll(after: Checkpoint, options: { limit?: number } = {}): Promise<ReadAllResult> {
    this.#open();
    const limit = options.limit ?? 1000;
    // The log is in (transactionId, position) order: appends commit one at a time, in position order.
    let low = 0;
    let high = this.#log.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (isAfter(this.#log[mid] as RecordedEvent, after)) high = mid;
      else low = mid + 1;
    }
    const events = this.#log.slice(low, low + limit);
    const last = events.at(-1);
    const checkpoint = last ? { transactionId: last.transactionId, position: last.position } : after;
    // Nothing commits while a read runs, so nothing is ever held back behind a transaction in progress.
    return events.length >= limit ? { events, checkpoint } : { events, checkpoint, heldBack: false };
  }

  /** The next transaction id: every transaction before it has ended (none is ever left open). */
  horizon(): bigint {
    return this.#transactionId + 1n;
  }

  async close(): Promise<void> {
    await this.onClose();
  }

  /** Refuses every later call and waits for the append in progress. */
  async end(): Promise<void> {
    this.#closed = true;
    await this.#tail;
  }

  #open(): void {
    if (this.#closed) throw new EventStoreError("the in-memory event store is closed");
  }
}

function isAfter(event: RecordedEvent, checkpoint: Checkpoint): boolean {
  return (
    event.transactionId > checkpoint.transactionId ||
    (event.transactionId === checkpoint.transactionId && event.position > checkpoint.position)
  );
}

/**
 * Events are shared by every reader (nothing is copied out as the SQL back ends do), so they are frozen: a
 * reader that changed one would change what every later reader sees, and this makes that fail loudly.
 */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

export class MemoryCheckpointStore implements CheckpointStore {
  readonly #saved = new Map<string, Checkpoint>();

  async load(name: string): Promise<Checkpoint> {
    return this.#saved.get(name) ?? START;
  }

  async save(name: string, checkpoint: Checkpoint): Promise<void> {
    this.#saved.set(name, { transactionId: checkpoint.transactionId, position: checkpoint.position });
  }
}

export class MemoryBlobStore implements BlobStore {
  readonly #blobs = new Map<string, { readonly info: BlobInfo; readonly chunks: readonly Uint8Array[] }>();

  async put(blobId: string, contentType: string, chunks: readonly Uint8Array[]): Promise<BlobInfo> {
    if (this.#blobs.has(blobId)) throw new BlobExistsError(blobId);
    const hash = createHash("sha256");
    let size = 0;
    for (const c of chunks) {
      hash.update(c);
      size += c.byteLength;
    }
    const info: BlobInfo = { blobId, contentType, sizeBytes: size, sha256: hash.digest("hex") };
    this.#blobs.set(blobId, { info, chunks: chunks.map((c) => new Uint8Array(c)) });
    return info;
  }

  async info(blobId: string): Promise<BlobInfo | undefined> {
    return this.#blobs.get(blobId)?.info;
  }

  async *read(blobId: string): AsyncIterable<Uint8Array> {
    for (const chunk of this.#blobs.get(blobId)?.chunks ?? []) yield new Uint8Array(chunk);
  }

  async delete(blobId: string): Promise<boolean> {
    return this.#blobs.delete(blobId);
  }
}
