/**
 * One scale run in its own process (so peak RSS belongs to it alone): reads a scenario file,
 * runs seed 1, prints one JSON line with wall and CPU time, peak RSS, events and the verdict.
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
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const { report } = runScenario(parsed.scenario, seed);
const wallMs = performance.now() - wall0;
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({
  scenario: report.scenario,
  nodes: report.nodes.total,
  virtualMs: report.virtualMs,
  wallMs: Math.round(wallMs),
  cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
  events: report.events,
  verdict: report.verdict,
  violations: report.violations.slice(0, 3).map((v) => `${v.check}: ${v.message}`),
  traceDigest: report.traceDigest,
}));
