/**
 * Scale (SPEC §10.1, issue goals): the `protocol` profile at 1k, 2k, 5k and 10k nodes (boot,
 * then 2 virtual minutes with one broadcast per second from a random node) and the `full`
 * profile at 100, 200, 500 and 1,000 nodes × 60 s, each in its own process (bench/scale-one).
 * Between them, the all-nodes burst at 100 nodes (the size of the project's speed anchor) and at
 * 1,000 nodes: every node broadcasts once at the same moment, n² (node, message) deliveries.
 * Scenario files live in bench/scenarios/. Prints wall and CPU seconds, peak RSS, events,
 * events per node and virtual second, events/s, µs/event (CPU), the boot's wall seconds and
 * µs/event after it, the wall seconds of the workload's first virtual second (a burst's own time),
 * and bytes per node, then the growth exponent k of wall ∝ nodes^k fitted
 * over the protocol runs. Long: opt-in (`node dist/bench/main.js scale`); `SCALE_ONLY=protocol-1k,full-100`
 * picks runs; `SCALE_ONLY=burst-10k` runs the all-nodes burst and `SCALE_ONLY=protocol-100k` the
 * 100,000-node moonshot (boot 1 ms apart, then 10 virtual s), which no default run includes.
 * `SCALE_ONLY=protocol-1k-at-once,protocol-10k-at-once` runs the same sizes on one virtual
 * schedule: every node started at 0 s, broadcasts from 5 s. The default runs boot a node every
 * 5 ms, so their boot lasts n × 5 ms, with every node already up idling through it: the
 * scenario's own work grows as n² there (11.2× events from 1k to 10k), and only the at-once runs
 * compare the simulator's cost at two sizes for the same simulated time.
 * `SCALE_REPEAT=N` makes N passes over the picked runs, one after another (so 1k and 10k
 * alternate), and prints each pass's 10k/1k line and their median: one run of each says little
 * on a host whose speed moves by a quarter within the hour.
 * Each run gets the young generation `meshsim run` gives a run its size (src/cli/memory-guard.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { largeRunSemiSpaceMb, youngGenerationFlags } from '../src/cli/memory-guard.js';
import { parseScenarioJson } from '../src/scenario/scenario-json.js';
import type { Row } from './table.js';

const RUNS = ['protocol-1k', 'protocol-2k', 'protocol-5k', 'protocol-10k', 'burst-100', 'burst-1k', 'full-100', 'full-200', 'full-500', 'full-1000'];
/**
 * Runs only when named in SCALE_ONLY: the all-nodes burst at 10,000 nodes is Θ(n²) deliveries
 * (about an hour on the development machine), protocol-100k, the moonshot, boots 100,000 nodes
 * (10–22 minutes there), and the at-once rows repeat the protocol rows on one schedule.
 */
const OPT_IN_RUNS = ['burst-10k', 'protocol-100k', 'protocol-1k-at-once', 'protocol-2k-at-once', 'protocol-5k-at-once', 'protocol-10k-at-once'];
const SCENARIO_DIR = join(import.meta.dirname, '..', '..', 'bench', 'scenarios');

interface One {
  readonly scenario: string;
  readonly nodes: number;
  readonly virtualMs: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssBytes: number;
  readonly events: number;
  readonly verdict: string;
  readonly violations: readonly string[];
  readonly traceDigest: string;
  /** Until the first workload event (null: no workload, or the run ended first). */
  readonly boot: { readonly virtualMs: number; readonly wallMs: number; readonly cpuMs: number; readonly events: number } | null;
  /** The workload's first virtual second alone (a burst is over within it; null: none). */
  readonly firstSecond: { readonly virtualMs: number; readonly wallMs: number; readonly cpuMs: number; readonly events: number } | null;
}

export function run(): Row[] {
  const only = process.env.SCALE_ONLY?.split(',').filter((s) => s.length > 0);
  let repeat: number;
  let names: string[];
  try {
    repeat = repeatOf(process.env.SCALE_REPEAT);
    names = pickRuns(only);
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    process.exit(2);
  }
  const rows: Row[] = [];
  /** The protocol runs by family (the goal's rows `protocol-Nk`, the at-once rows), one list per pass. */
  const protocol = new Map<string, One[][]>();
  // Passes one after another, each over every picked run in order: the sizes alternate, so a
  // slow hour of the host falls on both ends of a ratio rather than on one.
  for (let pass = 0; pass < repeat; pass++) {
    for (const name of names) {
      const ran = runOne<One>('scale-one.js', name);
      const label = repeat > 1 ? `${name} (pass ${pass + 1})` : name;
      if (typeof ran === 'string') {
        rows.push({ run: label, nodes: '', 'wall s': ran });
        continue;
      }
      const one = ran;
      if (name.startsWith('protocol')) {
        // protocol-100k boots 1 ms apart: a schedule of its own.
        const family = name === 'protocol-100k' ? name : name.replace(/-\d+k/, '-Nk');
        const passes = protocol.get(family) ?? [];
        (passes[pass] ??= []).push(one);
        protocol.set(family, passes);
      }
      rows.push({
        run: label,
        nodes: one.nodes,
        'wall s': (one.wallMs / 1000).toFixed(1),
        'CPU s': (one.cpuMs / 1000).toFixed(1),
        'peak RSS MB': Math.round(one.peakRssBytes / 2 ** 20),
        events: one.events,
        // Cost linear in nodes means this stays flat as nodes grow.
        'events/node/virtual s': (one.events / one.nodes / (one.virtualMs / 1000)).toFixed(2),
        'events/s': Math.round(one.events / (one.wallMs / 1000)),
        'µs/event': ((one.cpuMs * 1000) / one.events).toFixed(2),
        // The boot's share and the steady state's cost apart: at scale they grow differently.
        'boot wall s': one.boot === null ? '' : (one.boot.wallMs / 1000).toFixed(1),
        'µs/event after boot': one.boot === null ? '' : (((one.cpuMs - one.boot.cpuMs) * 1000) / (one.events - one.boot.events)).toFixed(2),
        // A burst is over within the workload's first virtual second: this is its time alone.
        '1st workload s, wall s': one.firstSecond === null ? '' : (one.firstSecond.wallMs / 1000).toFixed(2),
        'KB/node': Math.round(one.peakRssBytes / one.nodes / 1024),
        verdict: one.verdict === 'pass' ? 'pass' : `FAIL ${one.violations[0] ?? ''}`,
        // The same seed must give the same trace at any size: compare this column across runs.
        digest: one.traceDigest.slice(0, 12),
      });
    }
  }
  for (const [family, passes] of protocol) for (const line of familyLines(family, passes)) rows.push({ run: line, nodes: '' });
  return rows;
}

/**
 * The runs `SCALE_ONLY` names (`only`), in the bench's order; every default run without it. A
 * name the bench does not know is refused: a typo would otherwise run nothing and say nothing.
 */
export function pickRuns(only: readonly string[] | undefined): string[] {
  const known = [...RUNS, ...OPT_IN_RUNS];
  if (only === undefined) return [...RUNS];
  const unknown = only.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new Error(`unknown SCALE_ONLY run(s): ${unknown.join(', ')}; known: ${known.join(', ')}`);
  return known.filter((name) => only.includes(name));
}

/** `SCALE_REPEAT`: how many passes over the picked runs (default 1). */
export function repeatOf(value: string | undefined): number {
  if (value === undefined || value === '') return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new Error(`SCALE_REPEAT must be a whole number from 1 to 100, not ${JSON.stringify(value)}`);
  return n;
}

/**
 * The summary lines of one protocol family over its passes (`passes[i]`: the family's runs of
 * pass i): each pass's growth exponent and 10k/1k line, then, with more than one pass, the
 * medians of the 10k/1k ratios — the goal's figure (wall(10k) / wall(1k) ≤ 12; CPU beside it,
 * which the host's load moves less).
 */
export function familyLines(family: string, passes: readonly (readonly Pick<One, 'nodes' | 'wallMs' | 'cpuMs' | 'events'>[] | undefined)[]): string[] {
  const lines: string[] = [];
  const wall: number[] = [];
  const cpu: number[] = [];
  for (const [i, runs] of passes.entries()) {
    if (runs === undefined || runs.length < 2) continue;
    const tag = passes.length > 1 ? `${family} runs, pass ${i + 1}` : `${family} runs`;
    lines.push(`growth: wall ∝ nodes^${exponent(runs).toFixed(2)} (${tag})`);
    const small = runs.find((r) => r.nodes === 1_000);
    const large = runs.find((r) => r.nodes === 10_000);
    if (small === undefined || large === undefined) continue;
    wall.push(large.wallMs / small.wallMs);
    cpu.push(large.cpuMs / small.cpuMs);
    const tagged = passes.length > 1 ? `${family}, pass ${i + 1}` : family;
    lines.push(`10k / 1k (${tagged}): wall ${(large.wallMs / small.wallMs).toFixed(1)}, CPU ${(large.cpuMs / small.cpuMs).toFixed(1)}, events ${(large.events / small.events).toFixed(1)}`);
  }
  if (wall.length > 1) lines.push(`10k / 1k (${family}), median of ${wall.length} passes: wall ${median(wall).toFixed(1)}, CPU ${median(cpu).toFixed(1)}`);
  return lines;
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs bench/`script` on bench/scenarios/`name`.json in its own Node (so its memory is its own),
 * with the young generation `meshsim run` would give it and `flags`; its last stdout line parsed
 * as JSON, or a `failed (exit N): …` cell for the table.
 */
export function runOne<T>(script: string, name: string, flags: readonly string[] = []): T | string {
  const file = join(SCENARIO_DIR, `${name}.json`);
  if (!existsSync(file)) return `failed: no scenario file bench/scenarios/${name}.json`;
  const child = spawnSync(process.execPath, [...flags, '--max-old-space-size=16384', ...youngGenerationFlagsFor(file), join(import.meta.dirname, script), file], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status !== 0 || !line.startsWith('{')) return `failed (exit ${child.status}): ${child.stderr.trim().split('\n').at(-1) ?? ''}`;
  return JSON.parse(line) as T;
}

/** Least-squares slope of log(wall) over log(nodes). */
function exponent(runs: readonly Pick<One, 'nodes' | 'wallMs'>[]): number {
  const xs = runs.map((r) => Math.log(r.nodes));
  const ys = runs.map((r) => Math.log(r.wallMs));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return num / den;
}

/** The young generation `meshsim run` would give this scenario (memory-guard), as Node flags. */
function youngGenerationFlagsFor(file: string): string[] {
  const parsed = parseScenarioJson(JSON.parse(readFileSync(file, 'utf8')));
  const semiSpaceMb = parsed.ok ? largeRunSemiSpaceMb(parsed.scenario, { youngChosen: false }) : null;
  return semiSpaceMb === null ? [] : youngGenerationFlags(semiSpaceMb);
}
