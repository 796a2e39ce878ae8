// What a recorded simulated day was generated from, and the check that `switchyard extract` gave it back: the
// what-if tests record a day from a contact-centre file's traffic (PGlite or PostgreSQL) and compare.
import { readFile } from "node:fs/promises";
import { loadContactCentre } from "@switchyard/contact-centre";
import { parseTraffic, planCalls, type SimulatedCall } from "@switchyard/simulation";
import { expect } from "vitest";
import { parse } from "yaml";

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
