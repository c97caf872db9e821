/**
 * Prints the default scenario's trace digest for a few seeds (5 virtual minutes each), so an
 * optimization can be checked for "no observable change": the digests before and after must be
 * equal. Usage: `node dist/bench/digests.js [seeds...]` (default seeds 1 2 3); it also prints wall
 * and CPU time per run.
 * Benchmark tooling only: it may read the wall clock; nothing in src/ imports it.
 */
import { findScenario } from '../src/catalog/registry.js';
import { runScenario } from '../src/scenario/runner.js';

const DURATION_MS = 300_000;

const seeds = process.argv.length > 2 ? process.argv.slice(2) : ['1', '2', '3'];
const scenario = findScenario('default');
if (scenario === undefined) throw new Error('no default scenario');
for (const seed of seeds) {
  const startedMs = performance.now();
  const cpuBefore = process.cpuUsage();
  const { report } = runScenario(scenario, seed, { durationMs: DURATION_MS });
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - startedMs;
  // CPU time is reported too: on a shared machine it is steadier than wall time.
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    `seed ${seed} digest ${report.traceDigest} events ${report.events} spans ${report.spans} ` +
      `verdict ${report.verdict} wall ${wallMs.toFixed(0)} ms cpu ${cpuMs.toFixed(0)} ms`,
  );
}
