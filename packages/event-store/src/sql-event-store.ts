import { type Kysely, sql, type Transaction } from "kysely";
import { batchKeys, planAppends } from "./append-plan.js";
import { type AppendRow, type AppendStatement, appendStatement } from "./append-statement.js";
import type { EventStoreDatabase } from "./database.js";
import { DatabaseUnreachableError, describeError, EventStoreError, isConnectFailure } from "./errors.js";
import { LocalWrites } from "./local-writes.js";
import type {
  AppendResult,
  Checkpoint,
  CheckpointStore,
  EventMetadata,
  EventStore,
  ReadAllResult,
  RecordedEvent,
  StreamAppend,
} from "./types.js";
import { START } from "./types.js";

export interface AppendOptions {
  /**
   * Test hook: runs inside the transaction after the events are written and before COMMIT. Throwing
   * rolls the whole transaction back (and the append/appendMany call rejects with that error).
   */
  readonly inTransaction?: () => Promise<void>;
}

/** EventStore with the optional per-call options this implementation accepts. */
export interface SqlEventStoreApi extends EventStore {
  append(streams: readonly StreamAppend[], options?: AppendOptions): Promise<AppendResult>;
  appendMany(
    appends: ReadonlyArray<readonly StreamAppend[]>,
    options?: AppendOptions,
  ): Promise<ReadonlyArray<AppendResult | Error>>;
}

type Db = Kysely<EventStoreDatabase>;
type Tx = Transaction<EventStoreDatabase>;

interface EventRow {
  position: string;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata | null;
  recorded_at: Date | string;
  transaction_id: string;
}

const MAX_ATTEMPTS = 3;

/** Marks a statement to run as a named prepared statement on pg (see PreparingPool in open.ts). */
export const PREPARE = "/* prepare */";
const prepare = sql.raw(PREPARE);

// bigint and xid8 come back as text (exact, and the same from pg and PGlite). The aliases shadow the
// table's column names, so ORDER BY clauses must use the qualified e.column: a bare `position` would sort
// the text alias ("10" < "8").
const EVENT_COLUMNS = sql.raw(
  "e.position::text as position, e.stream_id, e.stream_version, e.event_id::text as event_id, e.type, e.data, " +
    "e.metadata, e.recorded_at, e.transaction_id::text as transaction_id",
);

/**
 * append and appendMany over one batch commit (each back end's transaction), counted in this process's
 * writes while in flight. `append` is a batch of one that throws its failure and commits nothing.
 */
export abstract class BatchCommitStore {
  constructor(readonly writes: LocalWrites) {}

  protected abstract commitBatch(
    appends: ReadonlyArray<readonly StreamAppend[]>,
    options: AppendOptions,
    mode: { throwFirstError: boolean },
  ): Promise<ReadonlyArray<AppendResult | Error>>;

  async append(streams: readonly StreamAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    const [result] = await this.#commit([streams], options, { throwFirstError: true });
    if (result instanceof Error) throw result;
    if (!result) throw new EventStoreError("append produced no result");
    return result;
  }

  async appendMany(
    appends: ReadonlyArray<readonly StreamAppend[]>,
    options: AppendOptions = {},
  ): Promise<ReadonlyArray<AppendResult | Error>> {
    if (appends.length === 0) return [];
    return this.#commit(appends, options, { throwFirstError: false });
  }

  #commit(
    appends: ReadonlyArray<readonly StreamAppend[]>,
    options: AppendOptions,
    mode: { throwFirstError: boolean },
  ): Promise<ReadonlyArray<AppendResult | Error>> {
    return this.writes.track(
      () => this.commitBatch(appends, options, mode),
      (results) => results.some((r) => !(r instanceof Error) && r.written > 0),
    );
  }
}

export class SqlEventStore extends BatchCommitStore implements SqlEventStoreApi {
  constructor(
    private readonly db: Db,
    private readonly onClose: () => Promise<void>,
    /** host:port/database (or "PGlite"), for DatabaseUnreachableError messages. */
    private readonly target: string,
    /** Called after each commit that wrote events (wakes log followers; see CommitNotifier). */
    private readonly onCommitted: () => void = () => undefined,
    /** This process's appends (see LocalWrites); not exclusive unless the opener says so. */
    writes: LocalWrites = new LocalWrites(false),
  ) {
    super(writes);
  }

  #committed(results: ReadonlyArray<AppendResult | Error>): ReadonlyArray<AppendResult | Error> {
    if (results.some((r) => !(r instanceof Error) && r.written > 0)) this.onCommitted();
    return results;
  }

  private wrap(error: unknown, message: string): Error {
    return wrap(error, message, this.target);
  }

  protected commitBatch(
    appends: ReadonlyArray<readonly StreamAppend[]>,
    options: AppendOptions,
    mode: { throwFirstError: boolean },
  ): Promise<ReadonlyArray<AppendResult | Error>> {
    return this.#commitTracked(appends, options, mode);
  }

  async #commitTracked(
    appends: ReadonlyArray<readonly StreamAppend[]>,
    options: AppendOptions,
    mode: { throwFirstError: boolean },
  ): Promise<ReadonlyArray<AppendResult | Error>> {
    // The test hook needs a transaction to run in; everything else is one autocommit statement.
    const statement = options.inTransaction ? undefined : appendStatement(appends);
    for (let attempt = 1; ; attempt++) {
      const hook = new HookRunner(options);
      try {
        const results = statement
          ? await this.#appendStatement(statement)
          : await this.#appendTransaction(appends, hook, mode);
        // A failed single append wrote nothing (in the transaction path it was rolled back).
        const failure = mode.throwFirstError ? results.find((r) => r instanceof Error) : undefined;
        if (failure) throw failure;
        return this.#committed(results);
      } catch (error) {
        if (hook.failed || error instanceof EventStoreError) throw error;
        if (isRetryable(error) && attempt < MAX_ATTEMPTS) continue;
        // One append broke the batch statement (e.g. a payload PostgreSQL rejects): isolate each append
        // in its own savepoint so only the offending one fails.
        if (appends.length > 1 && isStatementError(error)) return this.#commitIsolated(appends, options);
        throw this.wrap(error, "append failed");
      }
    }
  }

  /** The batch in one round trip: event_store_append locks, reads, decides and writes (migrations.ts). */
  async #appendStatement(statement: AppendStatement): Promise<ReadonlyArray<AppendResult | Error>> {
    if (statement.payload === undefined) return statement.results([]);
    const { rows } = await sql<AppendRow>`${prepare}
      select append_no, written, versions, mismatch
      from event_store_append(${statement.payload}::text::jsonb)`.execute(this.db);
    return statement.results(rows);
  }

  #appendTransaction(
    appends: ReadonlyArray<readonly StreamAppend[]>,
    hook: HookRunner,
    mode: { throwFirstError: boolean },
  ): Promise<ReadonlyArray<AppendResult | Error>> {
    return this.db.transaction().execute(async (trx) => {
      const results = await writeBatch(trx, appends);
      const failure = results.find((r) => r instanceof Error);
      // A single append that failed writes nothing: roll back rather than commit the lock-only work.
      if (mode.throwFirstError && failure) throw failure;
      await hook.run();
      return results;
    });
  }

  async #commitIsolated(
    appends: ReadonlyArray<readonly StreamAppend[]>,
    options: AppendOptions,
  ): Promise<ReadonlyArray<AppendResult | Error>> {
    const hook = new HookRunner(options);
    try {
      const committed = await this.db.transaction().execute(async (trx) => {
        // All locks before the first write (see writeBatch), and outside the savepoints.
        await lockAndRead(trx, batchKeys(appends).streamIds, [], true);
        const results: Array<AppendResult | Error> = [];
        for (const [index, append] of appends.entries()) {
          const savepoint = sql.raw(`append_${index}`);
          let result: AppendResult | Error | undefined;
          for (let attempt = 1; result === undefined; attempt++) {
            await sql`savepoint ${savepoint}`.execute(trx);
            try {
              [result] = await writeBatch(trx, [append], { locked: true });
              await sql`release savepoint ${savepoint}`.execute(trx);
            } catch (error) {
              await sql`rollback to savepoint ${savepoint}`.execute(trx);
              await sql`release savepoint ${savepoint}`.execute(trx);
              if (!(isRetryable(error) && attempt < MAX_ATTEMPTS)) result = this.wrap(error, "append failed");
            }
          }
          results.push(result);
        }
        await hook.run();
        return results;
      });
      return this.#committed(committed);
    } catch (error) {
      if (hook.failed) throw error;
      throw this.wrap(error, "append failed");
    }
  }

  async readStream(streamId: string, options: { fromVersion?: number } = {}): Promise<RecordedEvent[]> {
    try {
      const { rows } = await sql<EventRow>`
        select ${EVENT_COLUMNS}
        from events as e
        where e.stream_id = ${streamId} and e.stream_version >= ${options.fromVersion ?? 1}
        order by e.stream_version`.execute(this.db);
      return rows.map(toRecorded);
    } catch (error) {
      throw this.wrap(error, `reading stream ${streamId} failed`);
    }
  }

  async streamVersion(streamId: string): Promise<number> {
    try {
      const { rows } = await sql<{ version: number }>`
        select version from streams where stream_id = ${streamId}`.execute(this.db);
      return rows[0]?.version ?? 0;
    } catch (error) {
      throw this.wrap(error, `reading version of stream ${streamId} failed`);
    }
  }

  async readAll(after: Checkpoint, options: { limit?: number } = {}): Promise<ReadAllResult> {
    const limit = options.limit ?? 1000;
    try {
      // Only transactions older than every transaction still in progress are read: a transaction that
      // got its id earlier but commits later is waited for instead of being skipped forever.
      const { rows } = await sql<EventRow>`
        select ${EVENT_COLUMNS}
        from events as e
        where (e.transaction_id, e.position) > (${after.transactionId.toString()}::text::xid8, ${after.position.toString()}::bigint)
          and e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        order by e.transaction_id, e.position
        limit ${limit}`.execute(this.db);
      const events = rows.map(toRecorded);
      const last = events.at(-1);
      const checkpoint = last ? { transactionId: last.transactionId, position: last.position } : after;
      if (events.length >= limit) return { events, checkpoint };
      // The embedded PGlite is one session: no transaction can be open while this read runs, so nothing can
      // be held back.
      if (this.writes.exclusive) return { events, checkpoint, heldBack: false };
      // Caught up: say whether committed events wait behind a transaction still running, so a follower
      // woken by a notification knows to read again soon (the holder may be a transaction that never
      // notifies, e.g. in another database: xmin is cluster-wide).
      // Ordered and limited like the read above, so that it is an index probe: a bare `exists` is planned
      // as a scan of the whole log where the table has no statistics (PGlite never analyzes), which made
      // every read of a caught-up follower cost more as the log grew.
      const held = await sql<{ one: number }>`
        select 1 as one from events as e
        where (e.transaction_id, e.position) > (${checkpoint.transactionId.toString()}::text::xid8, ${checkpoint.position.toString()}::bigint)
        order by e.transaction_id, e.position
        limit 1`.execute(this.db);
      return { events, checkpoint, heldBack: held.rows.length > 0 };
    } catch (error) {
      throw this.wrap(error, "reading the log failed");
    }
  }

  async close(): Promise<void> {
    await this.onClose();
  }
}

/**
 * One batch inside an open transaction: lock every touched stream and read versions and already-stored
 * event ids (one round trip), decide each append in JS, then write all events and versions with one
 * statement. The path of the test hook and of the savepoint fallback; appends without either go through
 * event_store_append, which does the same in one statement.
 *
 * Why advisory locks and not row locks on `streams`: a row lock needs a transaction id, so a writer
 * that is still waiting for its second stream would already hold an xid older than the writer it waits
 * for. Readers order by (transaction_id, position), and would then see that stream's later versions
 * before its earlier ones. Advisory locks need no xid; the xid is assigned by the first write, after
 * every lock is held, so per stream, xid order is version order. (Found by the readAll property test.)
 */
async function writeBatch(
  trx: Tx,
  appends: ReadonlyArray<readonly StreamAppend[]>,
  options: { locked?: boolean } = {},
): Promise<ReadonlyArray<AppendResult | Error>> {
  const { streamIds, eventIds } = batchKeys(appends);
  const { rows } = await lockAndRead(trx, streamIds, eventIds, !options.locked);
  const current = new Map<string, number>();
  const stored = new Set<string>();
  for (const row of rows) {
    if (row.kind === "s") current.set(row.id, row.version ?? 0);
    else stored.add(row.id);
  }
  const plan = planAppends(appends, current, stored);
  if (plan.rows.length > 0 || plan.versions.size > 0) {
    const versions = JSON.stringify(
      [...plan.versions].map(([stream_id, version]) => ({ stream_id, version })),
    );
    await sql`${prepare}
      with bumped as (
        insert into streams (stream_id, version)
        select v.stream_id, v.version from jsonb_to_recordset(${versions}::text::jsonb) as v(stream_id text, version integer)
        on conflict (stream_id) do update set version = excluded.version
      )
      insert into events (stream_id, stream_version, event_id, type, data, metadata)
      select r.s, r.v, r.e, r.t, coalesce(r.d, 'null'::jsonb), coalesce(r.m, '{}'::jsonb)
      from jsonb_to_recordset(${`[${plan.rows.join(",")}]`}::text::jsonb)
        as r(s text, v integer, e uuid, t text, d jsonb, m jsonb)`.execute(trx);
  }
  return plan.results;
}

function lockAndRead(trx: Tx, streamIds: readonly string[], eventIds: readonly string[], takeLocks: boolean) {
  return sql<{ kind: "s" | "e"; id: string; version: number | null }>`${prepare}
    select kind, id, version from event_store_lock_and_read(
      ${JSON.stringify(streamIds)}::text::jsonb, ${JSON.stringify(eventIds)}::text::jsonb, ${takeLocks}::boolean)`.execute(
    trx,
  );
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    position: BigInt(row.position),
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    eventId: row.event_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata ?? {},
    recordedAt: row.recorded_at instanceof Date ? row.recorded_at : new Date(row.recorded_at),
    transactionId: BigInt(row.transaction_id),
  };
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * A concurrent insert of the same event id into another stream (the next attempt sees it stored), a
 * deadlock or a serialisation failure: try again. A duplicate stream version is NOT retried: the stream
 * locks make it impossible, so it would be a bug to surface.
 */
function isRetryable(error: unknown): boolean {
  const code = sqlState(error);
  const constraint = (error as { constraint?: unknown }).constraint;
  return (code === "23505" && constraint === "events_event_id_key") || code === "40P01" || code === "40001";
}

/** An error PostgreSQL raised for a statement (SQLSTATE class other than connection problems). */
function isStatementError(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith("08") && !code.startsWith("57");
}

/** Runs the test hook and remembers whether it threw, so its error is passed through unchanged. */
class HookRunner {
  failed = false;
  constructor(private readonly options: AppendOptions) {}
  async run(): Promise<void> {
    if (!this.options.inTransaction) return;
    try {
      await this.options.inTransaction();
    } catch (error) {
      this.failed = true;
      throw error;
    }
  }
}

export function wrap(error: unknown, message: string, target: string): Error {
  if (error instanceof EventStoreError) return error;
  if (isConnectFailure(error))
    return new DatabaseUnreachableError(target, describeError(error), { cause: error });
  const detail = error instanceof Error ? error.message : String(error);
  return new EventStoreError(`${message}: ${detail}`, { cause: error });
}

export function checkpointFrom(row: { transaction_id: string; position: string } | undefined): Checkpoint {
  return row ? { transactionId: BigInt(row.transaction_id), position: BigInt(row.position) } : START;
}

export class SqlCheckpointStore implements CheckpointStore {
  constructor(
    private readonly db: Db,
    private readonly target: string,
  ) {}

  private wrap(error: unknown, message: string): Error {
    return wrap(error, message, this.target);
  }

  async load(name: string): Promise<Checkpoint> {
    try {
      const { rows } = await sql<{ transaction_id: string; position: string }>`
        select transaction_id::text as transaction_id, position::text as position
        from checkpoints where name = ${name}`.execute(this.db);
      return checkpointFrom(rows[0]);
    } catch (error) {
      throw this.wrap(error, `loading checkpoint ${name} failed`);
    }
  }

  async save(name: string, checkpoint: Checkpoint): Promise<void> {
    try {
      await sql`
        insert into checkpoints (name, transaction_id, position)
        values (${name}, ${checkpoint.transactionId.toString()}::text::xid8, ${checkpoint.position.toString()}::bigint)
        on conflict (name) do update
          set transaction_id = excluded.transaction_id, position = excluded.position, updated_at = now()`.execute(
        this.db,
      );
    } catch (error) {
      throw this.wrap(error, `saving checkpoint ${name} failed`);
    }
  }
}
