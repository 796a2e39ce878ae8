// What a recorded simulated day was generated from, and the check that `switchyard extract` gave it back: the
// what-if tests record a day from a contact-centre file's traffic (PGlite or PostgreSQL) and compare.
import { readFile } from "node:fs/promises";
import { loadContactCentre } from "@switchyard/contact-centre";
import { parseTraffic, planCalls, type SimulatedCall } from "@switchyard/simulation";
import { expect } from "vitest";
import { parse } from "yaml";
import { runSwitchyard } from "./switchyard-process.js";

/** The callers of `minutes` of the file's traffic, planned as `simulate` planned them. */
export async function plannedCalls(fixture: string, minutes: number): Promise<SimulatedCall[]> {
  const cc = loadContactCentre(fixture);
  const model = parseTraffic(
    { traffic: parse(await readFile(fixture, "utf8")).traffic },
    fixture,
    cc.snapshot,
  );
  return planCalls({ ...model, durationSec: minutes * 60 }, cc.snapshot);
}

export interface ExtractedCall {
  readonly atSec: number;
  readonly number: string;
  readonly talkSec?: number;
}

/** The day file's recorded callers are the planned ones: arrivals to the platform's millisecond, talk times exactly. */
export function expectReproduced(calls: readonly ExtractedCall[], planned: readonly SimulatedCall[]): void {
  expect(calls).toHaveLength(planned.length);
  calls.forEach((c, i) => {
    expect(Math.abs(c.atSec - planned[i]!.atSec)).toBeLessThanOrEqual(0.001);
    expect(c.number).toBe(planned[i]!.to);
    // Planned to the tenth of a second.
    expect(c.talkSec).toBe(planned[i]!.talkSec);
  });
}

/** `switchyard simulate` of a contact-centre file from `start`, recorded into the database `store` names. */
export async function recordDay(
  fixture: string,
  start: string,
  store: readonly string[],
  extra: readonly string[] = [],
): Promise<void> {
  const run = await runSwitchyard(["simulate", "--config", fixture, "--start-at", start, ...extra, ...store]);
  expect(run.stdout).toContain("switchyard simulate: ok");
}

/** `switchyard extract` of [from, to) out of the database `store` names into `out`: the day file, parsed. */
export async function extractDayFile(
  from: string,
  to: string,
  store: readonly string[],
  out: string,
): Promise<{ readonly day: DayFile; readonly stdout: string }> {
  const run = await runSwitchyard(["extract", "--from", from, "--to", to, ...store, "--out", out]);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  return { day: parse(await readFile(out, "utf8")) as DayFile, stdout: run.stdout };
}

/** The parts of a day file the tests read. */
export interface DayFile {
  readonly traffic: { readonly calls: Array<ExtractedCall & Record<string, unknown>> };
  readonly recordedConfig: { readonly groups: Record<string, { readonly members: string[] }> };
}
