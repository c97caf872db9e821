// Reading a run's results from TypeScript under `--strict`: the report's sections are typed,
// so metrics, traffic, evictions and the chaos log need no casts. `test/library/pack.test.ts`
// compiles this file against the packed package and runs it.
import { run, type ChaosEventReport, type RunJson } from 'meshsim';

const result: RunJson = run({ scenario: 'default', seed: 5, durationMs: 40_000, chaos: 2 });
const reliability: number = result.metrics.summary.reliability.mean;
const gossipBytes: number = result.traffic.find((row) => row.frameType === 'Gossip')?.bytesSentPerSecond ?? 0;
const shed: number = result.evictions.plumtree + result.evictions.digests;
const log: readonly ChaosEventReport[] = result.chaos?.log ?? [];
console.log(JSON.stringify({
  verdict: result.verdict,
  reliability,
  gossipBytes: gossipBytes > 0,
  shed,
  chaos: log.map((e) => `${e.primitive}:${e.verdict}`),
}));
