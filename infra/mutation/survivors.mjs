// `node infra/mutation/survivors.mjs [report.json]`: the mutants a run left alive (Survived, NoCoverage) and
// the ones a `// Stryker disable` comment or an ignorer took out (Ignored, with the reason), one line each:
// file:line:column mutator replacement.
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? "reports/mutation/mutation.json";
const report = JSON.parse(readFileSync(file, "utf8"));
const wanted = new Set(process.argv.includes("--ignored") ? ["Ignored"] : ["Survived", "NoCoverage"]);
for (const [name, f] of Object.entries(report.files)) {
  for (const m of f.mutants) {
    if (!wanted.has(m.status)) continue;
    const at = `${name}:${m.location.start.line}:${m.location.start.column}`;
    const replacement = (m.replacement ?? "").replace(/\s+/g, " ").slice(0, 80);
    const reason = m.status === "Ignored" ? ` — ${m.statusReason}` : "";
    console.log(`${at} ${m.status} ${m.mutatorName}: ${replacement}${reason}`);
  }
}
