// Chaos from the library: the primitives' parameter schemas are data, and a run with random
// chaos primitives reports each event's verdict, as `meshsim run --chaos N --json` does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, specOf, PRIMITIVE_NAMES } from 'meshsim';

test('every primitive publishes its parameter schema', () => {
  assert.equal(PRIMITIVE_NAMES.length, 13);
  const flaps = specOf('flap_link').params.find((p) => p.name === 'flaps');
  assert.ok(flaps && flaps.max >= flaps.min);
});

test('a run with two random chaos primitives reports their verdicts', () => {
  const result = run({ scenario: 'default', seed: 5, durationMs: 40000, chaos: 2 });
  assert.equal(result.verdict, 'pass', JSON.stringify(result.violations));
  assert.equal(result.chaos.log.length, 2);
  for (const e of result.chaos.log) assert.equal(e.verdict, 'passed');
});
