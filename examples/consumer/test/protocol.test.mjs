// The sans-IO protocol machines alone, from meshsim/protocol: two Plumtree machines wired by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPlumtree, handlePlumtree, messageIdOf } from 'meshsim/protocol';

const rng = { nextU32: () => 7, int: (n) => 0, chance: () => false, pick: (a) => a[0], shuffle: (a) => a };

test('a broadcast is eagerly pushed to a neighbour, which delivers it at hop 1', () => {
  const a = createPlumtree('a');
  const b = createPlumtree('b');
  handlePlumtree(a, { kind: 'neighborUp', peer: 'b' }, 0, rng);
  handlePlumtree(b, { kind: 'neighborUp', peer: 'a' }, 0, rng);
  const content = new TextEncoder().encode('hello');
  const sent = handlePlumtree(a, { kind: 'broadcast', content }, 1, rng).filter((e) => e.kind === 'send');
  assert.equal(sent.length, 1);
  const delivered = handlePlumtree(b, { kind: 'message', from: 'a', message: sent[0].message }, 2, rng).filter((e) => e.kind === 'deliver');
  assert.deepEqual(delivered.map((d) => [d.id, d.round]), [[messageIdOf(content), 1]]);
});
