// Transfers and callbacks through extract and whatif: a day whose callers are scripted to be transferred
// (warm and blind) and to take a callback is recorded by `simulate`; `extract` gives back each call's
// transfer and callback; the baseline re-run through the real platform makes as many of each.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Figures } from "@switchyard/simulation";
import { afterAll, expect, it } from "vitest";
import { runSwitchyard as cli } from "../support/switchyard-process.js";
import { extractDayFile, recordDay } from "../support/whatif-day.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/whatif-handoffs.yaml", import.meta.url));
const START = "2026-01-05T09:00:00Z";
const TO = new Date(Date.parse(START) + 15 * 60_000).toISOString();

const dir = await mkdtemp(join(tmpdir(), "switchyard-whatif-handoffs-"));
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("a recorded day's transfers and callbacks are extracted per call and replayed by the baseline", async () => {
  const store = ["--data-dir", join(dir, "recorded")];
  await recordDay(FIXTURE, START, store);
  const { day } = await extractDayFile(START, TO, store, join(dir, "day.yaml"));
  const calls = day.traffic.calls;
  expect(calls.map((c) => c.from)).toEqual([
    "+15550100001",
    "+15550100002",
    "+15550100003",
    "+15550100004",
    "+15550100005",
  ]);
  // As scripted, to the tenth of a second.
  expect(calls[0]!.transfer).toEqual({
    afterSec: 30,
    mode: "warm",
    to: "group:sales",
    consultSec: 10,
    talkSec: 40,
  });
  expect(calls[1]!.transfer).toEqual({ afterSec: 20, mode: "blind", to: "group:sales", talkSec: 30 });
  expect(calls[4]!.callback).toMatchObject({ answers: [3] });
  expect(calls[4]!.talkSec).toBe(45);
  // Offered after 20 s in the queue; then the prompts and two key presses.
  expect(calls[4]!.waitedAtLeastSec).toBeGreaterThan(20);
  expect(calls.filter((c) => c.transfer || c.callback)).toHaveLength(3);

  const json = join(dir, "runs.json");
  const whatif = await cli(["whatif", "--traffic", join(dir, "day.yaml"), "--json-out", json]);
  expect(whatif.stderr).toBe("");
  expect(whatif.code).toBe(0);
  const { runs } = JSON.parse(await readFile(json, "utf8")) as {
    runs: Array<{ name: string; overall: Figures }>;
  };
  const [recorded, baseline] = runs.map((r) => r.overall);
  const handoffs = (f: Figures) => ({
    transfersRequested: f.transfersRequested,
    transfersCompleted: f.transfersCompleted,
    callbacksRequested: f.callbacksRequested,
    callbacksCompleted: f.callbacksCompleted,
  });
  expect(handoffs(recorded!)).toEqual({
    transfersRequested: 2,
    transfersCompleted: 2,
    callbacksRequested: 1,
    callbacksCompleted: 1,
  });
  expect(handoffs(baseline!)).toEqual(handoffs(recorded!));
  // Over the same window (the period, or until its last call ended): the same talk over the same signed-in time.
  expect(Math.abs(baseline!.occupancy - recorded!.occupancy)).toBeLessThanOrEqual(0.01);
  expect(whatif.stdout).toMatch(/transfers completed +2 +2/);
});
