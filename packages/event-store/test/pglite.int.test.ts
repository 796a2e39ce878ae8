import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { MigrationError, migrations, openEventStore } from "../src/index.js";
import { eventStoreConformance } from "./conformance.js";
import { followerProperty } from "./follower-property.js";
import { events, pgliteFactory } from "./support.js";

eventStoreConformance(() => pgliteFactory());

describe("readAll follower property (PGlite)", () => {
  const factory = pgliteFactory();
  afterAll(async () => {
    await factory.cleanup();
  });

  it("a follower sees every committed event exactly once, in commit order, and no rolled-back one", async () => {
    // PGlite runs one transaction at a time, so the writers' delays add up: fewer runs than on pg.
    await followerProperty(await factory.open(), 12);
  });
});

describe("PGlite start-up", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("persists to a data directory and migrates idempotently on reopen", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "es-pglite-"));
    dirs.push(dataDir);
    const first = await openEventStore({ pglite: { dataDir } });
    expect(first.backend).toBe("pglite");
    await first.store.append([{ streamId: "call-1", expectedVersion: "no_stream", events: events(3) }]);
    await first.checkpoints.save("relay", { transactionId: 5n, position: 3n });
    await first.close();

    const second = await openEventStore({ pglite: { dataDir } });
    try {
      expect(await second.store.streamVersion("call-1")).toBe(3);
      expect(await second.checkpoints.load("relay")).toEqual({ transactionId: 5n, position: 3n });
      const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
        second.db,
      );
      expect(rows.map((r) => r.name)).toEqual(Object.keys(migrations));
    } finally {
      await second.close();
    }
  });

  it("fails start-up with a MigrationError when a migration fails", async () => {
    const error = await openEventStore({
      extraMigrations: {
        "2099-01-01T0000-broken": {
          async up(db) {
            await sql`alter table no_such_table add column x int`.execute(db);
          },
        },
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).migrationName).toBe("2099-01-01T0000-broken");
    expect((error as Error).cause).toBeDefined();
  });
});
