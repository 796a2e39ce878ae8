import pg from "pg";
import { DatabaseUnreachableError, describeError, EventStoreError } from "./errors.js";
import type { LeaderLock, Leadership } from "./types.js";

/**
 * Session advisory locks, each on its own client held for the lock's lifetime: the lock lives exactly as
 * long as that connection, so a dead holder frees it and a lost connection shows up in isHeld().
 */
export class AdvisoryLockLeadership implements Leadership {
  readonly #open = new Set<LeaderLock>();

  constructor(
    private readonly clientConfig: pg.ClientConfig,
    private readonly target: string,
    /** Namespace for lock keys, so test suites in different schemas do not contend. */
    private readonly namespace: string,
    /**
     * isHeld() asks the database at most this often (real ms, default 1 000); in between it answers from
     * the connection's events. A dropped or terminated connection is seen at once either way; the query
     * only adds a connection that stopped answering without closing. The relay calls isHeld() before every
     * read, which at a low event rate was one extra round trip per commit.
     */
    private readonly verifyEveryMs = 1_000,
  ) {}

  async tryAcquire(name: string): Promise<LeaderLock | null> {
    const client = new pg.Client(this.clientConfig);
    let lost = false;
    // An idle client's connection can fail at any time; without a listener that would crash the process.
    client.on("error", () => {
      lost = true;
    });
    client.on("end", () => {
      lost = true;
    });
    try {
      await client.connect();
    } catch (error) {
      throw new DatabaseUnreachableError(this.target, describeError(error), { cause: error });
    }
    const key = `${this.namespace}:${name}`;
    let acquired: boolean;
    try {
      const { rows } = await client.query<{ acquired: boolean }>(
        "select pg_try_advisory_lock(hashtext($1)) as acquired",
        [key],
      );
      acquired = rows[0]?.acquired === true;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new EventStoreError(`acquiring leadership ${name} failed: ${describeError(error)}`, {
        cause: error,
      });
    }
    if (!acquired) {
      await client.end().catch(() => undefined);
      return null;
    }
    let released = false;
    let verifiedAt = performance.now();
    const verifyEveryMs = this.verifyEveryMs;
    const open = this.#open;
    const lock: LeaderLock = {
      async isHeld() {
        if (lost || released) return false;
        if (performance.now() - verifiedAt < verifyEveryMs) return true;
        try {
          await client.query("select 1");
          verifiedAt = performance.now();
          return !lost;
        } catch {
          return false;
        }
      },
      async release() {
        if (released) return;
        released = true;
        open.delete(lock);
        if (!lost) {
          await client.query("select pg_advisory_unlock(hashtext($1))", [key]).catch(() => undefined);
        }
        await client.end().catch(() => undefined);
      },
    };
    open.add(lock);
    return lock;
  }

  /** Releases every lock still held (the store is closing). */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.#open].map((lock) => lock.release()));
  }
}

/** PGlite is one process and one session: leadership is a set of names held in memory. */
export class InProcessLeadership implements Leadership {
  readonly #held = new Set<string>();

  async tryAcquire(name: string): Promise<LeaderLock | null> {
    if (this.#held.has(name)) return null;
    this.#held.add(name);
    let released = false;
    const held = this.#held;
    return {
      async isHeld() {
        return !released;
      },
      async release() {
        if (released) return;
        released = true;
        held.delete(name);
      },
    };
  }
}
