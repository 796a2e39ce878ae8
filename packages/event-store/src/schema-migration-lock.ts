import {
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type MigrationLockOptions,
  PostgresAdapter,
  type QueryCompiler,
  sql,
} from "kysely";

/**
 * Kysely's PostgreSQL adapter serialises migrations on ONE advisory lock for the whole database (a constant
 * key, held for up to an hour), so every deployment or test suite sharing a database waits for every other
 * one's migrations, and a holder that hangs stalls them all. Each event store owns one schema, so the lock
 * is per schema: two stores on one schema still migrate one at a time; stores on different schemas never
 * wait for each other. Session-level like Kysely's own (the migrator takes it outside its transaction).
 */
export function withSchemaMigrationLock(inner: Dialect, schema: string): Dialect {
  const adapter = new SchemaLockAdapter(schema);
  return {
    createAdapter: (): DialectAdapter => adapter,
    createDriver: (): Driver => inner.createDriver(),
    createQueryCompiler: (): QueryCompiler => inner.createQueryCompiler(),
    createIntrospector: (db: Kysely<unknown>): DatabaseIntrospector => inner.createIntrospector(db),
  };
}

class SchemaLockAdapter extends PostgresAdapter {
  constructor(private readonly schema: string) {
    super();
  }

  override async acquireMigrationLock(db: Kysely<unknown>, _options: MigrationLockOptions): Promise<void> {
    await sql`select pg_advisory_lock(hashtext('switchyard.migrate'), hashtext(${this.schema}))`.execute(db);
  }

  override async releaseMigrationLock(db: Kysely<unknown>, _options: MigrationLockOptions): Promise<void> {
    await sql`select pg_advisory_unlock(hashtext('switchyard.migrate'), hashtext(${this.schema}))`.execute(
      db,
    );
  }
}
