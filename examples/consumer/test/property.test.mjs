// A property over a user-defined workload: whatever share of a 16-node mesh fails, and however
// the broadcasts are timed, every broadcast sent after the overlay healed reaches every live node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { run } from 'meshsim';

test('broadcasts after healing reach every live node (fast-check)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 100, max: 2000 }), fc.nat(1000), (killed, everyMs, seed) => {
      const result = run({
        seed,
        scenario: {
          name: 'consumer-property',
          profile: 'protocol',
          topology: { meshes: [{ meshId: 'm', roles: { gateway: 16 } }], observer: false },
          bootSpacingMs: 20,
          durationMs: 12000,
          probeIntervalMs: 0,
          network: { deadPeer: 'close' },
          workload: [
            { kind: 'failure', atMs: 3000, count: killed },
            { kind: 'broadcast', sender: 'random', fromMs: 6000, everyMs, count: 3 },
          ],
        },
      });
      assert.equal(result.verdict, 'pass', JSON.stringify(result.violations));
      for (const b of result.metrics.broadcasts.filter((x) => x.sentAtMs >= 6000)) assert.equal(b.missed, 0);
    }),
    { numRuns: 8, seed: 42 },
  );
});
