// A custom scenario defined in code (a scenario-file object), run through the library:
// the overlay forms, every workload broadcast reaches every node, the metrics say so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, MeshsimInputError } from 'meshsim';

const scenario = {
  name: 'consumer-twenty',
  profile: 'protocol',
  topology: { meshes: [{ meshId: 'orders', roles: { gateway: 20 } }], observer: false },
  bootSpacingMs: 20,
  durationMs: 15000,
  probeIntervalMs: 0,
  workload: [{ kind: 'broadcast', sender: 'random', fromMs: 5000, everyMs: 1000, count: 5 }],
};

test('a custom scenario passes and every broadcast reaches all 20 nodes', () => {
  const result = run({ scenario, seed: 11 });
  assert.equal(result.verdict, 'pass', JSON.stringify(result.violations));
  const workload = result.metrics.broadcasts.filter((b) => b.sentAtMs >= 5000 && b.sentAtMs < 15000);
  assert.equal(workload.length, 5);
  for (const b of workload) assert.equal(b.reliability, 1);
  assert.match(result.traceDigest, /^[0-9a-f]{64}$/);
});

test('the same seed gives the same trace digest', () => {
  assert.equal(run({ scenario, seed: 11 }).traceDigest, run({ scenario, seed: 11 }).traceDigest);
});

test('bad input is an error naming the field, not a crash', () => {
  assert.throws(() => run({ scenario: { ...scenario, profile: 'fast' }, seed: 1 }), (e) => e instanceof MeshsimInputError && /profile/.test(e.message));
});
