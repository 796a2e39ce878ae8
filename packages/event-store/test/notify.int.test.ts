import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { appendChannel, type OpenedEventStore, START } from "../src/index.js";
import { DATABASE_URL, events, pgFactory, pgliteFactory, type StoreFactory } from "./support.js";

/** Waits until `check` holds; the bound only stops a hang, nothing asserts on time. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (check()) return;
    await sleep(10);
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function countEvents(opened: OpenedEventStore): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from events`.execute(opened.db);
  return rows[0]!.n;
}

for (const make of [pgFactory, pgliteFactory] as Array<() => StoreFactory>) {
  const factory = make();
  describe(`append notifications (${factory.name})`, () => {
    afterAll(async () => {
      await factory.cleanup();
    });

    it("wakes listeners on the schema's channel after every commit that wrote events, grouped or not", async () => {
      const opened = await factory.open();
      expect(opened.appends.channel).toBe(appendChannel(opened.schema));
      let a = 0;
      let b = 0;
      const subA = await opened.appends.listen(() => {
        a++;
      });
      const subB = await opened.appends.listen(() => {
        b++;
      });
      await opened.store.append([{ streamId: "call-n1", expectedVersion: "no_stream", events: events(3) }]);
      await until(() => a >= 1 && b >= 1, "both listeners to wake");
      let before = b;
      await opened.store.appendMany(
        Array.from({ length: 20 }, (_, i) => [
          { streamId: `call-m${i}`, expectedVersion: "no_stream" as const, events: events(2) },
        ]),
      );
      await until(() => b > before, "the grouped commit's wake-up");
      // Concurrent commits: notifications coalesce while one is on its way, but the last commit is always
      // followed by one sent after it.
      before = b;
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          opened.store.append([{ streamId: `call-c${i}`, expectedVersion: "no_stream", events: events(1) }]),
        ),
      );
      await until(() => b > before, "a wake-up after the concurrent commits");
      // A closed subscription hears nothing more while the other one still does.
      await subA.close();
      const closedAt = a;
      for (const streamId of ["call-n2", "call-n3"]) {
        before = b;
        await opened.store.append([{ streamId, expectedVersion: "no_stream", events: events(1) }]);
        await until(() => b > before, `the wake-up after ${streamId}`);
      }
      expect(a).toBe(closedAt);
      await subB.close();
    });

    it("readAll says nothing is held back once it has read everything", async () => {
      const opened = await factory.open();
      await opened.store.append([{ streamId: "call-r1", expectedVersion: "no_stream", events: events(3) }]);
      let checkpoint = START;
      let read = 0;
      // On a shared server another session's transaction may hold the horizon for a while: read until
      // the log is drained (the bound only stops a hang).
      for (let i = 0; i < 2_000; i++) {
        const page = await opened.store.readAll(checkpoint, { limit: 2 });
        checkpoint = page.checkpoint;
        read += page.events.length;
        if (page.events.length === 2) expect(page.heldBack).toBeUndefined();
        else if (page.heldBack === false) break;
        else await sleep(10);
      }
      expect(read).toBe(await countEvents(opened));
    });
  });
}

describe("horizon and held-back events (pg)", () => {
  const factory = pgFactory();
  afterAll(async () => {
    await factory.cleanup();
  });

  it("names the backend whose open transaction holds pg_snapshot_xmin, and readAll reports events behind it", async () => {
    const opened = await factory.open();
    // Read up to the end of the log first.
    let checkpoint = START;
    for (;;) {
      const page = await opened.store.readAll(checkpoint, { limit: 1_000 });
      checkpoint = page.checkpoint;
      if (page.events.length < 1_000) break;
    }
    const holder = new pg.Client({ connectionString: DATABASE_URL, application_name: "horizon-test" });
    await holder.connect();
    try {
      await holder.query("begin");
      const { rows } = await holder.query<{ pid: number; xid: string }>(
        "select pg_backend_pid() as pid, pg_current_xact_id()::text as xid",
      );
      const mine = rows[0]!;
      await opened.store.append([{ streamId: "call-h1", expectedVersion: "no_stream", events: events(2) }]);
      const page = await opened.store.readAll(checkpoint);
      // Another, older transaction on this shared server may hold the horizon too; ours holds it at least.
      expect(page.events.filter((e) => e.streamId === "call-h1")).toEqual([]);
      expect(page.heldBack).toBe(true);
      const horizon = await opened.horizon();
      expect(horizon.xmin <= BigInt(mine.xid)).toBe(true);
      if (horizon.xmin === BigInt(mine.xid)) {
        expect(horizon.holder).toMatchObject({ pid: mine.pid, application: "horizon-test" });
        expect(horizon.holder!.xactAgeMs).toBeGreaterThanOrEqual(0);
      } else {
        expect(horizon.holder?.pid).not.toBe(mine.pid);
      }
      await holder.query("commit");
      let seen = false;
      for (let i = 0; i < 1_000 && !seen; i++) {
        const next = await opened.store.readAll(checkpoint);
        seen = next.events.some((e) => e.streamId === "call-h1");
        if (!seen) await sleep(10);
      }
      expect(seen).toBe(true);
    } finally {
      await holder.end();
    }
  });
});
