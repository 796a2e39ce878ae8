import { sql } from "kysely";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import {
  DatabaseUnreachableError,
  dropSchema,
  MigrationError,
  migrations,
  openEventStore,
} from "../src/index.js";
import { DATABASE_URL, events, randomSchema } from "./support.js";

describe("start-up against PostgreSQL", () => {
  const schemas: string[] = [];
  const schema = () => {
    const name = randomSchema("es_start");
    schemas.push(name);
    return name;
  };
  afterAll(async () => {
    for (const name of schemas) await dropSchema(DATABASE_URL, name);
  });

  it("migrates while another schema's migration holds its lock, and waits for its own schema's", async () => {
    const held = new pg.Client({ connectionString: DATABASE_URL });
    await held.connect();
    const mine = schema();
    const other = schema();
    try {
      // Kysely's own database-wide migration lock and another schema's lock, held by a stalled migrator.
      await held.query("select pg_advisory_lock(3853314791062309107)");
      await held.query("select pg_advisory_lock(hashtext('switchyard.migrate'), hashtext($1))", [other]);
      const opened = await openEventStore({ url: DATABASE_URL, schema: mine });
      await opened.close();

      await held.query("select pg_advisory_lock(hashtext('switchyard.migrate'), hashtext($1))", [mine]);
      let done = false;
      const second = openEventStore({ url: DATABASE_URL, schema: mine }).then((s) => {
        done = true;
        return s;
      });
      // Wait until the second open is queued behind the held lock (seen in pg_locks), not for a time.
      for (;;) {
        const { rows } = await held.query(
          "select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and objid = hashtext($1)::oid",
          [mine],
        );
        if (rows[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(done).toBe(false);
      await held.query("select pg_advisory_unlock(hashtext('switchyard.migrate'), hashtext($1))", [mine]);
      await (await second).close();
    } finally {
      await held.end();
    }
  });

  it("creates the tables in the suite's own schema and is idempotent on a second open", async () => {
    const name = schema();
    const first = await openEventStore({ url: DATABASE_URL, schema: name });
    await first.store.append([{ streamId: "call-1", expectedVersion: "no_stream", events: events(2) }]);
    await first.close();

    const second = await openEventStore({ url: DATABASE_URL, schema: name });
    try {
      expect(await second.store.streamVersion("call-1")).toBe(2);
      const { rows } = await sql<{
        name: string;
      }>`select name from ${sql.table(`${name}.kysely_migration`)} order by name`.execute(second.db);
      expect(rows.map((r) => r.name)).toEqual(Object.keys(migrations));
      const { rows: tables } = await sql<{ table_name: string }>`
        select table_name from information_schema.tables where table_schema = ${name} order by table_name`.execute(
        second.db,
      );
      expect(tables.map((t) => t.table_name)).toEqual(
        expect.arrayContaining(["checkpoints", "events", "streams", "kysely_migration"]),
      );
      const { rows: columns } = await sql<{ data_type: string }>`
        select data_type from information_schema.columns
        where table_schema = ${name} and table_name = 'events' and column_name = 'transaction_id'`.execute(
        second.db,
      );
      expect(columns[0]?.data_type).toBe("xid8");
    } finally {
      await second.close();
    }
  });

  it("opens concurrently on a fresh schema without running a migration twice", async () => {
    const name = schema();
    const opened = await Promise.all(
      [1, 2, 3].map(() => openEventStore({ url: DATABASE_URL, schema: name })),
    );
    try {
      const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
        opened[0]!.db,
      );
      expect(rows.map((r) => r.name)).toEqual(Object.keys(migrations));
    } finally {
      await Promise.all(opened.map((o) => o.close()));
    }
  });

  it("fails start-up with a MigrationError when a migration fails, and applies nothing of it", async () => {
    const name = schema();
    const error = await openEventStore({
      url: DATABASE_URL,
      schema: name,
      extraMigrations: {
        "2099-01-01T0000-broken": {
          async up(db) {
            await sql`create table half_done (id int)`.execute(db);
            await sql`select * from no_such_table`.execute(db);
          },
        },
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ name: "MigrationError", migrationName: "2099-01-01T0000-broken" });
    expect((error as Error).message).toMatch(/2099-01-01T0000-broken.*no_such_table/);
    expect((error as Error).cause).toBeInstanceOf(Error);
    // The failed migration ran in the migrator's transaction: nothing of it remains.
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query(
        "select table_name from information_schema.tables where table_schema = $1 and table_name = 'half_done'",
        [name],
      );
      expect(rows).toEqual([]);
    } finally {
      await client.end();
    }
    // The same schema still opens once the broken migration is gone.
    const ok = await openEventStore({ url: DATABASE_URL, schema: name });
    await ok.close();
  });

  it("reports an unreachable server as one line naming host:port/database, never the password", async () => {
    const error = await openEventStore({ url: "postgres://postgres:s3cret@127.0.0.1:5999/test" }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    const message = (error as Error).message;
    expect(message).toMatch(/^cannot reach PostgreSQL at 127\.0\.0\.1:5999\/test: .*ECONNREFUSED/);
    expect(message).not.toContain("\n");
    expect(message).not.toContain("s3cret");
    expect((error as Error).name).toBe("DatabaseUnreachableError");
    expect((error as Error).cause).toBeDefined();
  });

  it("reports a missing database as unreachable with the server's message", async () => {
    const url = new URL(DATABASE_URL);
    url.pathname = "/no_such_database_here";
    const error = await openEventStore({ url: url.toString() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    expect((error as Error).message).toMatch(/\/no_such_database_here: .*3D000.*does not exist/);
    expect((error as Error).message).not.toContain("\n");
  });

  it("keeps leadership exclusive across processes' connections and notices a lost lock", async () => {
    const name = schema();
    const a = await openEventStore({ url: DATABASE_URL, schema: name });
    const b = await openEventStore({ url: DATABASE_URL, schema: name });
    try {
      const lock = await a.leadership.tryAcquire("relay");
      expect(lock).not.toBeNull();
      expect(await b.leadership.tryAcquire("relay")).toBeNull();
      // Another schema is another namespace.
      const elsewhere = await openEventStore({ url: DATABASE_URL, schema: schema() });
      const separate = await elsewhere.leadership.tryAcquire("relay");
      expect(separate).not.toBeNull();
      await elsewhere.close();

      // Kill the holder's connection: the lock is gone and the holder can tell.
      await sql`
        select pg_terminate_backend(l.pid) from pg_locks l
        where l.locktype = 'advisory' and l.granted and l.objid = (hashtext(${`${name}:relay`})::bigint & 4294967295)`.execute(
        a.db,
      );
      await expect.poll(() => lock!.isHeld(), { timeout: 5000 }).toBe(false);
      const taken = await b.leadership.tryAcquire("relay");
      expect(taken).not.toBeNull();
      expect(await taken!.isHeld()).toBe(true);
      await lock!.release();
      expect(await taken!.isHeld()).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("closing the store releases its leader locks", async () => {
    const name = schema();
    const a = await openEventStore({ url: DATABASE_URL, schema: name });
    const b = await openEventStore({ url: DATABASE_URL, schema: name });
    try {
      expect(await a.leadership.tryAcquire("relay")).not.toBeNull();
      await a.store.close();
      const lock = await b.leadership.tryAcquire("relay");
      expect(lock).not.toBeNull();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
