// `switchyard extract` against a deployment's PostgreSQL: a small simulated day is recorded into its own
// schema, then read back through a role that may only SELECT (extraction is read-only), and the extracted
// arrivals and talk times are those that generated the day.
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { expectReproduced, extractDayFile, plannedCalls, recordDay } from "../support/whatif-day.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/whatif-erlang.yaml", import.meta.url));
const PG = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const tag = randomUUID().replaceAll("-", "").slice(0, 12);
const schema = `whatif_pg_${tag}`;
/** A role that can read the schema and nothing else. */
const reader = `whatif_reader_${tag}`;
const START = "2026-01-05T09:00:00Z";
const MINUTES = 10;
const TO = new Date(Date.parse(START) + MINUTES * 60_000).toISOString();

const dir = await mkdtemp(join(tmpdir(), "switchyard-whatif-pg-"));
const admin = new pg.Client({ connectionString: PG });
await admin.connect();
afterAll(async () => {
  await admin.query(`drop schema if exists ${schema} cascade`);
  await admin.query(`drop role if exists ${reader}`);
  await admin.end();
  await rm(dir, { recursive: true, force: true });
});

const eventCount = async () =>
  Number((await admin.query(`select count(*) as n from ${schema}.events`)).rows[0].n);

it("extract reads a day recorded in PostgreSQL, read-only, and gives back its arrivals and talk times", async () => {
  await recordDay(
    FIXTURE,
    START,
    ["--database-url", PG, "--database-schema", schema],
    ["--minutes", String(MINUTES)],
  );

  await admin.query(`create role ${reader} login`);
  await admin.query(`grant usage on schema ${schema} to ${reader}`);
  await admin.query(`grant select on all tables in schema ${schema} to ${reader}`);
  const readerUrl = new URL(PG);
  readerUrl.username = reader;
  readerUrl.password = "";
  const before = await eventCount();
  const { day, stdout } = await extractDayFile(
    START,
    TO,
    ["--database-url", readerUrl.toString(), "--database-schema", schema],
    join(dir, "day.yaml"),
  );
  expect(await eventCount()).toBe(before);

  const planned = await plannedCalls(FIXTURE, MINUTES);
  expect(planned.length).toBeGreaterThan(5);
  expectReproduced(day.traffic.calls, planned);
  expect(stdout).toContain(`extracted ${planned.length} calls`);
  expect(day.recordedConfig.groups.support!.members).toEqual(["a1", "a2", "a3"]);
});
