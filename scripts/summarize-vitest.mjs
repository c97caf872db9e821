// Prints the plain CI summary line "N passed, N failed[, N skipped]" from vitest's JSON report.
// A missing or unreadable report counts as one failure, so CI can never pass silently.
import { readFileSync } from 'node:fs';

const path = process.argv[2] ?? 'artifacts/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(path, 'utf8'));
} catch (err) {
  console.log('0 passed, 1 failed');
  console.error(`summarize: cannot read ${path}: ${err.message}`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// Suites that failed to load count as failures too.
const failed = (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0 ? Math.max(0, report.numFailedTestSuites - countSuitesWithFailedTests(report)) : 0);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);

function countSuitesWithFailedTests(r) {
  return (r.testResults ?? []).filter((s) => (s.assertionResults ?? []).some((a) => a.status === 'failed')).length;
}

console.log(`${passed} passed, ${failed} failed` + (skipped > 0 ? `, ${skipped} skipped` : ''));
process.exit(failed > 0 || passed === 0 ? 1 : 0);
