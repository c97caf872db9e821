/**
 * Scenario files, version 2 (SPEC §10.3). Goal: every field is accepted with its documented
 * meaning and range, lands in the Scenario the runner executes, and every bad value is one line
 * naming the field; version-1 files keep working. Method: a valid base file patched one field
 * at a time, parsed with the real parser; docs/scenario-files.md is checked against the range
 * tables so the doc cannot drift.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  HYPARVIEW_RANGES, LINK_RANGES, NETWORK_RANGES, parseScenarioJson, PLUMTREE_RANGES, SUBSTRATE_RANGES,
} from '../src/scenario/scenario-json.js';

const base = { name: 'v2', topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 3 } }] } };
const parse = (patch: Record<string, unknown>) => parseScenarioJson({ ...base, ...patch });
function ok(patch: Record<string, unknown>) {
  const r = parse(patch);
  if (!r.ok) throw new Error(r.error);
  return r.scenario;
}
function error(patch: Record<string, unknown>): string {
  const r = parse(patch);
  expect(r.ok, JSON.stringify(patch)).toBe(false);
  const message = r.ok ? '' : r.error;
  expect(message).not.toContain('\n');
  return message;
}

describe('version-2 fields round-trip', () => {
  it('a version-1 file keeps working with its defaults', () => {
    const s = ok({ durationMs: 30_000, probeIntervalMs: 5_000, healWindowMs: 60_000 });
    expect(s).toMatchObject({ name: 'v2', durationMs: 30_000, probeIntervalMs: 5_000, healWindowMs: 60_000 });
    expect(s.profile).toBeUndefined();
    expect(s.topology.observer).toBeUndefined();
  });

  it('profile, bootSpacingMs and topology.observer', () => {
    const s = ok({ profile: 'protocol', bootSpacingMs: 5, topology: { ...base.topology, observer: false } });
    expect(s.profile).toBe('protocol');
    expect(s.topology).toMatchObject({ bootSpacingMs: 5, observer: false });
  });

  it('node.hyparview, node.plumtree and node.substrate become the node config', () => {
    const s = ok({ node: { hyparview: { activeViewCapacity: 4 }, plumtree: { graftTimeout1Ms: 120 }, substrate: { digestIntervalMs: 3000 } } });
    expect(s.node).toEqual({ digestIntervalMs: 3000, topic: { hyparview: { activeViewCapacity: 4 }, plumtree: { graftTimeout1Ms: 120 } } });
  });

  it('node.plumtree.pruneRepeatMs may be 0 (a Prune per duplicate, as the paper)', () => {
    expect(ok({ node: { plumtree: { pruneRepeatMs: 0 } } }).node).toEqual({ topic: { plumtree: { pruneRepeatMs: 0 } } });
  });

  it('network: NetworkConfig keys, the default link and deadPeer', () => {
    const s = ok({ network: { latencyMs: 20, jitterMs: 0, lossPct: 2.5, bandwidthBps: 1_000_000, idleTimeoutMs: 10_000, deadPeer: 'close' } });
    expect(s.network).toEqual({ idleTimeoutMs: 10_000, deadPeer: 'close' });
    expect(s.link).toMatchObject({ latencyMs: 20, jitterMs: 0, lossNum: 250, lossDen: 10_000, bandwidthBytesPerSec: 1_000_000 });
  });

  it('workload: broadcasts (random, fixed, all, a node name) and failures', () => {
    const s = ok({
      workload: [
        { kind: 'broadcast', sender: 'random', fromMs: 1000, everyMs: 500, count: 4, sizeBytes: 512 },
        { kind: 'broadcast', sender: 'all', fromMs: 5000 },
        { kind: 'broadcast', sender: 'gateway-00000000', meshId: 'mesh-a', fromMs: 6000 },
        { kind: 'failure', atMs: 7000, fraction: 0.5 },
        { kind: 'failure', atMs: 8000, count: 1, mode: 'vanish' },
      ],
    });
    expect(s.workload).toEqual([
      { kind: 'broadcast', sender: 'random', fromMs: 1000, everyMs: 500, count: 4, sizeBytes: 512 },
      { kind: 'broadcast', sender: 'all', fromMs: 5000, everyMs: 1, count: 1 },
      { kind: 'broadcast', sender: { name: 'gateway-00000000' }, meshId: 'mesh-a', fromMs: 6000, everyMs: 1, count: 1 },
      { kind: 'failure', atMs: 7000, fraction: 0.5, mode: 'crash' },
      { kind: 'failure', atMs: 8000, count: 1, mode: 'vanish' },
    ]);
  });

  it('takes workload due at the main phase\'s last millisecond (it runs in the main phase)', () => {
    expect(ok({ durationMs: 10_000, workload: [{ kind: 'broadcast', fromMs: 1_000, everyMs: 1_000, count: 10 }, { kind: 'failure', atMs: 10_000, count: 1 }] }).workload).toHaveLength(2);
  });

  it('takes a boot that ends within the heal window, and refuses one whose last start is the run\'s end', () => {
    const meshes = [{ meshId: 'a', roles: { gateway: 3_000 } }];
    expect(ok({ topology: { meshes }, durationMs: 90_001 }).durationMs).toBe(90_001); // 150 s < 90.001 + 60 s
    expect(error({ topology: { meshes }, durationMs: 90_000 })).toMatch(/run ends at 150000 ms/); // a start at the end never runs
  });

  it('allows up to 1,000,000 nodes and refuses more with a clear line', () => {
    expect(ok({ topology: { meshes: [{ meshId: 'a', roles: { gateway: 999_999 } }] }, bootSpacingMs: 0 }).topology.meshes[0].roles).toEqual([['gateway', 999_999]]);
    expect(error({ topology: { meshes: [{ meshId: 'a', roles: { gateway: 1_000_000 } }] } })).toMatch(/1000001 nodes, more than 1000000/);
  });
});

describe('bad values are one line naming the field', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['unknown root field', { profil: 'protocol' }, /unknown field profil/],
    // A 300-character key is named cut to 80 characters, as quoted values are.
    ['unknown root field with a long name', { ['k'.repeat(300)]: 1 }, /^unknown field k{79}… \(allowed: /],
    ['bad profile', { profile: 'fast' }, /^profile must be one of "full", "protocol"/],
    ['observer not a boolean', { topology: { ...base.topology, observer: 'no' } }, /topology\.observer must be true or false/],
    ['bootSpacingMs negative', { bootSpacingMs: -1 }, /bootSpacingMs must be/],
    ['unknown hyparview key', { node: { hyparview: { activeViewSize: 4 } } }, /unknown field node\.hyparview\.activeViewSize/],
    ['active view out of range', { node: { hyparview: { activeViewCapacity: 0 } } }, /node\.hyparview\.activeViewCapacity must be an integer in \[1, 64\]/],
    ['PRWL above ARWL', { node: { hyparview: { passiveRandomWalkLength: 7 } } }, /passiveRandomWalkLength must not exceed/],
    ['fractional graft timeout', { node: { plumtree: { graftTimeout1Ms: 1.5 } } }, /node\.plumtree\.graftTimeout1Ms must be a positive integer/],
    ['negative prune repeat', { node: { plumtree: { pruneRepeatMs: -1 } } }, /node\.plumtree\.pruneRepeatMs must be an integer in \[0, 600000\]/],
    ['cache longer than ids', { node: { plumtree: { messageCacheRetentionMs: 100_000 } } }, /messageCacheRetentionMs must not exceed/],
    ['unknown substrate key', { node: { substrate: { variant: {} } } }, /unknown field node\.substrate\.variant/],
    ['unknown node section', { node: { topic: {} } }, /unknown field node\.topic/],
    ['loss above 100 %', { network: { lossPct: 250 } }, /network\.lossPct must be a number in \[0, 100\]/],
    ['loss with three decimals', { network: { lossPct: 1.234 } }, /at most two decimals/],
    ['bad deadPeer', { network: { deadPeer: 'tcp' } }, /network\.deadPeer must be one of "silent", "reset", "close"/],
    ['negative latency', { network: { latencyMs: -500 } }, /network\.latencyMs must be/],
    ['workload not an array', { workload: {} }, /workload must be an array/],
    ['unknown workload kind', { workload: [{ kind: 'partition' }] }, /workload\[0\]\.kind must be one of/],
    ['broadcast without fromMs', { workload: [{ kind: 'broadcast' }] }, /workload\[0\]\.fromMs must be a non-negative integer/],
    ['repeated broadcast without everyMs', { workload: [{ kind: 'broadcast', fromMs: 0, count: 3 }] }, /workload\[0\]\.everyMs is required/],
    ['broadcast on an unknown mesh', { workload: [{ kind: 'broadcast', fromMs: 0, meshId: 'mesh-z' }] }, /mesh-z.*not a mesh/],
    ['oversize broadcast', { workload: [{ kind: 'broadcast', fromMs: 0, sizeBytes: 5000 }] }, /sizeBytes must be an integer in \[1, 4096\]/],
    ['failure with both fraction and count', { workload: [{ kind: 'failure', atMs: 0, fraction: 0.5, count: 2 }] }, /exactly one of fraction and count/],
    ['failure fraction above 1', { workload: [{ kind: 'failure', atMs: 0, fraction: 1.5 }] }, /fraction must be a number in \[0, 1\]/],
    ['bad failure mode', { workload: [{ kind: 'failure', atMs: 0, count: 1, mode: 'explode' }] }, /mode must be one of "crash", "vanish"/],
    ['unknown workload field', { workload: [{ kind: 'failure', atMs: 0, count: 1, when: 3 }] }, /unknown field workload\[0\]\.when/],
    // 3,001 nodes (the observer first) 50 ms apart: the last starts at 150 s, after 1 s + 60 s.
    ['a broadcast after the main phase', { durationMs: 10_000, workload: [{ kind: 'broadcast', fromMs: 10_001 }] },
      /^workload\[0\]: its broadcast is due at 10001 ms, not within the main phase \(durationMs 10000\)$/],
    ['a series that runs past the main phase', { durationMs: 10_000, workload: [{ kind: 'broadcast', fromMs: 0 }, { kind: 'broadcast', fromMs: 1_000, everyMs: 1_000, count: 11 }] },
      /^workload\[1\]: the last of its 11 broadcasts is due at 11000 ms, not within the main phase/],
    ['a failure after the main phase', { durationMs: 10_000, workload: [{ kind: 'failure', atMs: 20_000, count: 1 }] },
      /^workload\[0\]: its failure is due at 20000 ms, not within the main phase/],
    ['boot outlasting the run', { topology: { meshes: [{ meshId: 'a', roles: { gateway: 3_000 } }] }, durationMs: 1_000 },
      /^the boot starts the last of 3001 nodes at 150000 ms \(one every 50 ms\), and the run ends at 61000 ms \(durationMs 1000 \+ healWindowMs 60000\): lengthen durationMs or shorten bootSpacingMs$/],
  ];
  for (const [what, patch, pattern] of cases) it(what, () => expect(error(patch)).toMatch(pattern));
});

describe('docs/scenario-files.md', () => {
  const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'scenario-files.md'), 'utf8');
  const tables: [string, Record<string, readonly [number, number]>][] = [
    ['node.hyparview', HYPARVIEW_RANGES], ['node.plumtree', PLUMTREE_RANGES], ['node.substrate', SUBSTRATE_RANGES],
    ['network', NETWORK_RANGES], ['network', LINK_RANGES],
  ];
  for (const [section, ranges] of tables) {
    it(`lists every ${section} field with its range`, () => {
      for (const [key, [min, max]] of Object.entries(ranges)) {
        const row = doc.split('\n').find((line) => line.startsWith(`| \`${section}.${key}\``));
        expect(row, `${section}.${key} missing from docs/scenario-files.md`).toBeDefined();
        expect(row).toContain(`${min.toLocaleString('en-US')} – ${max.toLocaleString('en-US')}`);
      }
    });
  }
});
