import { existsSync, mkdirSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CallFigures } from "@switchyard/simulation";
import { chromium } from "playwright-core";
import { afterAll, expect, it } from "vitest";
import { runSwitchyard as cli } from "../support/switchyard-process.js";
import { expectReproduced, extractDayFile, plannedCalls, recordDay } from "../support/whatif-day.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/whatif-erlang.yaml", import.meta.url));
/** Where the screenshot of the report is left for people to look at (.switchyard/ is not committed). */
const SCREENSHOT = fileURLToPath(new URL("../../.switchyard/whatif-report.png", import.meta.url));
const START = "2026-01-05T09:00:00Z";
const MINUTES = 30;
const TO = new Date(Date.parse(START) + MINUTES * 60_000).toISOString();

const dir = await mkdtemp(join(tmpdir(), "switchyard-whatif-"));
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Erlang C: the probability an arrival waits, with `c` agents and offered load `a` = λ/μ Erlangs. */
function erlangC(c: number, a: number): number {
  let sum = 0;
  let term = 1; // a^k / k!
  for (let k = 0; k < c; k++) {
    sum += term;
    term = (term * a) / (k + 1);
  }
  const top = (term * c) / (c - a); // a^c / c! · c / (c - a)
  return top / (sum + top);
}

const dayFile = join(dir, "day.yaml");
const html = join(dir, "report.html");
const json = join(dir, "report.json");

it("extraction from a recorded simulated day gives back the arrival and talk times that generated it", async () => {
  const store = ["--data-dir", join(dir, "recorded")];
  await recordDay(FIXTURE, START, store, ["--minutes", String(MINUTES)]);
  const { day } = await extractDayFile(START, TO, store, dayFile);

  // What generated the day: the fixture's traffic planned as `simulate` planned it.
  const planned = await plannedCalls(FIXTURE, MINUTES);
  expect(planned.length).toBeGreaterThan(30);
  expectReproduced(day.traffic.calls, planned);
  // The recorded configuration came out of the config stream.
  expect(day.recordedConfig.groups.support!.members).toEqual(["a1", "a2", "a3"]);
});

it("the baseline re-run matches the recorded day; one more agent lowers ASA and P(wait) as Erlang C says", async () => {
  const whatif = await cli([
    "whatif",
    "--traffic",
    dayFile,
    "--set",
    "groups.support.addAgents=1",
    "--html",
    html,
    "--json-out",
    json,
  ]);
  expect(whatif.stderr).toBe("");
  expect(whatif.code).toBe(0);
  expect(whatif.stdout).toContain("whatif comparison");
  // The report says how closely the baseline reproduced the recording, overall and for the group.
  expect(whatif.stdout).toMatch(
    /how closely the baseline reproduced the recorded day[^\n]*\n {2}overall: (\d+) → \1 calls; answer rate .* points\)/,
  );
  expect(whatif.stdout).toMatch(/\n {2}Support \(support\): \d+ → \d+ calls; answer rate/);
  const { runs } = JSON.parse(await readFile(json, "utf8")) as {
    runs: Array<{ name: string; groups: Record<string, CallFigures> }>;
  };
  expect(runs.map((r) => r.name)).toEqual(["recorded", "baseline", "groups.support.addAgents=1"]);
  const [recorded, baseline, variant] = runs.map((r) => r.groups.support!);

  // Baseline against the recording. Stated tolerance: the same calls offered and answered, the answer rate
  // within 1 percentage point, ASA within 2 s or 5% (whichever is larger), P(wait) within 2 points.
  expect(baseline!.offered).toBe(recorded!.offered);
  expect(Math.abs(baseline!.answerRate - recorded!.answerRate)).toBeLessThanOrEqual(0.01);
  expect(Math.abs(baseline!.averageSpeedOfAnswerSec - recorded!.averageSpeedOfAnswerSec)).toBeLessThanOrEqual(
    Math.max(2, 0.05 * recorded!.averageSpeedOfAnswerSec),
  );
  expect(Math.abs(baseline!.waitedShare - recorded!.waitedShare)).toBeLessThanOrEqual(0.02);

  // Erlang C for the group: λ = 72 calls an hour, mean talk 120 s (the fixture's traffic).
  const lambda = 72 / 3600;
  const mu = 1 / 120;
  const a = lambda / mu;
  const predicted = (c: number) => ({ pWait: erlangC(c, a), asa: erlangC(c, a) / (c * mu - lambda) });
  const [three, four] = [predicted(3), predicted(4)];
  // Direction: the variant waits less, by every measure.
  expect(variant!.averageSpeedOfAnswerSec).toBeLessThan(baseline!.averageSpeedOfAnswerSec);
  expect(variant!.waitedShare).toBeLessThan(baseline!.waitedShare);
  // Size: the same callers in both runs, so the share of waiting removed is compared with Erlang C's. Erlang C
  // is the steady state; a 30-minute day that starts empty waits less than it says at both staffing levels,
  // so the reductions are compared, not the levels: within 0.25 of the predicted reduction.
  const asaCut = 1 - variant!.averageSpeedOfAnswerSec / baseline!.averageSpeedOfAnswerSec;
  const pWaitCut = 1 - variant!.waitedShare / baseline!.waitedShare;
  console.log(
    `Erlang C: P(wait) ${three.pWait.toFixed(3)} → ${four.pWait.toFixed(3)}, ASA ${three.asa.toFixed(1)} → ${four.asa.toFixed(1)} s; ` +
      `measured: P(wait) ${baseline!.waitedShare.toFixed(3)} → ${variant!.waitedShare.toFixed(3)}, ` +
      `ASA ${baseline!.averageSpeedOfAnswerSec.toFixed(1)} → ${variant!.averageSpeedOfAnswerSec.toFixed(1)} s`,
  );
  expect(Math.abs(asaCut - (1 - four.asa / three.asa))).toBeLessThanOrEqual(0.25);
  expect(Math.abs(pWaitCut - (1 - four.pWait / three.pWait))).toBeLessThanOrEqual(0.25);
});

it("the HTML report renders in headless Chromium without console errors; a screenshot is saved", async (ctx) => {
  const executablePath = "/usr/bin/chromium";
  if (!existsSync(executablePath)) {
    console.log(
      `skipped: ${executablePath} is missing (infra/ensure-chromium.sh installs Debian's chromium)`,
    );
    ctx.skip();
  }
  expect(existsSync(html)).toBe(true);
  const profile = await mkdtemp(join(tmpdir(), "switchyard-chromium-"));
  // A new empty profile (playwright passes it as --user-data-dir).
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    // Self-contained: any request other than the file itself is a fault.
    page.on("request", (r) => {
      if (!r.url().startsWith("file://")) problems.push(`request: ${r.url()}`);
    });
    await page.goto(`file://${html}`, { waitUntil: "load" });
    expect(await page.locator("h1").textContent()).toContain("What-if");
    expect(await page.locator("table").count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator("svg polyline").count()).toBeGreaterThanOrEqual(6);
    mkdirSync(join(SCREENSHOT, ".."), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  }
});

it("a re-run decides the same on the in-memory event store (the default) as on PGlite, call by call", async () => {
  const pgliteJson = join(dir, "report-pglite.json");
  const onPglite = await cli(["whatif", "--traffic", dayFile, "--store", "pglite", "--json-out", pgliteJson]);
  expect(onPglite.stderr).toBe("");
  expect(onPglite.code).toBe(0);
  type Runs = { runs: Array<{ name: string; calls?: unknown; overall: unknown; groups: unknown }> };
  const memory = (JSON.parse(await readFile(json, "utf8")) as Runs).runs.find((r) => r.name === "baseline");
  const pglite = (JSON.parse(await readFile(pgliteJson, "utf8")) as Runs).runs.find(
    (r) => r.name === "baseline",
  );
  expect(memory?.overall).toBeDefined();
  // The whole baseline: figures per group and overall, and each call's outcome where the report keeps them.
  expect(pglite).toEqual(memory);
});
