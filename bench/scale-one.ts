/**
 * One scale run in its own process (so peak RSS belongs to it alone): reads a scenario file,
 * runs seed 1, prints one JSON line with wall and CPU time, peak RSS, events and the verdict.
 * The boot (until the first workload event, to the virtual second) is also measured apart:
 * at scale it costs more per node than the steady state (docs/performance.md, round 8).
 * So is the workload's first virtual second (`firstSecond`, from the boot's end to the first
 * check a virtual second later): an all-nodes burst is over within it, so it times the burst
 * alone, without the boot before it or the quiet seconds and the end-of-run checks after.
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
interface Mark { readonly virtualMs: number; readonly wallMs: number; readonly cpuMs: number; readonly events: number }
let boot: Mark | null = null;
let firstSecondEnd: Mark | null = null;
const { report } = runScenario(parsed.scenario, seed, {
  onProgress: (p) => {
    if (p.pace !== 'second' || bootEndMs === null || p.virtualMs < bootEndMs || firstSecondEnd !== null) return;
    const mark = { virtualMs: p.virtualMs, wallMs: Math.round(performance.now() - wall0), cpuMs: Math.round(cpuMsSince(cpu0)), events: p.events };
    if (boot === null) boot = mark;
    else if (p.virtualMs >= boot.virtualMs + 1000) firstSecondEnd = mark;
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
  firstSecond: boot === null || firstSecondEnd === null ? null : since(firstSecondEnd, boot),
}));

function since(end: Mark, start: Mark): Mark {
  return { virtualMs: end.virtualMs - start.virtualMs, wallMs: end.wallMs - start.wallMs, cpuMs: end.cpuMs - start.cpuMs, events: end.events - start.events };
}
