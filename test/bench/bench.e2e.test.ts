import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connectBus } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import pg from "pg";
import { afterAll, expect, it } from "vitest";

// Smoke test of `pnpm bench`: a tiny configuration runs every section and writes well-formed JSON, and
// leaves no schema or stream behind. It asserts nothing about how fast anything was.

const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const ROOT = resolve(import.meta.dirname, "../..");
let dir: string | undefined;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const latencyShape = {
  count: expect.any(Number),
  p50: expect.toSatisfy((x: unknown) => x === null || typeof x === "number"),
  p99: expect.toSatisfy((x: unknown) => x === null || typeof x === "number"),
  p999: expect.toSatisfy((x: unknown) => x === null || typeof x === "number"),
};

it("runs a tiny configuration of every section and writes the report as JSON, cleaning up after itself", async () => {
  dir = await mkdtemp(join(tmpdir(), "sy-bench-"));
  const json = join(dir, "bench.json");
  const run = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", "test/bench/run.ts", "--tiny", "--json", json],
    { cwd: ROOT, env: { ...process.env, DATABASE_URL, NATS_URL }, encoding: "utf8", timeout: 240_000 },
  );
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toContain("== report");
  expect(run.stdout).toContain("PGlite");
  const report = JSON.parse(await readFile(json, "utf8"));
  expect(report.routing).toMatchObject({
    sustainedDecisionsPerSec: expect.any(Number),
    p99MsAt5000: null, // the tiny run offers 50/s only
    byRouters: { "1": [{ offered: 50, sent: 25, latencyMs: latencyShape }] },
  });
  expect(report.raw.postgres).toMatchObject({
    backend: "postgres",
    singleRowCommitsPerSec: expect.any(Number),
    groupedRowsPerSec: expect.any(Number),
  });
  expect(report.raw.pglite.backend).toBe("pglite");
  expect(report.raw.jetstream.commandPublishesPerSec).toBeGreaterThan(0);
  expect(report.events.relay[0].lagMs).toMatchObject(latencyShape);
  // The relay ran as its own process (PostgreSQL), so its CPU is measured apart from the bench's (a number, not
  // null; at the tiny rate it may round to 0 ticks).
  expect(report.events.relay[0].cpuUsPerEvent).toMatchObject({
    postgres: expect.any(Number),
    relay: expect.any(Number),
    all: expect.any(Number),
  });
  expect(report.domain.groups.map((g: { agents: number; path: string }) => `${g.agents} ${g.path}`)).toEqual([
    "10 scan",
    "10 scan",
    "10 scan",
    "100 indexed",
    "100 indexed",
    "100 indexed",
  ]);
  expect(report.domain.queue).toMatchObject({ waiting: 100, enqueueUs: expect.any(Object) });
  const windowShape = {
    seconds: expect.any(Number),
    changesPerSec: expect.any(Number),
    routerInputsPerSec: expect.any(Number),
    announcementsPerSec: expect.any(Number),
  };
  // Every caller reached the queue (their hold music was commanded); the counts themselves are rates.
  expect(report.queue).toMatchObject({
    callers: 50,
    enqueued: 50,
    still: windowShape,
    changing: windowShape,
  });
  expect(report.memory.liveCalls).toBeGreaterThan(0);
  const cpuShape = { cores: expect.any(Number), machineBusyPercent: expect.any(Number) };
  expect(report.scaling).toMatchObject({
    loads: [50],
    phases: [
      { routerCount: 1, offered: 50, latencyMs: latencyShape, cpu: cpuShape },
      { routerCount: 2, offered: 50, latencyMs: latencyShape, cpu: cpuShape },
    ],
    conclusion: expect.any(String),
  });
  expect(run.stdout).toContain("== router scaling");
  expect(report.pglite.routing[0]).toMatchObject({ offered: 50, latencyMs: latencyShape });

  // Nothing left behind: the run's schemas are dropped and its streams deleted.
  const { schemas, prefixes } = report.meta.created as { schemas: string[]; prefixes: string[] };
  expect(schemas.length).toBeGreaterThanOrEqual(3);
  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  try {
    const { rows } = await db.query("select nspname from pg_namespace where nspname = any($1)", [schemas]);
    expect(rows).toEqual([]);
  } finally {
    await db.end();
  }
  const bus = await connectBus({ url: NATS_URL, prefix: "benchcheck", name: "bench-smoke" });
  try {
    const jsm = await natsConnectionOf(bus).jetstreamManager();
    const left: string[] = [];
    for await (const name of jsm.streams.names()) {
      if (prefixes.some((p) => name.startsWith(`${p.toUpperCase()}-`) || name === `KV_${p}_presence`))
        left.push(name);
    }
    expect(left).toEqual([]);
  } finally {
    await bus.close();
  }
});
