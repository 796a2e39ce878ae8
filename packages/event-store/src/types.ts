// The event store's public contract. Services and the relay depend on this shape only; the PostgreSQL
// (node-postgres) and PGlite back ends both implement it.

/** What a writer expects the stream to look like before its events are added. */
export type ExpectedVersion =
  | number // the stream's current version (the version of its last event; the first event is version 1)
  | "no_stream" // the stream must not exist yet
  | "stream_exists" // the stream must have at least one event
  | "any"; // no check

export interface EventMetadata {
  readonly correlationId?: string;
  readonly causationId?: string;
  /** W3C trace context of the operation that wrote the event. */
  readonly traceparent?: string;
  readonly tracestate?: string;
  readonly actor?: string;
  readonly [key: string]: unknown;
}

export interface NewEvent {
  /** uuid; re-appending an event id that is already stored is a no-op. */
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata?: EventMetadata;
}

export interface StreamAppend {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly NewEvent[];
}

export interface RecordedEvent {
  /** Global position (bigint identity); increases with insertion, not necessarily with commit order. */
  readonly position: bigint;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
  readonly recordedAt: Date;
  /** The writing transaction's id (xid8). */
  readonly transactionId: bigint;
}

export interface AppendResult {
  /** Per stream: its version after the append. */
  readonly streams: ReadonlyArray<{ readonly streamId: string; readonly version: number }>;
  /** Events actually written (already-stored event ids are skipped, not duplicated). */
  readonly written: number;
}

/**
 * Where a follower of the whole log has got to. Events are read in (transactionId, position) order and
 * only from transactions older than every transaction still running, so a late commit is never skipped.
 */
export interface Checkpoint {
  readonly transactionId: bigint;
  readonly position: bigint;
}

export const START: Checkpoint = { transactionId: 0n, position: 0n };

export interface ReadAllResult {
  readonly events: readonly RecordedEvent[];
  /** The checkpoint after the last returned event (unchanged if none). */
  readonly checkpoint: Checkpoint;
  /**
   * Set when fewer than `limit` events came back: true when events after the checkpoint are already
   * committed but held back behind an older transaction still in progress (they become readable when it
   * ends, and that transaction may never notify: a follower should read again soon).
   */
  readonly heldBack?: boolean;
}

export interface EventStore {
  /** Atomic across all given streams; throws WrongExpectedVersionError and writes nothing on a mismatch. */
  append(streams: readonly StreamAppend[]): Promise<AppendResult>;
  /**
   * Grouped commit: many independent appends (e.g. from many calls) share one transaction, each with its
   * own expected-version checks and its own result. A conflict in one does not fail the others.
   */
  appendMany(appends: ReadonlyArray<readonly StreamAppend[]>): Promise<ReadonlyArray<AppendResult | Error>>;
  readStream(streamId: string, options?: { fromVersion?: number }): Promise<RecordedEvent[]>;
  /** The stream's current version, 0 when it does not exist. */
  streamVersion(streamId: string): Promise<number>;
  readAll(after: Checkpoint, options?: { limit?: number }): Promise<ReadAllResult>;
  close(): Promise<void>;
}

/** Durable named checkpoints for log followers (the relay, projections), stored in the same database. */
export interface CheckpointStore {
  load(name: string): Promise<Checkpoint>;
  save(name: string, checkpoint: Checkpoint): Promise<void>;
}

/**
 * Exactly one holder at a time among all processes using the database (PostgreSQL session advisory lock
 * on a dedicated connection). If the holder's process dies, its connection closes and the lock is free.
 */
export interface LeaderLock {
  /** Resolves false when the connection holding the lock was lost (leadership may be gone). */
  isHeld(): Promise<boolean>;
  release(): Promise<void>;
}

export interface Leadership {
  /** Non-blocking: a lock, or null when another session holds it. */
  tryAcquire(name: string): Promise<LeaderLock | null>;
}

/** Stops a subscription; idempotent. */
export interface AppendSubscription {
  close(): Promise<void>;
}

/**
 * Wakes log followers when events are committed (PostgreSQL LISTEN/NOTIFY, fed by a trigger on the
 * events table of this schema, so every writer notifies). A wake-up says only "read again": several
 * commits may fold into one call, and a commit may wake a reader before older transactions end.
 */
export interface AppendNotifications {
  /** The channel listened on (`es_<schema>`, at most 63 bytes). */
  readonly channel: string;
  /**
   * Resolves once listening. `onLost` is called at most once if the listening connection fails; the
   * subscription is then dead and the caller may listen again.
   */
  listen(onAppend: () => void, onLost?: (error: Error) => void): Promise<AppendSubscription>;
}

/** The oldest transaction still running on the server (it holds `pg_snapshot_xmin`), when one has an xid. */
export interface HorizonHolder {
  readonly pid: number;
  /** Its transaction id (32-bit `backend_xid`, as text). */
  readonly xid: string;
  /** How long its transaction has been open, by the server's clock. */
  readonly xactAgeMs: number;
  readonly state: string | null;
  readonly database: string | null;
  readonly application: string | null;
  /** The first 200 characters of its current or last statement. */
  readonly query: string | null;
}

export interface SnapshotHorizon {
  /** `pg_snapshot_xmin(pg_current_snapshot())`: log readers see no transaction at or after it. */
  readonly xmin: bigint;
  /** The backend whose transaction is `xmin`, when pg_stat_activity shows it (not on PGlite). */
  readonly holder?: HorizonHolder;
}
