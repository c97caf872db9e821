/**
 * One all-nodes burst in its own process, its live memory sampled: `node --expose-gc
 * dist/bench/burst-memory-one.js FILE [SEED]` prints one JSON line. Live memory is what a full
 * collection leaves (V8's heap and the array buffers outside it), read after a forced collection
 * once the burst starts and then every SAMPLE_EVERY_PER_NODE × nodes events; the largest sum is
 * the run's live peak. Peak RSS would not do: V8 lets garbage build up under a large heap limit,
 * so resident memory says more about the limit than about the run.
 * Forced collections cost time: the wall time is printed but is not the burst's speed (the scale
 * section's burst rows are).
 */
import { readFileSync } from 'node:fs';
import { parseScenarioJson } from '../src/scenario/scenario-json.js';
import { runScenario } from '../src/scenario/runner.js';
import { nodeCount } from '../src/scenario/topology.js';

/** Events between two samples, per node: about 30-45 samples over a burst of 1,000-2,000 nodes. */
const SAMPLE_EVERY_PER_NODE = 25;

const [file, seed = '1'] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('burst-memory-one: run it with node --expose-gc');
  process.exit(2);
}
const parsed = parseScenarioJson(JSON.parse(readFileSync(file, 'utf8')));
if (!parsed.ok) {
  console.error(`burst-memory-one: ${file}: ${parsed.error}`);
  process.exit(2);
}

interface Sample { readonly heapBytes: number; readonly arrayBufferBytes: number; readonly events: number; readonly reached: number; readonly expected: number }
const live = (events: number, reached: number, expected: number): Sample => {
  gc();
  const m = process.memoryUsage();
  return { heapBytes: m.heapUsed, arrayBufferBytes: m.arrayBuffers, events, reached, expected };
};
const sum = (s: Sample): number => s.heapBytes + s.arrayBufferBytes;

const sampleEvery = SAMPLE_EVERY_PER_NODE * nodeCount(parsed.scenario.topology);
let start: Sample | null = null;
let peak: Sample | null = null;
let nextAt = 0;
const wall0 = performance.now();
const { report } = runScenario(parsed.scenario, seed, {
  onProgress: (p) => {
    // The burst starts when its broadcasts are sent: the booted cluster's memory is the base.
    if (p.deliveries.expected === 0 || p.events < nextAt) return;
    const sample = live(p.events, p.deliveries.reached, p.deliveries.expected);
    start ??= sample;
    if (peak === null || sum(sample) > sum(peak)) peak = sample;
    nextAt = p.events + sampleEvery;
  },
});
console.log(JSON.stringify({
  scenario: report.scenario,
  nodes: report.nodes.total,
  wallMs: Math.round(performance.now() - wall0),
  events: report.events,
  verdict: report.verdict,
  traceDigest: report.traceDigest,
  start,
  peak,
}));
