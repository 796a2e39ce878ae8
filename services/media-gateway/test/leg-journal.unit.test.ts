import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { LegJournal, type LegRecord, leftBehind, removeFiles } from "../src/drachtio/leg-journal.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), "leg-journal-"));
  dirs.push(d);
  return d;
}
const leg = (n: number, endpoint = `ep-${n}`): LegRecord => ({
  channelId: `leg-${n}`,
  dialogId: `dlg-${n}`,
  callId: `call-${n}`,
  endpointUuid: endpoint,
  endpointDialogId: `epd-${n}`,
  boot: "b1",
});
const noError = (err: unknown) => {
  throw err;
};

describe("leg journal", () => {
  it("the next process finds the legs up (the last record of each), not the ones down, and not its own file", () => {
    const d = dir();
    const j = new LegJournal(d, "b1", noError);
    j.up(leg(1));
    j.up(leg(2));
    j.up(leg(3));
    j.down("leg-2");
    j.up(leg(1, "ep-1-replaced"));
    j.close();
    const found = leftBehind(d, "legs-b2.jsonl");
    expect(found.legs.sort((a, b) => a.channelId.localeCompare(b.channelId))).toEqual([
      leg(1, "ep-1-replaced"),
      leg(3),
    ]);
    expect(found.files).toEqual([join(d, "legs-b1.jsonl")]);
    expect(leftBehind(d, "legs-b1.jsonl").legs).toEqual([]);
    removeFiles(found.files);
    expect(readdirSync(d)).toEqual([]);
  });

  it("a line torn by a kill is skipped; an earlier version's one-record files are read too", () => {
    const d = dir();
    const j = new LegJournal(d, "b1", noError);
    j.up(leg(1));
    j.close();
    appendFileSync(join(d, "legs-b1.jsonl"), '{"up":{"channelId":"leg-');
    writeFileSync(join(d, "in-old-7.json"), JSON.stringify(leg(7)));
    const found = leftBehind(d, "legs-b2.jsonl");
    expect(found.legs.map((l) => l.channelId).sort()).toEqual(["leg-1", "leg-7"]);
    expect(found.files.length).toBe(2);
  });

  it("stays bounded by the legs up: rewritten with only them once mostly history", () => {
    const d = dir();
    const j = new LegJournal(d, "b1", noError);
    for (let n = 0; n < 5_000; n++) {
      j.up(leg(n));
      if (n >= 10) j.down(`leg-${n - 10}`);
    }
    j.close();
    const lines = readFileSync(join(d, "legs-b1.jsonl"), "utf8").trim().split("\n");
    expect(lines.length).toBeLessThanOrEqual(1_025 + 10);
    expect(leftBehind(d, "x").legs.map((l) => l.channelId)).toEqual(
      Array.from({ length: 10 }, (_, i) => `leg-${4_990 + i}`),
    );
  });

  it("property: whatever the ups, downs and rewrites, the next process finds exactly the legs up", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 })), { maxLength: 3_000 }),
        (ops) => {
          const d = dir();
          const j = new LegJournal(d, "b1", noError);
          const model = new Map<string, LegRecord>();
          ops.forEach(([up, n], i) => {
            if (up) {
              const r = leg(n, `ep-${n}-${i}`);
              j.up(r);
              model.set(r.channelId, r);
            } else {
              j.down(`leg-${n}`);
              model.delete(`leg-${n}`);
            }
          });
          // A killed process does not close its file.
          const found = leftBehind(d, "legs-next.jsonl").legs;
          expect(new Map(found.map((r) => [r.channelId, r]))).toEqual(model);
          expect(j.size).toBe(model.size);
          j.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it("once closed, nothing more is written: what was up stays recorded for the next process", () => {
    const d = dir();
    const j = new LegJournal(d, "b1", noError);
    j.up(leg(1));
    j.close();
    j.down("leg-1");
    j.up(leg(2));
    expect(leftBehind(d, "x").legs).toEqual([leg(1)]);
  });

  it("a write that fails is reported and the journal goes on", () => {
    const d = dir();
    const errors: string[] = [];
    const j = new LegJournal(join(d, "missing"), "b1", (_err, channelId) => errors.push(channelId));
    j.up(leg(1));
    expect(errors).toEqual(["leg-1"]);
    expect(j.size).toBe(0);
  });
});
