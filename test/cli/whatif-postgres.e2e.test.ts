// `switchyard extract` against a deployment's PostgreSQL: a small simulated day is recorded into its own
// schema, then read back through a role that may only SELECT (extraction is read-only), and the extracted
// arrivals and talk times are those that generated the day.
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { parse } from "yaml";
import { runSwitchyard as cli } from "../support/switchyard-process.js";
import { type ExtractedCall, expectReproduced, plannedCalls } from "../support/whatif-day.js";

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
  const recorded = await cli([
    "simulate",
    "--config",
    FIXTURE,
    "--minutes",
    String(MINUTES),
    "--start-at",
    START,
    "--database-url",
    PG,
    "--database-schema",
    schema,
  ]);
  expect(recorded.stdout).toContain("switchyard simulate: ok");

  await admin.query(`create role ${reader} login`);
  await admin.query(`grant usage on schema ${schema} to ${reader}`);
  await admin.query(`grant select on all tables in schema ${schema} to ${reader}`);
  const readerUrl = new URL(PG);
  readerUrl.username = reader;
  readerUrl.password = "";
  const before = await eventCount();
  const dayFile = join(dir, "day.yaml");
  const extracted = await cli([
    "extract",
    "--from",
    START,
    "--to",
    TO,
    "--database-url",
    readerUrl.toString(),
    "--database-schema",
    schema,
    "--out",
    dayFile,
  ]);
  expect(extracted.stderr).toBe("");
  expect(extracted.code).toBe(0);
  expect(await eventCount()).toBe(before);

  const planned = await plannedCalls(FIXTURE, MINUTES);
  expect(planned.length).toBeGreaterThan(5);
  const day = parse(await readFile(dayFile, "utf8"));
  expectReproduced(day.traffic.calls as ExtractedCall[], planned);
  expect(extracted.stdout).toContain(`extracted ${planned.length} calls`);
  expect(day.recordedConfig.groups.support.members).toEqual(["a1", "a2", "a3"]);
});
