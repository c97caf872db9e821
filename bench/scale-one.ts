/**
 * One scale run in its own process (so peak RSS belongs to it alone): reads a scenario file,
 * runs seed 1, prints one JSON line with wall and CPU time, peak RSS, events and the verdict.
 * The boot (until the first workload event, to the virtual second) is also measured apart:
 * at scale it costs more per node than the steady state (docs/performance.md, round 8).
 * Used by the `scale` bench section; `node dist/bench/scale-one.js FILE [SEED]`.
 */
import { readFileSync } from 'node:fs';
import { parseScenarioJson } from '../src/scenario/scenario-json.js';
import { runScenario } from '../src/scenario/runner.js';

const [file, seed = '1'] = process.argv.slice(2);
const parsed = parseScenarioJson(JSON.parse(readFileSync(file, 'utf8')));
if (!parsed.ok) {
  console.error(`scale-one: ${file}: ${parsed.error}`);
  process.exit(2);
}
const workloadFromMs = (parsed.scenario.workload ?? []).map((w) => (w.kind === 'failure' ? w.atMs : w.fromMs));
const bootEndMs = workloadFromMs.length === 0 ? null : Math.min(...workloadFromMs);
const cpuMsSince = (from: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1000;
};
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
let boot: { virtualMs: number; wallMs: number; cpuMs: number; events: number } | null = null;
const { report } = runScenario(parsed.scenario, seed, {
  onProgress: (p) => {
    if (boot !== null || bootEndMs === null || p.virtualMs < bootEndMs) return;
    boot = { virtualMs: p.virtualMs, wallMs: Math.round(performance.now() - wall0), cpuMs: Math.round(cpuMsSince(cpu0)), events: p.events };
  },
});
const wallMs = performance.now() - wall0;
const cpuMs = cpuMsSince(cpu0);
console.log(JSON.stringify({
  scenario: report.scenario,
  nodes: report.nodes.total,
  virtualMs: report.virtualMs,
  wallMs: Math.round(wallMs),
  cpuMs: Math.round(cpuMs),
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
  events: report.events,
  verdict: report.verdict,
  violations: report.violations.slice(0, 3).map((v) => `${v.check}: ${v.message}`),
  traceDigest: report.traceDigest,
  boot,
}));
