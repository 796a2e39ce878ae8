// Folds the result of a run over chosen files into the full run's incremental file, so `pnpm mutate` later
// re-tests only what changed there too. Stryker's own incremental file holds only the files of its run, and
// its test ids are numbers private to one report: here they are matched by test file and test name.
//
// Test ids are remapped by test file and name. A test file whose source differs between the two runs (tests
// added or changed since the full run) makes the full run's results that rest on it stale: a kept mutant
// killed by or covered by a test of such a file is dropped, so the next run re-tests it; the others are kept.
// (Stryker itself re-tests a kept survivor that a new test now covers: it compares the coverage.)
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const key = (file, name) => `${file}\u0000${name}`;

/** `*` within a path segment, `**` across segments; a plain path matches itself. */
export function globMatcher(patterns) {
  const segment = (text) =>
    text
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, "[^/]*")
      .replace(/\?/g, "[^/]");
  const res = patterns.map((p) => new RegExp(`^${p.split("**").map(segment).join(".*")}$`));
  return (file) => res.some((re) => re.test(file));
}

/**
 * `mutated`: the files the run mutated. Stryker also writes the files it only carried over from the incremental
 * file it started from (results it did not re-check): those are not taken from the run.
 * @returns {string} what was done, for the log
 */
export function mergeIncremental(mainPath, partialPath, mutated = () => true) {
  const run = JSON.parse(readFileSync(partialPath, "utf8"));
  const partial = {
    ...run,
    files: Object.fromEntries(Object.entries(run.files).filter(([f]) => mutated(f))),
  };
  if (!existsSync(mainPath)) {
    writeFileSync(mainPath, JSON.stringify(partial, null, 2));
    return `started ${mainPath} from this run`;
  }
  const main = JSON.parse(readFileSync(mainPath, "utf8"));
  const changed = new Set(
    [...Object.keys(main.testFiles ?? {}), ...Object.keys(partial.testFiles ?? {})].filter(
      (f) => main.testFiles?.[f]?.source !== partial.testFiles?.[f]?.source,
    ),
  );
  const idOf = new Map();
  for (const [f, tf] of Object.entries(partial.testFiles ?? {}))
    for (const t of tf.tests) idOf.set(key(f, t.name), t.id);
  // Old id → new id, only for tests of unchanged files that are still there.
  const remap = new Map();
  for (const [f, tf] of Object.entries(main.testFiles ?? {})) {
    if (changed.has(f)) continue;
    for (const t of tf.tests) {
      const id = idOf.get(key(f, t.name));
      if (id !== undefined) remap.set(t.id, id);
    }
  }
  const stillValid = (m) => [...(m.killedBy ?? []), ...(m.coveredBy ?? [])].every((id) => remap.has(id));
  const ids = (list) => list?.map((id) => remap.get(id));
  let dropped = 0;
  const kept = Object.fromEntries(
    Object.entries(main.files)
      .filter(([f]) => !(f in partial.files))
      .map(([f, file]) => {
        const mutants = file.mutants.filter(stillValid);
        dropped += file.mutants.length - mutants.length;
        return [
          f,
          {
            ...file,
            mutants: mutants.map((m) => ({
              ...m,
              ...(m.killedBy ? { killedBy: ids(m.killedBy) } : {}),
              ...(m.coveredBy ? { coveredBy: ids(m.coveredBy) } : {}),
            })),
          },
        ];
      }),
  );
  const merged = { ...partial, files: { ...kept, ...partial.files } };
  writeFileSync(mainPath, JSON.stringify(merged, null, 2));
  const stale =
    dropped > 0
      ? `; ${dropped} mutant(s) of other files dropped, their tests changed (re-tested by the next run)`
      : "";
  return `merged ${Object.keys(partial.files).length} file(s) into ${mainPath} (now ${Object.keys(merged.files).length})${stale}`;
}

/** Mutation score per file as Stryker counts it: detected / (detected + undetected); compile errors and ignored left out. */
export function scores(report) {
  const rows = [];
  const total = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, errors: 0, ignored: 0 };
  for (const [f, file] of Object.entries(report.files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const c = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, errors: 0, ignored: 0 };
    for (const m of file.mutants) {
      if (m.status === "Killed") c.killed++;
      else if (m.status === "Timeout") c.timeout++;
      else if (m.status === "Survived") c.survived++;
      else if (m.status === "NoCoverage") c.noCoverage++;
      else if (m.status === "Ignored") c.ignored++;
      else c.errors++;
    }
    for (const k of Object.keys(total)) total[k] += c[k];
    rows.push({ file: f, ...c });
  }
  rows.push({ file: "all", ...total });
  return rows.map((r) => {
    const detected = r.killed + r.timeout;
    const valid = detected + r.survived + r.noCoverage;
    return { ...r, score: valid === 0 ? 100 : Math.round((10000 * detected) / valid) / 100 };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // `node infra/mutation/merge-incremental.mjs --scores [report.json]`: the per-file table of a report.
  const file = process.argv[3] ?? "reports/mutation/stryker-incremental.json";
  if (process.argv[2] === "--scores") console.table(scores(JSON.parse(readFileSync(file, "utf8"))));
}
