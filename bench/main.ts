/**
 * `npm run bench`: runs every benchmark section in turn and prints one table per section.
 * To add a section, write bench/<name>.ts exporting `run(): Row[]` and list it below.
 * `node dist/bench/main.js scheduler network` runs only the named sections.
 */
import { run as runBurstMemory } from './burst-memory.js';
import { run as runNetwork } from './network.js';
import { run as runScale } from './scale.js';
import { run as runScenario } from './scenario.js';
import { run as runScheduler } from './scheduler.js';
import { run as runSweep } from './sweep.js';
import { type Row, section } from './table.js';

/** `optIn` sections run only when named (they take many minutes). */
const SECTIONS: readonly { readonly name: string; readonly title: string; readonly run: () => Row[]; readonly optIn?: boolean }[] = [
  { name: 'scheduler', title: 'Scheduler throughput (1M events)', run: runScheduler },
  { name: 'network', title: 'Network message throughput (200k frames, one uni stream)', run: runNetwork },
  { name: 'scenario', title: 'Scenarios: default for 5 virtual minutes, and the 5-minute chaos soak (18 nodes)', run: runScenario },
  { name: 'sweep', title: 'Seed sweep, one-minute soak seeds on 2 workers (goal ≥ 1000 seeds/min)', run: runSweep },
  {
    name: 'scale',
    title: 'Scale: protocol profile 1k-10k nodes (boot + 2 min, 1 broadcast/s; goal 10k ≤ 120 s wall, ≤ 4 GB), full profile 100-1,000 nodes × 60 s',
    run: runScale,
    optIn: true,
  },
  {
    name: 'burst-memory',
    title: 'Burst memory: all-nodes bursts at 2k and 3k nodes, live peak and cost per (node, message) pair, projected to 10k (goal: the 10k burst completes)',
    run: runBurstMemory,
    optIn: true,
  },
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !SECTIONS.some((s) => s.name === w));
if (unknown.length > 0) {
  console.error(`unknown section(s): ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
console.log(`meshsim bench — node ${process.version}, ${new Date().toISOString()}`);
for (const s of SECTIONS) {
  if (wanted.length > 0 ? !wanted.includes(s.name) : s.optIn === true) continue;
  section(s.title, s.run());
}
