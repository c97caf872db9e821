/**
 * Where a run's live memory is, read from a V8 heap snapshot. Two commands:
 *
 *   node --expose-gc dist/bench/heap-snapshot.js take SCENARIO.json SHARE OUT.heapsnapshot
 *     runs seed 1 of the scenario and, once SHARE (0-1) of its expected deliveries are made,
 *     collects garbage and writes a snapshot (an all-nodes burst's live peak is near 0.85-0.9);
 *   node --max-old-space-size=12000 dist/bench/heap-snapshot.js owners OUT.heapsnapshot [DEPTH]
 *     prints the largest groups of objects by kind and by the path of their first retainers.
 *
 * Why a reader of its own: the snapshot of a 3,000-node burst is over a gigabyte of JSON, past
 * the longest string V8 makes, so `JSON.parse` cannot read it (and Chrome's viewer struggles).
 * Here the node and edge arrays are parsed as numbers straight from the bytes; only the strings
 * table goes through `JSON.parse`. A group is named by the object's kind and the chain of first
 * retainers above it (the first strong edge that reaches it in the snapshot's edge order), which
 * is how docs/performance.md names what a burst holds (round 35).
 */
import { readFileSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { parseScenarioJson } from '../src/scenario/scenario-json.js';
import { runScenario } from '../src/scenario/runner.js';

interface Snapshot {
  readonly nodeFields: readonly string[];
  readonly nodeTypes: readonly string[];
  readonly edgeFields: readonly string[];
  readonly edgeTypes: readonly string[];
  readonly nodes: Float64Array;
  readonly edges: Float64Array;
  readonly strings: readonly string[];
}

/** The numbers of the JSON array that starts at `at` (just past its '['), and where it ends. */
function numbersAt(buf: Buffer, at: number): { readonly values: Float64Array; readonly end: number } {
  let values = new Float64Array(1 << 20);
  let length = 0;
  let value = 0;
  let inNumber = false;
  let i = at;
  for (;; i++) {
    const c = buf[i];
    if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      inNumber = true;
      continue;
    }
    if (inNumber) {
      if (length === values.length) {
        const grown = new Float64Array(values.length * 2);
        grown.set(values);
        values = grown;
      }
      values[length++] = value;
      value = 0;
      inNumber = false;
    }
    if (c === 0x5d /* ] */) break;
  }
  return { values: values.subarray(0, length), end: i };
}

function readSnapshot(file: string): Snapshot {
  const buf = readFileSync(file);
  const find = (text: string, from = 0): number => {
    const at = buf.indexOf(text, from);
    if (at < 0) throw new Error(`${file}: no ${text} (not a heap snapshot, or cut short)`);
    return at;
  };
  const nodesAt = find('"nodes":[');
  const metaText = buf.subarray(find('"snapshot":') + '"snapshot":'.length, nodesAt).toString('utf8').trim().replace(/,$/, '');
  const meta = (JSON.parse(metaText) as { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } }).meta;
  const nodes = numbersAt(buf, nodesAt + '"nodes":['.length);
  const edges = numbersAt(buf, find('"edges":[', nodes.end) + '"edges":['.length);
  const stringsAt = find('"strings":[', edges.end) + '"strings":'.length;
  const stringsEnd = buf.lastIndexOf(0x5d /* ] */);
  return {
    nodeFields: meta.node_fields,
    nodeTypes: meta.node_types[0],
    edgeFields: meta.edge_fields,
    edgeTypes: meta.edge_types[0],
    nodes: nodes.values,
    edges: edges.values,
    strings: JSON.parse(buf.subarray(stringsAt, stringsEnd + 1).toString('utf8')) as string[],
  };
}

/** Groups of objects by kind and first-retainer path, largest first. */
function owners(s: Snapshot, depth: number): { readonly group: string; readonly bytes: number; readonly count: number }[] {
  const nf = s.nodeFields.length;
  const ef = s.edgeFields.length;
  const [typeF, nameF, sizeF, edgeCountF] = ['type', 'name', 'self_size', 'edge_count'].map((f) => s.nodeFields.indexOf(f));
  const [edgeTypeF, edgeNameF, toF] = ['type', 'name_or_index', 'to_node'].map((f) => s.edgeFields.indexOf(f));
  const count = s.nodes.length / nf;
  const kind = (n: number): string => {
    const type = s.nodeTypes[s.nodes[n * nf + typeF]];
    // Strings, numbers and code are named by their contents: group them by type alone.
    return ['object', 'native', 'closure', 'array', 'hidden'].includes(type) ? `${type}:${String(s.strings[s.nodes[n * nf + nameF]]).slice(0, 40)}` : type;
  };
  const parent = new Int32Array(count).fill(-1);
  const via: string[] = new Array<string>(count);
  for (let n = 0, e = 0; n < count; n++) {
    const edgesOut = s.nodes[n * nf + edgeCountF];
    for (let k = 0; k < edgesOut; k++, e += ef) {
      const type = s.edgeTypes[s.edges[e + edgeTypeF]];
      if (type === 'weak' || type === 'shortcut') continue;
      const to = s.edges[e + toF] / nf;
      if (parent[to] !== -1) continue;
      parent[to] = n;
      via[to] = type === 'element' || type === 'hidden' ? '[]' : String(s.strings[s.edges[e + edgeNameF]]);
    }
  }
  const groups = new Map<string, { bytes: number; count: number }>();
  for (let n = 0; n < count; n++) {
    let path = kind(n);
    for (let p = n, d = 0; d < depth && parent[p] >= 0; d++, p = parent[p]) path = `${kind(parent[p])}.${via[p]} > ${path}`;
    const g = groups.get(path) ?? { bytes: 0, count: 0 };
    g.bytes += s.nodes[n * nf + sizeF];
    g.count++;
    groups.set(path, g);
  }
  return [...groups].map(([group, g]) => ({ group, ...g })).sort((a, b) => b.bytes - a.bytes || (a.group < b.group ? -1 : 1));
}

function take(file: string, share: number, out: string): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run it with node --expose-gc');
  const parsed = parseScenarioJson(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.error}`);
  let taken = false;
  runScenario(parsed.scenario, '1', {
    onProgress: (p) => {
      if (taken || p.deliveries.expected === 0 || p.deliveries.reached < share * p.deliveries.expected) return;
      taken = true;
      gc();
      const m = process.memoryUsage();
      writeHeapSnapshot(out);
      console.log(JSON.stringify({ events: p.events, reached: p.deliveries.reached, expected: p.deliveries.expected, heapBytes: m.heapUsed, arrayBufferBytes: m.arrayBuffers, snapshot: out }));
      process.exit(0);
    },
  });
  if (!taken) throw new Error(`${file}: the run ended before ${share} of its deliveries`);
}

const [command, ...args] = process.argv.slice(2);
if (command === 'take' && args.length === 3) {
  take(args[0], Number(args[1]), args[2]);
} else if (command === 'owners' && args.length >= 1) {
  const s = readSnapshot(args[0]);
  const rows = owners(s, Number(args[1] ?? 2));
  const total = rows.reduce((sum, r) => sum + r.bytes, 0);
  console.log(`${(total / 1e6).toFixed(1)} MB in ${s.nodes.length / s.nodeFields.length} objects`);
  for (const r of rows.slice(0, 40)) console.log(`${(r.bytes / 1e6).toFixed(1).padStart(8)} MB ${String(r.count).padStart(9)}  ${r.group}`);
} else {
  console.error('usage: heap-snapshot.js take SCENARIO.json SHARE OUT.heapsnapshot | owners FILE.heapsnapshot [DEPTH]');
  process.exit(2);
}
