import { type Kysely, sql } from "kysely";
import { type Migration, type MigrationProvider, Migrator } from "kysely/migration";
import { MigrationError } from "./errors.js";

// Explicit, ordered list: names sort by their timestamp prefix, and a migration that already ran is
// never edited; new ones are appended with a later timestamp.
export const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  "2026-11-24T0900-create-events": {
    async up(db: Kysely<unknown>) {
      await sql`
        create table events (
          position bigint generated always as identity primary key,
          stream_id text not null,
          stream_version integer not null,
          event_id uuid not null unique,
          type text not null,
          data jsonb not null,
          metadata jsonb not null default '{}'::jsonb,
          recorded_at timestamptz not null default now(),
          transaction_id xid8 not null default pg_current_xact_id(),
          unique (stream_id, stream_version)
        )`.execute(db);
      await sql`create index events_transaction_id_position_idx on events (transaction_id, position)`.execute(
        db,
      );
    },
  },
  "2026-11-24T0901-create-streams": {
    async up(db: Kysely<unknown>) {
      // One row per stream that has events: its current version, which the expected-version check reads
      // while holding the stream's advisory lock (see lockStreams in sql-event-store.ts).
      await sql`
        create table streams (
          stream_id text primary key,
          version integer not null check (version >= 0)
        )`.execute(db);
    },
  },
  "2026-11-24T0902-create-checkpoints": {
    async up(db: Kysely<unknown>) {
      await sql`
        create table checkpoints (
          name text primary key,
          transaction_id xid8 not null,
          position bigint not null,
          updated_at timestamptz not null default now()
        )`.execute(db);
    },
  },
  "2026-11-24T0903-create-lock-and-read-function": {
    async up(db: Kysely<unknown>) {
      // The append hot path in one round trip: take the streams' advisory locks (key order, no xid
      // needed), then read versions and already-stored event ids. VOLATILE, so each query inside takes a
      // fresh snapshot and the reads see what the previous holder of a lock committed.
      await sql`
        create function event_store_lock_and_read(stream_ids jsonb, event_ids jsonb, take_locks boolean)
        returns table (kind text, id text, version integer)
        language plpgsql volatile as $fn$
        begin
          if take_locks then
            perform count(pg_advisory_xact_lock(hashtext(current_schema()), k.key))
            from (
              select distinct hashtext(s) as key from jsonb_array_elements_text(stream_ids) as s order by key
            ) as k;
          end if;
          return query
            select 's'::text, st.stream_id, st.version
            from jsonb_array_elements_text(stream_ids) as x (id) join streams as st on st.stream_id = x.id
            union all
            select 'e'::text, ev.event_id::text, null::integer
            from jsonb_array_elements_text(event_ids) as x (id) join events as ev on ev.event_id = x.id::uuid;
        end
        $fn$`.execute(db);
    },
  },
  "2026-11-30T1300-notify-on-append": {
    async up(db: Kysely<unknown>) {
      // Log followers (the relay) LISTEN instead of polling. One NOTIFY per statement that inserts events,
      // delivered at COMMIT; PostgreSQL folds identical notifications of one transaction into one, so a
      // grouped commit costs one. The channel is derived from the table's schema (not the search_path), so
      // every writer notifies the followers of its own schema (see appendChannel in notifications.ts).
      await sql`
        create function event_store_notify_append() returns trigger
        language plpgsql as $fn$
        begin
          perform pg_notify(left('es_' || tg_table_schema, 63), '');
          return null;
        end
        $fn$`.execute(db);
      await sql`
        create trigger events_notify_append after insert on events
        for each statement execute function event_store_notify_append()`.execute(db);
    },
  },
  "2026-11-30T1400-notify-after-commit": {
    async up(db: Kysely<unknown>) {
      // A NOTIFY inside the appending transaction takes a server-wide lock held until after that
      // transaction's commit is flushed, so every appending transaction waited for the previous one's
      // fsync (pnpm bench showed router sessions in `Lock:object`). The store now notifies after the
      // commit instead, from a connection of its own (notifications.ts, CommitNotifier).
      await sql`drop trigger if exists events_notify_append on events`.execute(db);
      await sql`drop function if exists event_store_notify_append()`.execute(db);
    },
  },
  "2026-11-30T1500-create-blobs": {
    async up(db: Kysely<unknown>) {
      // Uploaded files (audio for hold music, greetings, whispers) in chunks of a bounded size, so a file
      // is written and read without holding it whole in one value. What a blob is for is an event's
      // business; this only keeps the bytes.
      await sql`
        create table blobs (
          blob_id text primary key,
          content_type text not null,
          size_bytes bigint not null check (size_bytes >= 0),
          sha256 text not null,
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`
        create table blob_chunks (
          blob_id text not null references blobs (blob_id) on delete cascade,
          seq integer not null check (seq >= 0),
          data bytea not null,
          primary key (blob_id, seq)
        )`.execute(db);
    },
  },
  "2026-12-01T1700-create-append-function": {
    async up(db: Kysely<unknown>) {
      // A whole batch of appends in one statement, so that the common case (a batch of one, in autocommit)
      // is one round trip instead of BEGIN, lock-and-read, insert and COMMIT. The argument is built by
      // appendStatement (append-statement.ts), which documents its layout; the rules are planAppends'
      // (append-plan.ts), applied per append in batch order, each seeing the earlier ones' effects.
      //
      // The streams' advisory locks come first, with the same keys and in the same order as
      // event_store_lock_and_read: no write before them, so the transaction id is assigned after every lock
      // is held and per stream xid order is version order (see writeBatch in sql-event-store.ts). VOLATILE,
      // so the reads after the locks take a fresh snapshot and see what the previous holder committed.
      // Versions and stored ids are looked up by correlated subqueries, which are index probes whatever
      // the planner knows about the tables (PGlite never analyzes).
      await sql`
        create function event_store_append(appends jsonb)
        returns table (append_no integer, written integer, versions integer[], mismatch integer)
        language plpgsql volatile as $fn$
        declare
          stream_ids text[];
          stream_versions integer[];
          initial_versions integer[];
          event_ids uuid[] := translate(appends->>'i', '[]', '{}')::uuid[];
          stored boolean[];
          entry_append integer[] := translate(appends->>'a', '[]', '{}')::integer[];
          entry_stream integer[] := translate(appends->>'k', '[]', '{}')::integer[];
          entry_expected bigint[] := translate(appends->>'x', '[]', '{}')::bigint[];
          event_entry integer[] := translate(appends->>'n', '[]', '{}')::integer[];
          event_id_no integer[] := translate(appends->>'j', '[]', '{}')::integer[];
          event_version integer[] := array_fill(null::integer, array[cardinality(event_entry)]);
          entries integer := cardinality(entry_append);
          events_total integer := cardinality(event_entry);
          next_entry integer := 1;
          next_event integer := 1;
          first_entry integer;
          first_event integer;
          retry boolean;
          expected bigint;
          actual integer;
          s integer;
          total integer := 0;
        begin
          perform count(pg_advisory_xact_lock(hashtext(current_schema()), k.key))
          from (
            select distinct hashtext(x) as key from jsonb_array_elements_text(appends->'s') as x order by key
          ) as k;

          select array_agg(x.id order by x.o),
                 array_agg(coalesce((select st.version from streams as st where st.stream_id = x.id), 0) order by x.o)
            into stream_ids, stream_versions
          from jsonb_array_elements_text(appends->'s') with ordinality as x (id, o);
          initial_versions := stream_versions;
          select array_agg(exists (select 1 from events as ev where ev.event_id = x.id) order by x.o)
            into stored
          from unnest(event_ids) with ordinality as x (id, o);

          for a in 1..coalesce(entry_append[entries], 0) loop
            first_entry := next_entry;
            while next_entry <= entries and entry_append[next_entry] = a loop
              next_entry := next_entry + 1;
            end loop;
            first_event := next_event;
            while next_event <= events_total and event_entry[next_event] < next_entry loop
              next_event := next_event + 1;
            end loop;
            append_no := a;
            mismatch := null;

            -- All events already stored: a retry, whatever the expected versions say.
            retry := next_event > first_event;
            for i in first_event..next_event - 1 loop
              if not stored[event_id_no[i]] then
                retry := false;
                exit;
              end if;
            end loop;
            if not retry then
              for i in first_entry..next_entry - 1 loop
                expected := entry_expected[i];
                actual := stream_versions[entry_stream[i]];
                if not (expected = -1 or (expected = -2 and actual = 0) or (expected = -3 and actual > 0)
                        or expected = actual) then
                  mismatch := i - first_entry;
                  exit;
                end if;
              end loop;
            end if;

            written := case when retry then 0 when mismatch is null then 0 end;
            if not retry and mismatch is null then
              for i in first_event..next_event - 1 loop
                if not stored[event_id_no[i]] then
                  stored[event_id_no[i]] := true;
                  s := entry_stream[event_entry[i]];
                  stream_versions[s] := stream_versions[s] + 1;
                  event_version[i] := stream_versions[s];
                  written := written + 1;
                end if;
              end loop;
              total := total + written;
            end if;
            versions := '{}';
            for i in first_entry..next_entry - 1 loop
              versions := versions || stream_versions[entry_stream[i]];
            end loop;
            return next;
          end loop;

          if total > 0 then
            insert into streams (stream_id, version)
            select stream_ids[i], stream_versions[i]
            from generate_subscripts(stream_ids, 1) as i
            where stream_versions[i] <> initial_versions[i]
            on conflict (stream_id) do update set version = excluded.version;
            insert into events (stream_id, stream_version, event_id, type, data, metadata)
            select stream_ids[entry_stream[event_entry[r.o]]], event_version[r.o], event_ids[event_id_no[r.o]],
                   r.t, coalesce(r.d, 'null'::jsonb), coalesce(r.m, '{}'::jsonb)
            from rows from (jsonb_to_recordset(appends->'e') as (t text, d jsonb, m jsonb)) with ordinality as r (t, d, m, o)
            where event_version[r.o] is not null
            order by r.o;
          end if;
        end
        $fn$`.execute(db);
    },
  },
});

class FrozenMigrationProvider implements MigrationProvider {
  constructor(private readonly list: Readonly<Record<string, Migration>>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return { ...this.list };
  }
}

/**
 * Brings the schema up to date. `extra` migrations run after the built-in ones (tests use it to prove a
 * failing migration stops start-up). Throws MigrationError with the failure as `cause`.
 */
export async function migrate(
  db: Kysely<unknown>,
  options: { schema?: string; extra?: Readonly<Record<string, Migration>> } = {},
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: new FrozenMigrationProvider({ ...migrations, ...options.extra }),
    ...(options.schema ? { migrationTableSchema: options.schema } : {}),
  });
  let outcome: Awaited<ReturnType<Migrator["migrateToLatest"]>>;
  try {
    outcome = await migrator.migrateToLatest();
  } catch (error) {
    throw new MigrationError(undefined, `migrations could not run: ${oneLine(error)}`, { cause: error });
  }
  if (outcome.error !== undefined) {
    const failed = outcome.results?.find((r) => r.status === "Error")?.migrationName;
    throw new MigrationError(failed, `migration ${failed ?? "(unknown)"} failed: ${oneLine(outcome.error)}`, {
      cause: outcome.error,
    });
  }
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ");
}
