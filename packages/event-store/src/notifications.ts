import { type Kysely, sql } from "kysely";
import pg from "pg";
import type { EventStoreDatabase } from "./database.js";
import { DatabaseUnreachableError, describeError, EventStoreError } from "./errors.js";
import type { AppendNotifications, AppendSubscription, HorizonHolder, SnapshotHorizon } from "./types.js";

/** The NOTIFY channel of a schema's events table. */
export function appendChannel(schema: string): string {
  return `es_${schema}`.slice(0, 63);
}

/**
 * Tells listeners that events were committed: `poke()` after each commit that wrote events. The NOTIFY
 * goes out after the commit, in a transaction of its own, never in the appending one: a notifying
 * transaction holds a server-wide lock until its commit is flushed, which would make every append wait
 * for the previous append's fsync. Pokes coalesce: while one NOTIFY is on its way, any number of commits
 * make one more, so the cost is bounded by round trips, not by the append rate. Failures are swallowed:
 * listeners poll as a fallback, and a lost connection is reopened at the next poke.
 */
export class CommitNotifier {
  #pending = false;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(private readonly send: () => Promise<void>) {}

  poke(): void {
    if (this.#closed) return;
    this.#pending = true;
    this.#running ??= this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending && !this.#closed) {
        this.#pending = false;
        await this.send().catch(() => undefined);
      }
    } finally {
      this.#running = undefined;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#running;
  }
}

/** The pg side of CommitNotifier: one lazily opened connection; NOTIFY with an asynchronous commit. */
export function pgNotifySender(channel: string, clientConfig: pg.ClientConfig) {
  let client: pg.Client | undefined;
  // The channel is a plain identifier (assertSchemaName), so it can be a literal in a simple-protocol query.
  const text = `begin; set local synchronous_commit = off; select pg_notify('${channel}', ''); commit`;
  return {
    async send(): Promise<void> {
      if (!client) {
        const c = new pg.Client(clientConfig);
        c.on("error", () => {
          if (client === c) client = undefined;
        });
        client = c;
        try {
          await c.connect();
        } catch (error) {
          client = undefined;
          throw error;
        }
      }
      const c = client;
      try {
        await c.query(text);
      } catch (error) {
        if (client === c) client = undefined;
        await c.end().catch(() => undefined);
        throw error;
      }
    },
    async close(): Promise<void> {
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}

/** The channel is a plain identifier (schema names are checked by assertSchemaName), quoted for LISTEN. */
const quoted = (channel: string) => `"${channel.replace(/"/g, '""')}"`;

/** Listening on PostgreSQL: one dedicated connection per subscription (a pooled one would be reused). */
export class PgAppendNotifications implements AppendNotifications {
  readonly #open = new Set<AppendSubscription>();

  constructor(
    readonly channel: string,
    private readonly clientConfig: pg.ClientConfig,
    private readonly target: string,
  ) {}

  async listen(onAppend: () => void, onLost?: (error: Error) => void): Promise<AppendSubscription> {
    const client = new pg.Client(this.clientConfig);
    let closed = false;
    let lost = false;
    const lose = (error: Error) => {
      if (closed || lost) return;
      lost = true;
      onLost?.(
        new EventStoreError(`listening on ${this.channel} stopped: ${describeError(error)}`, {
          cause: error,
        }),
      );
    };
    client.on("error", lose);
    client.on("end", () => lose(new Error("connection ended")));
    client.on("notification", (n) => {
      if (n.channel === this.channel) onAppend();
    });
    try {
      await client.connect();
    } catch (error) {
      closed = true;
      throw new DatabaseUnreachableError(this.target, describeError(error), { cause: error });
    }
    try {
      await client.query(`listen ${quoted(this.channel)}`);
    } catch (error) {
      closed = true;
      await client.end().catch(() => undefined);
      throw new EventStoreError(`listen ${this.channel} failed: ${describeError(error)}`, { cause: error });
    }
    const open = this.#open;
    const subscription: AppendSubscription = {
      async close() {
        if (closed) return;
        closed = true;
        open.delete(subscription);
        await client.end().catch(() => undefined);
      },
    };
    open.add(subscription);
    return subscription;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#open].map((s) => s.close()));
  }
}

/**
 * Commit wake-ups delivered in process, for back ends that live in this process and that only this process
 * appends to (the embedded PGlite, the in-memory store): a commit is told to the listeners directly
 * (`committed()`, from the store's CommitNotifier), without a NOTIFY through PGlite's one session (a query
 * per commit that waited for the session's mutex).
 */
export class InProcessAppendNotifications implements AppendNotifications {
  readonly #listeners = new Set<() => void>();

  constructor(
    readonly channel: string,
    private readonly isClosed: () => boolean,
  ) {}

  async listen(onAppend: () => void): Promise<AppendSubscription> {
    if (this.isClosed()) throw new EventStoreError("the event store is closed");
    // A distinct entry per subscription, so that one callback listening twice is told twice.
    const entry = () => onAppend();
    this.#listeners.add(entry);
    const listeners = this.#listeners;
    return {
      async close() {
        listeners.delete(entry);
      },
    };
  }

  /** Events were committed: tells every listener. */
  async committed(): Promise<void> {
    for (const listener of [...this.#listeners]) listener();
  }
}

interface HorizonRow {
  xmin: string;
  pid: number | null;
  xid: string | null;
  age_ms: number | null;
  state: string | null;
  datname: string | null;
  application_name: string | null;
  query: string | null;
}

/**
 * The log readers' horizon and, on PostgreSQL, the backend holding it: the oldest transaction with an xid
 * (cluster-wide, like xmin), provided its xid is xmin itself.
 */
export async function snapshotHorizon(
  db: Kysely<EventStoreDatabase>,
  backend: "postgres" | "pglite",
): Promise<SnapshotHorizon> {
  if (backend === "pglite") {
    // One session: nothing else can hold the horizon back.
    const { rows } = await sql<{ xmin: string }>`
      select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`.execute(db);
    return { xmin: BigInt(rows[0]?.xmin ?? "0") };
  }
  const { rows } = await sql<HorizonRow>`
    with h as (select pg_snapshot_xmin(pg_current_snapshot()) as xmin)
    select h.xmin::text as xmin, a.pid, a.backend_xid::text as xid,
      (extract(epoch from clock_timestamp() - a.xact_start) * 1000)::float8 as age_ms,
      a.state, a.datname::text as datname, a.application_name, left(a.query, 200) as query
    from h left join lateral (
      select * from pg_stat_activity as s
      where s.backend_xid is not null
        and s.backend_xid::text = (h.xmin::text::numeric % 4294967296)::text
      limit 1
    ) as a on true`.execute(db);
  const row = rows[0];
  if (!row) return { xmin: 0n };
  const holder: HorizonHolder | undefined =
    row.pid === null || row.xid === null
      ? undefined
      : {
          pid: row.pid,
          xid: row.xid,
          xactAgeMs: Math.round(row.age_ms ?? 0),
          state: row.state,
          database: row.datname,
          application: row.application_name,
          query: row.query,
        };
  return { xmin: BigInt(row.xmin), ...(holder ? { holder } : {}) };
}
