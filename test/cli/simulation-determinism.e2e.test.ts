// Exact simulated time (issue 14, item 0): the demo run twice with the same seed and start, once on a quiet
// machine and once beside a process spinning both cores, gives the same per-call outcomes (every event of
// every call and of its agents, at the same simulated second) and the same statistics, and the platform counts
// no miss that the phones were not scripted to make.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { type SwitchyardRun as Run, runSwitchyard as run } from "../support/switchyard-process.js";

/** A child process spinning both cores (its main thread and a worker) until killed. */
function cpuHog() {
  const child = spawn(
    process.execPath,
    ["-e", "new (require('node:worker_threads').Worker)('for(;;){}', { eval: true }); for(;;){}"],
    { stdio: "ignore" },
  );
  hogs.add(child);
  return {
    [Symbol.dispose]: () => {
      child.kill("SIGKILL");
      hogs.delete(child);
    },
  };
}
const hogs = new Set<ReturnType<typeof spawn>>();

const dir = await mkdtemp(join(tmpdir(), "switchyard-determinism-"));
afterAll(async () => {
  // A run that timed out leaves its hog behind otherwise.
  for (const hog of hogs) hog.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

const demo = (out: string) => [
  "demo",
  "--minutes",
  "3",
  "--seed",
  "determinism",
  "--start-at",
  "2026-01-05T09:00:00Z",
  "--calls-out",
  out,
];

it("the same seed gives the same per-call outcomes and statistics on a quiet machine and under CPU load", async () => {
  const quiet = await run(demo(join(dir, "quiet.json")));
  expect(quiet.stderr).toBe("");
  expect(quiet.stdout).toContain("virtual clock (exact simulated time)");
  expect(quiet.stdout).toContain("switchyard demo: ok");
  let loaded: Run;
  {
    using _hog = cpuHog();
    loaded = await run(demo(join(dir, "loaded.json")));
  }
  expect(loaded.stdout).toContain("switchyard demo: ok");

  const a = JSON.parse(await readFile(join(dir, "quiet.json"), "utf8"));
  const b = JSON.parse(await readFile(join(dir, "loaded.json"), "utf8"));
  expect(a.calls.length).toBeGreaterThan(10);
  expect(a.statistics.calls.answered).toBeGreaterThan(0);
  expect(b.calls).toEqual(a.calls);
  expect(b.statistics).toEqual(a.statistics);
  // Timers fire at their due time exactly.
  expect(a.statistics.timers.latenessMaxSec).toBe(0);

  // The misses the platform counted are the phones' scripted ones (no answer, busy, declined), never an
  // answer that came too late; the scripted share is drawn from the traffic file's rates.
  for (const out of [quiet.stdout, loaded.stdout]) {
    const line = out.split("\n").find((l) => l.includes("agents' phones:"));
    expect(line).toMatch(/none beyond the scripted ones/);
    const [, rings, scripted, fromFile] =
      /phones: (\d+) rings, \d+ scripted to miss \(([\d.]+)%; the traffic file's rates give ([\d.]+)%\)/.exec(
        line!,
      )!;
    // The drawn share is within three standard errors of the file's rate (a few dozen rings).
    const p = Number(fromFile) / 100;
    const se = Math.sqrt((p * (1 - p)) / Number(rings));
    expect(Math.abs(Number(scripted) / 100 - p)).toBeLessThanOrEqual(3 * se);
  }
}, 900_000);
