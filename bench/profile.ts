/**
 * Reads the newest V8 CPU profile in a directory and prints self time per function, and with
 * `--callers NAME` the callers through which NAME's self time was reached (one level up).
 * Usage: `node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/digests.js 1`, then
 * `node dist/bench/profile.js [/tmp/prof] [--callers encode] [--inclusive] [--top 30]`.
 * `--inclusive` ranks functions by total time (their own plus everything they called).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function label(f: CallFrame): string {
  return `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
}

const args = process.argv.slice(2);
const inclusive = args.includes('--inclusive');
if (inclusive) args.splice(args.indexOf('--inclusive'), 1);
const callersOf = option(args, '--callers');
const top = Number(option(args, '--top') ?? 30);
const dir = args[0] ?? '/tmp/prof';
const newest = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().pop();
if (newest === undefined) throw new Error(`no .cpuprofile in ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, newest), 'utf8')) as Profile;

const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const parentOf = new Map<number, ProfileNode>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

const byLabel = new Map<string, number>();
if (inclusive) {
  // Each sample counts once for every distinct function on its stack (recursion counted once).
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let n = byId.get(id); n !== undefined; n = parentOf.get(n.id)) seen.add(label(n.callFrame));
    for (const key of seen) byLabel.set(key, (byLabel.get(key) ?? 0) + us);
  }
}
for (const n of inclusive ? [] : profile.nodes) {
  const us = selfUs.get(n.id) ?? 0;
  if (us === 0) continue;
  let key = label(n.callFrame);
  if (callersOf !== undefined) {
    if (n.callFrame.functionName !== callersOf) continue;
    const parent = parentOf.get(n.id);
    key = parent === undefined ? '(root)' : label(parent.callFrame);
  }
  byLabel.set(key, (byLabel.get(key) ?? 0) + us);
}
console.log(`${newest}: ${(totalUs / 1000).toFixed(0)} ms sampled${callersOf ? `; callers of ${callersOf}` : ''}`);
for (const [key, us] of [...byLabel].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${key}`);
}
