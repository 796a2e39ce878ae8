// Folds the result of a run over chosen files into the full run's incremental file, so `pnpm mutate` later
// re-tests only what changed there too. Stryker's own incremental file holds only the files of its run, and
// its test ids are numbers private to one report: here they are matched by test file and test name.
//
// Only merged when both reports saw exactly the same test files (same sources): otherwise a mutant kept from
// the full run could be reported against tests that no longer exist, and a survivor would not be re-tested by
// a test added since. Then nothing is merged and the full run's file stays as it was.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const key = (file, name) => `${file}\u0000${name}`;

/** @returns {string} what was done, for the log */
export function mergeIncremental(mainPath, partialPath) {
  const partial = JSON.parse(readFileSync(partialPath, "utf8"));
  if (!existsSync(mainPath)) {
    writeFileSync(mainPath, JSON.stringify(partial, null, 2));
    return `started ${mainPath} from this run`;
  }
  const main = JSON.parse(readFileSync(mainPath, "utf8"));
  const files = new Set([...Object.keys(main.testFiles ?? {}), ...Object.keys(partial.testFiles ?? {})]);
  for (const f of files) {
    if (main.testFiles?.[f]?.source !== partial.testFiles?.[f]?.source) {
      return `not merged into ${mainPath}: test file ${f} differs from the one its results were made with (run \`pnpm mutate\` over everything to refresh it)`;
    }
  }
  const idOf = new Map();
  for (const [f, tf] of Object.entries(partial.testFiles))
    for (const t of tf.tests) idOf.set(key(f, t.name), t.id);
  const remap = new Map();
  for (const [f, tf] of Object.entries(main.testFiles)) {
    for (const t of tf.tests) {
      const id = idOf.get(key(f, t.name));
      if (id === undefined) return `not merged into ${mainPath}: test "${t.name}" of ${f} is not in this run`;
      remap.set(t.id, id);
    }
  }
  const ids = (list) => list?.map((id) => remap.get(id) ?? id);
  const kept = Object.fromEntries(
    Object.entries(main.files)
      .filter(([f]) => !(f in partial.files))
      .map(([f, file]) => [
        f,
        {
          ...file,
          mutants: file.mutants.map((m) => ({
            ...m,
            ...(m.killedBy ? { killedBy: ids(m.killedBy) } : {}),
            ...(m.coveredBy ? { coveredBy: ids(m.coveredBy) } : {}),
          })),
        },
      ]),
  );
  const merged = { ...partial, files: { ...kept, ...partial.files } };
  writeFileSync(mainPath, JSON.stringify(merged, null, 2));
  return `merged ${Object.keys(partial.files).length} file(s) into ${mainPath} (now ${Object.keys(merged.files).length})`;
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
