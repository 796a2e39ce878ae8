// `pnpm mutate [files…] [-- stryker flags]`: mutation testing of the domain packages with StrykerJS
// (configuration: stryker.config.mjs). A developer tool, not part of `pnpm test`: a full run takes about an hour
// on this machine.
//
// - No files: the default set (all of packages/routing-domain/src but its test helper, packages/simulation/src,
//   the event store's append-plan.ts). Reports in reports/mutation/ (mutation.json, mutation.html) and the
//   incremental file reports/mutation/stryker-incremental.json, which is committed: the next run re-tests only
//   the mutants whose code or covering tests changed.
// - Files (paths or globs): only those, with their own incremental file and reports under
//   reports/mutation/partial/<name>/ (not committed). Stryker writes an incremental file holding only the files
//   of its run, so a run over one file must not overwrite the full run's file. Its results are then folded into
//   the full run's incremental file when both saw the same tests (merge-incremental.mjs).

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { basename } from "node:path";
import { globMatcher, mergeIncremental } from "./merge-incremental.mjs";

const args = process.argv.slice(2).filter((a) => a !== "--");
const flags = [];
const files = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a.startsWith("--")) {
    flags.push(a);
    // `--concurrency 1`: the value belongs to the flag.
    if (
      !a.includes("=") &&
      args[i + 1] !== undefined &&
      !args[i + 1].startsWith("--") &&
      /^\d+$/.test(args[i + 1])
    ) {
      flags.push(args[++i]);
    }
  } else files.push(a);
}

const env = { ...process.env };
if (files.length > 0) {
  const name =
    files.length === 1
      ? basename(files[0])
          .replace(/\.ts$/, "")
          .replace(/[^\w.-]+/g, "_")
      : `${files.length}-files-${createHash("sha256").update(files.join("\n")).digest("hex").slice(0, 8)}`;
  env.MUTATE_FILES = JSON.stringify(files);
  env.MUTATE_OUT = `reports/mutation/partial/${name}`;
  console.log(`mutating ${files.join(", ")}; reports in ${env.MUTATE_OUT}/`);
  // A first run over these files starts from the full run's results: Stryker diffs the sources and the tests
  // against them and re-tests only the mutants whose code, killing test or covering tests changed.
  const own = `${env.MUTATE_OUT}/stryker-incremental.json`;
  if (!existsSync(own) && existsSync("reports/mutation/stryker-incremental.json")) {
    mkdirSync(env.MUTATE_OUT, { recursive: true });
    copyFileSync("reports/mutation/stryker-incremental.json", own);
  }
}

const run = spawnSync("pnpm", ["exec", "stryker", "run", "stryker.config.mjs", ...flags], {
  stdio: "inherit",
  env,
});
const partial = env.MUTATE_OUT ? `${env.MUTATE_OUT}/stryker-incremental.json` : undefined;
if (run.status === 0 && partial && existsSync(partial)) {
  console.log(mergeIncremental("reports/mutation/stryker-incremental.json", partial, globMatcher(files)));
}
process.exit(run.status ?? 1);
