// Mutation testing (StrykerJS with its vitest runner): `npm run mutate [-- FOLDER [stryker args]]`.
// One run per folder (src/mesh: two, see below), each with the test subset that exercises it, so a full run of the three
// folders stays near an hour on 2 cores; incremental mode reuses earlier results, so a re-run
// only tests mutants in changed code. Reports land in reports/mutation/<folder>/ (git-ignored).
// Not part of `npm test` or CI.
const FOLDERS = {
  protocol: {
    mutate: ['src/protocol/**/*.ts'],
    tests: ['test/codec.test.ts', 'test/framer.test.ts', 'test/decode-reasons.test.ts', 'test/byte-writer.test.ts', 'test/message-id.test.ts', 'test/byte-slab.test.ts', 'test/hyparview.test.ts', 'test/hyparview-handlers.test.ts', 'test/plumtree.test.ts', 'test/plumtree-handlers.test.ts', 'test/plumtree-gave-up.test.ts', 'test/plumtree-cache.test.ts', 'test/graft-queue.test.ts', 'test/topic.test.ts', 'test/payload.test.ts'],
  },
  // src/mesh in two runs. Its parts (digest table and gossip, disk, seed dialer, traffic,
  // payload codec, config, identity) against their unit tests only, in milliseconds per mutant:
  // every scenario test covers these files too, and perTest coverage would otherwise run 1–5 s
  // scenarios for each of their mutants. The node and its peer table run against
  // their unit tests (fast, first) and the scenario files (churn.test.ts, 5 s, is left out:
  // cross-layer covers the same connection handling). disk-full, clock-skew and broken-pruner
  // (10 s each) are covered by test/node-disk.test.ts and test/digests.test.ts.
  mesh: {
    mutate: ['src/mesh/**/*.ts', '!src/mesh/node.ts', '!src/mesh/peers.ts'],
    tests: ['test/digests.test.ts', 'test/node-disk.test.ts', 'test/seed-dialer.test.ts', 'test/traffic.test.ts', 'test/topic-id.test.ts', 'test/payload.test.ts'],
  },
  'mesh-node': {
    mutate: ['src/mesh/node.ts', 'src/mesh/peers.ts'],
    tests: ['test/mesh-node.test.ts', 'test/mesh-node-peers.test.ts', 'test/mesh-node-delivery.test.ts', 'test/peers.test.ts', 'test/mesh.test.ts', 'test/bi-stream-echo.test.ts', 'test/cross-layer.test.ts', 'test/plumtree-gave-up.test.ts'],
  },
  network: {
    mutate: ['src/sim/network/**/*.ts'],
    // Unit-level network and host tests (under 0.5 s each); the nat-shift and firewall-inbound
    // scenarios (5–6 s) test the same knobs end to end and are covered by network.test.ts.
    tests: ['test/network.test.ts', 'test/network-units.test.ts', 'test/node-host.test.ts', 'test/dead-peer.test.ts', 'test/bi-stream-echo.test.ts'],
  },
};

const folder = process.env.MUTATE_FOLDER ?? 'protocol';
const chosen = FOLDERS[folder];
if (chosen === undefined) throw new Error(`MUTATE_FOLDER must be one of ${Object.keys(FOLDERS).join(', ')}`);
process.env.MUTATE_TESTS = chosen.tests.join(',');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  mutate: chosen.mutate,
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: `reports/mutation/${folder}/stryker-incremental.json`,
  reporters: ['html', 'clear-text', 'progress', 'json'],
  htmlReporter: { fileName: `reports/mutation/${folder}/mutation.html` },
  jsonReporter: { fileName: `reports/mutation/${folder}/mutation.json` },
  tempDirName: '.stryker-tmp',
  concurrency: 1,
  ignoreStatic: true,
  // Assertion messages are text for a crash report: not mutated (scripts/stryker-assert-messages.mjs).
  plugins: ['@stryker-mutator/*', './scripts/stryker-assert-messages.mjs'],
  ignorers: ['assert-messages'],
  timeoutMS: 30_000,
  thresholds: { high: 90, low: 80, break: null },
};
