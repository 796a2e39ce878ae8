// Prints vitest's JSON report as one closing line that CI can read: "N passed, N failed[, N skipped]".
import { readFileSync } from "node:fs";

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (error) {
  console.log(`tests: no report at ${file} (${error.message})`);
  process.exit(1);
}
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const failedSuites = (report.testResults ?? []).filter(
  // A suite that failed without a failed test: it did not load, or a beforeAll/afterAll hook failed.
  (s) => s.status === "failed" && !(s.assertionResults ?? []).some((a) => a.status === "failed"),
);
for (const suite of failedSuites)
  console.log(`suite failed to run: ${suite.name}: ${(suite.message ?? "").split("\n")[0]}`);
const failed = report.numFailedTests + failedSuites.length;
console.log(`${report.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
