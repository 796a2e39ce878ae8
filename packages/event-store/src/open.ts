import { createHash } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from "kysely";
import type { Migration } from "kysely/migration";
import pg from "pg";
import { type BlobStore, SqlBlobStore } from "./blob-store.js";
import { assertSchemaName, describeTarget } from "./connection.js";
import type { EventStoreDatabase } from "./database.js";
import { DatabaseUnreachableError, describeError, EventStoreError, isConnectFailure } from "./errors.js";
import { AdvisoryLockLeadership, InProcessLeadership } from "./leadership.js";
import { LocalWrites } from "./local-writes.js";
import { MemoryBlobStore, MemoryCheckpointStore, MemoryEventStore } from "./memory-event-store.js";
import { migrate } from "./migrations.js";
import {
  appendChannel,
  CommitNotifier,
  InProcessAppendNotifications,
  PgAppendNotifications,
  pgNotifySender,
  snapshotHorizon,
} from "./notifications.js";
import { PGliteDialect } from "./pglite-dialect.js";
import { withSchemaMigrationLock } from "./schema-migration-lock.js";
import { PREPARE, SqlCheckpointStore, SqlEventStore, type SqlEventStoreApi } from "./sql-event-store.js";
import type { AppendNotifications, CheckpointStore, Leadership, SnapshotHorizon } from "./types.js";

export interface OpenEventStoreOptions {
  /** postgres://user:password@host:port/database. Without it the embedded PGlite back end is used. */
  readonly url?: string;
  /** Schema for all tables (created if missing, first on every connection's search_path). Default public. */
  readonly schema?: string;
  /** PGlite only: directory to persist to; in memory when absent. */
  readonly pglite?: { readonly dataDir?: string };
  /** pg only: pool size (default 10). */
  readonly poolSize?: number;
  /** pg only: connect timeout (default 5000 ms). */
  readonly connectTimeoutMs?: number;
  /** Migrations that run after the built-in ones (tests use it to prove a failed migration stops start-up). */
  readonly extraMigrations?: Readonly<Record<string, Migration>>;
}

/** What every back end opens: the event store and what lives beside it in the same database. */
export interface EventStoreHandle {
  readonly backend: "postgres" | "pglite" | "memory";
  readonly schema: string;
  readonly store: SqlEventStoreApi;
  readonly checkpoints: CheckpointStore;
  readonly leadership: Leadership;
  /** Uploaded files (audio), in the same database. */
  readonly blobs: BlobStore;
  /** Wake-ups when events are committed in this schema (LISTEN/NOTIFY on pg, in-process on PGlite). */
  readonly appends: AppendNotifications;
  /** This process's appends (a follower here can tell it has read them without asking the database). */
  readonly writes: LocalWrites;
  /** Where log readers are held (`pg_snapshot_xmin`) and by which backend (pg only). */
  horizon(): Promise<SnapshotHorizon>;
  /** Releases held leader locks and closes every connection. Idempotent; store.close() does the same. */
  close(): Promise<void>;
}

/** A back end over SQL: PostgreSQL or the embedded PGlite. */
export interface OpenedEventStore extends EventStoreHandle {
  readonly backend: "postgres" | "pglite";
  /** The kysely instance over the same database (projections, ad-hoc queries). */
  readonly db: Kysely<EventStoreDatabase>;
}

/**
 * Opens the store and runs migrations. Throws DatabaseUnreachableError when PostgreSQL cannot be
 * reached and MigrationError when a migration fails; in both cases nothing stays open.
 */
export async function openEventStore(options: OpenEventStoreOptions = {}): Promise<OpenedEventStore> {
  if (options.schema !== undefined) assertSchemaName(options.schema);
  return options.url ? openPostgres(options.url, options) : openPGlite(options);
}

/**
 * The event store in this process's memory (see MemoryEventStore): nothing survives the process. For
 * throwaway runs of the whole platform in one process, such as what-if re-runs; `now` stamps recorded_at
 * (the platform's clock, so that a run on a virtual clock records simulated time).
 */
export function openMemoryEventStore(options: { schema?: string; now?: () => Date } = {}): EventStoreHandle {
  if (options.schema !== undefined) assertSchemaName(options.schema);
  const schema = options.schema ?? "public";
  let closed = false;
  const appends = new InProcessAppendNotifications(appendChannel(schema), () => closed);
  const notifier = new CommitNotifier(() => appends.committed());
  const writes = new LocalWrites(true);
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      closed = true;
      await notifier.close();
      await store.end();
    })();
    return closing;
  };
  const store = new MemoryEventStore(options.now ?? (() => new Date()), () => notifier.poke(), writes, close);
  return {
    backend: "memory",
    schema,
    store,
    checkpoints: new MemoryCheckpointStore(),
    blobs: new MemoryBlobStore(),
    leadership: new InProcessLeadership(),
    appends,
    writes,
    horizon: async () => ({ xmin: store.horizon() }),
    close,
  };
}

async function openPostgres(url: string, options: OpenEventStoreOptions): Promise<OpenedEventStore> {
  const target = describeTarget(url);
  const schema = options.schema ?? "public";
  const connectionTimeoutMillis = options.connectTimeoutMs ?? 5000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // Errors of idle pooled clients (server restart) surface on the next query; without a listener the
  // pool would crash the process.
  pool.on("error", () => undefined);
  try {
    const client = await pool.connect();
    try {
      if (options.schema) await createSchema(client, options.schema);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (isConnectFailure(error)) {
      throw new DatabaseUnreachableError(target, describeError(error), { cause: error });
    }
    throw new EventStoreError(`preparing schema ${schema} failed: ${describeError(error)}`, { cause: error });
  }
  const db = new Kysely<EventStoreDatabase>({
    dialect: withSchemaMigrationLock(new PostgresDialect({ pool: new PreparingPool(pool) }), schema),
  });
  const leadership = new AdvisoryLockLeadership(
    { connectionString: url, connectionTimeoutMillis },
    target,
    schema,
  );
  const channel = appendChannel(schema);
  const appends = new PgAppendNotifications(
    channel,
    { connectionString: url, connectionTimeoutMillis },
    target,
  );
  const sender = pgNotifySender(channel, { connectionString: url, connectionTimeoutMillis });
  const notifier = new CommitNotifier(sender.send);
  return finishOpen(
    db,
    "postgres",
    options,
    async () => {
      await notifier.close();
      await Promise.all([leadership.releaseAll(), appends.closeAll(), sender.close()]);
    },
    leadership,
    target,
    appends,
    notifier,
  );
}

async function openPGlite(options: OpenEventStoreOptions): Promise<OpenedEventStore> {
  const pglite = options.pglite?.dataDir ? new PGlite(options.pglite.dataDir) : new PGlite();
  try {
    await pglite.waitReady;
    if (options.schema) {
      await pglite.exec(
        `create schema if not exists ${options.schema}; set search_path to ${options.schema}`,
      );
    }
  } catch (error) {
    await pglite.close().catch(() => undefined);
    throw new EventStoreError(`starting PGlite failed: ${describeError(error)}`, { cause: error });
  }
  const db = new Kysely<EventStoreDatabase>({
    dialect: withSchemaMigrationLock(new PGliteDialect(pglite), options.schema ?? "public"),
  });
  const target = `PGlite ${options.pglite?.dataDir ?? "(in memory)"}`;
  const channel = appendChannel(options.schema ?? "public");
  const appends = new InProcessAppendNotifications(channel, () => pglite.closed);
  const notifier = new CommitNotifier(() => appends.committed());
  return finishOpen(
    db,
    "pglite",
    options,
    () => notifier.close(),
    new InProcessLeadership(),
    target,
    appends,
    notifier,
  );
}

async function finishOpen(
  db: Kysely<EventStoreDatabase>,
  backend: OpenedEventStore["backend"],
  options: OpenEventStoreOptions,
  beforeDestroy: () => Promise<void>,
  leadership: Leadership,
  target: string,
  appends: AppendNotifications,
  notifier: CommitNotifier,
): Promise<OpenedEventStore> {
  const writes = new LocalWrites(backend === "pglite");
  try {
    await migrate(db as Kysely<unknown>, {
      ...(options.schema ? { schema: options.schema } : {}),
      ...(options.extraMigrations ? { extra: options.extraMigrations } : {}),
    });
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await beforeDestroy();
      await db.destroy();
    })();
    return closing;
  };
  return {
    backend,
    schema: options.schema ?? "public",
    store: new SqlEventStore(db, close, target, () => notifier.poke(), writes),
    checkpoints: new SqlCheckpointStore(db, target),
    blobs: new SqlBlobStore(db),
    leadership,
    db,
    appends,
    writes,
    horizon: () => snapshotHorizon(db, backend),
    close,
  };
}

async function createSchema(client: pg.PoolClient, schema: string): Promise<void> {
  try {
    await client.query(`create schema if not exists ${schema}`);
  } catch (error) {
    // "if not exists" is not atomic: a concurrent opener can create it between the check and the insert.
    const code = (error as { code?: unknown }).code;
    if (code !== "23505" && code !== "42P06") throw error;
  }
}

/** Drops a schema and everything in it (tests: clean up the suite's own schema). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  assertSchemaName(schema);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}

/**
 * Runs statements that start with the PREPARE marker as named prepared statements, so PostgreSQL parses
 * and plans the append path's statements once per connection instead of on every append.
 */
class PreparingPool implements PostgresPool {
  readonly #clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  constructor(private readonly pool: pg.Pool) {}

  // Used by kysely only to open a control connection when a query is aborted.
  get Client(): PostgresPool["Client"] {
    return (this.pool as unknown as { Client?: PostgresPool["Client"] }).Client;
  }

  get options(): object {
    return this.pool.options;
  }

  async connect(): Promise<PostgresPoolClient> {
    const client = await this.pool.connect();
    let wrapped = this.#clients.get(client);
    if (!wrapped) {
      // The pool listens for errors of idle clients only. A checked-out client whose server goes away
      // (PostgreSQL restarted mid-query) emits 'error' with no listener, which would crash the process:
      // its queries are rejected anyway, and the pool drops it on release. Found by the chaos run (a relay
      // killed by a fast shutdown of PostgreSQL).
      client.on("error", () => undefined);
      wrapped = new Proxy(client, {
        get(target, property) {
          if (property === "query") {
            return (text: unknown, values?: unknown[]) =>
              typeof text === "string" && text.startsWith(PREPARE)
                ? target.query({ name: statementName(text), text, values: values ?? [] })
                : (target.query as (t: unknown, v?: unknown[]) => unknown)(text, values);
          }
          const value = Reflect.get(target, property, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      }) as unknown as PostgresPoolClient;
      this.#clients.set(client, wrapped);
    }
    return wrapped;
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `es_${createHash("sha1").update(text).digest("hex").slice(0, 16)}`;
    statementNames.set(text, name);
  }
  return name;
}
