// Reading a deployment's whole event log for an audit (`switchyard check`): read-only end to end. Unlike
// openEventStore it creates no schema and runs no migration, and its sessions are read-only
// (default_transaction_read_only), so pointing it at production cannot change anything.
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { assertSchemaName, describeTarget } from "./connection.js";
import type { EventStoreDatabase } from "./database.js";
import { DatabaseUnreachableError, describeError, EventStoreError, isConnectFailure } from "./errors.js";
import type { RecordedEvent } from "./types.js";

/**
 * Every committed event of the schema, in position order, in pages. Not through `readAll`: a log follower
 * reads only below the cluster-wide snapshot horizon, so on a shared server another database's open
 * transaction would hide recent events from an audit; an audit wants everything committed.
 */
export async function readCommittedLog(
  db: Pick<Kysely<EventStoreDatabase>, "selectFrom">,
  pageSize = 5_000,
): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let after = "0";
  for (;;) {
    const rows = await db
      .selectFrom("events")
      .select([
        "position",
        "stream_id",
        "stream_version",
        "event_id",
        "type",
        "data",
        "metadata",
        "recorded_at",
        "transaction_id",
      ])
      .where("position", ">", after)
      .orderBy("position")
      .limit(pageSize)
      .execute();
    for (const r of rows)
      all.push({
        position: BigInt(r.position),
        streamId: r.stream_id,
        streamVersion: r.stream_version,
        eventId: r.event_id,
        type: r.type,
        data: r.data,
        metadata: r.metadata ?? {},
        recordedAt: new Date(r.recorded_at),
        transactionId: BigInt(r.transaction_id),
      });
    const last = rows.at(-1);
    if (!last) return all;
    after = String(last.position);
  }
}

export interface EventLogReader {
  /** The whole committed log, in position order. */
  readLog(): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

/** A read-only connection to a deployment's event store (PostgreSQL). */
export async function openEventLogReader(options: {
  readonly url: string;
  readonly schema?: string;
  readonly connectTimeoutMs?: number;
}): Promise<EventLogReader> {
  const schema = options.schema ?? "public";
  assertSchemaName(schema);
  const target = describeTarget(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: 2,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    options: `-c search_path=${schema} -c default_transaction_read_only=on`,
  });
  pool.on("error", () => undefined);
  try {
    const client = await pool.connect();
    try {
      const found = await client.query(
        "select 1 from information_schema.tables where table_schema = $1 and table_name = 'events'",
        [schema],
      );
      if (found.rowCount === 0)
        throw new EventStoreError(`schema ${schema} of ${target} holds no event store`);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (isConnectFailure(error))
      throw new DatabaseUnreachableError(target, describeError(error), { cause: error });
    throw error;
  }
  const db = new Kysely<EventStoreDatabase>({ dialect: new PostgresDialect({ pool }) });
  return {
    readLog: () => readCommittedLog(db),
    close: () => db.destroy(),
  };
}
