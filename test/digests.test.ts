/**
 * The digest table and digest gossip of a mesh node (SPEC §2.3), as units.
 * Goal: the table is bounded and sheds the least recently heard node (never itself); the
 * staleness pruner judges age on LOCAL receive time, strictly past the TTL, and never prunes
 * the self-record (the known bug — sender wall clock — only behind its variant switch); a digest
 * is due when it changed or the forced interval passed; heard digests of others are recorded
 * with a `mesh.digest.learned` span only when new; the own digest carries the peer table's
 * figures. Method: a hand-driven NodeContext (test/support/fake-node-context.ts) and tables
 * driven directly; every time is set by the test.
 */
import { describe, expect, it } from 'vitest';
import { MESH_NODE_DEFAULTS, type MeshNodeConfig } from '../src/mesh/config.js';
import { DigestGossip } from '../src/mesh/digest-gossip.js';
import { DigestTable } from '../src/mesh/digests.js';
import type { Digest } from '../src/mesh/payload.js';
import type { PeerTable } from '../src/mesh/peers.js';
import { fakeNodeContext } from './support/fake-node-context.js';

const SELF = 'self';
const identity = { nodeId: SELF, name: 'gateway-self', role: 'gateway', meshId: 'mesh-a' };

function digest(nodeId: string, fields: Partial<Digest> = {}): Digest {
  return {
    nodeId, name: `n-${nodeId}`, meshId: 'mesh-a', nodeType: 'gateway', peerCount: 1, peerIds: ['p'],
    framesSent: 1, framesReceived: 1, wallTimeMs: 0, cpuUsedPermille: 0, ramUsedBytes: 0,
    cpuBudgetPermille: 1000, ramBudgetBytes: 0, seq: 0, ...fields,
  };
}

describe('DigestTable', () => {
  it('record says whether the node is new, and keeps the latest digest with its receive time', () => {
    const t = new DigestTable(SELF, 4);
    expect(t.record(digest('a', { seq: 1 }), 10)).toBe(true);
    expect(t.record(digest('a', { seq: 2 }), 20)).toBe(false);
    expect(t.size).toBe(1);
    expect(t.has('a')).toBe(true);
    expect(t.has('b')).toBe(false);
    expect(t.get('a')).toEqual({ digest: digest('a', { seq: 2 }), receivedAtMs: 20 });
    expect(t.evicted).toBe(0);
  });

  it('a full table sheds the least recently heard node, never itself, and counts it', () => {
    const t = new DigestTable(SELF, 3);
    t.record(digest(SELF), 0);
    t.record(digest('b'), 1);
    t.record(digest('c'), 2);
    t.record(digest('b', { seq: 1 }), 3); // b heard again: c is now the least recently heard other node
    expect(t.record(digest('d'), 4)).toBe(true);
    expect(t.nodeIds()).toEqual(['b', 'd', SELF]);
    expect(t.evicted).toBe(1);
    // Re-recording a known node in a full table evicts nothing.
    expect(t.record(digest('d', { seq: 1 }), 5)).toBe(false);
    expect(t.size).toBe(3);
    expect(t.evicted).toBe(1);
  });

  it('a copy no newer than the one held is not news: it neither replaces it nor renews its receive time', () => {
    const t = new DigestTable(SELF, 4);
    t.record(digest('a', { seq: 11, wallTimeMs: 22_900 }), 22_910);
    // A relay that held the node's digests through a cut lets them go 12.6 s later: an older
    // one, then the same one again (default --chaos 20, seed 1292).
    expect(t.record(digest('a', { seq: 10, wallTimeMs: 20_900 }), 35_497)).toBe(false);
    expect(t.record(digest('a', { seq: 11, wallTimeMs: 22_900 }), 35_497)).toBe(false);
    expect(t.get('a')).toEqual({ digest: digest('a', { seq: 11, wallTimeMs: 22_900 }), receivedAtMs: 22_910 });
    expect(t.prune({ nowMs: 52_911, wallMs: 0 }, 30_000, false)).toEqual(['a']);
    // Nor does it move the node up the shedding order: b, heard first, is shed first.
    const full = new DigestTable(SELF, 2);
    full.record(digest('b'), 1);
    full.record(digest('c'), 2);
    full.record(digest('b'), 3);
    full.record(digest('d'), 4);
    expect(full.nodeIds()).toEqual(['c', 'd']);
  });

  it('a newer seq is news, and so is a restarted node counting seq from 0 again at a later wall time', () => {
    const t = new DigestTable(SELF, 4);
    t.record(digest('a', { seq: 40, wallTimeMs: 80_000 }), 80_010);
    expect(t.record(digest('a', { seq: 41, wallTimeMs: 80_000 }), 82_010)).toBe(false);
    expect(t.get('a')?.receivedAtMs).toBe(82_010);
    // Restarted: seq 0, its wall clock gone on.
    expect(t.record(digest('a', { seq: 0, wallTimeMs: 90_000 }), 90_012)).toBe(false);
    expect(t.get('a')).toEqual({ digest: digest('a', { seq: 0, wallTimeMs: 90_000 }), receivedAtMs: 90_012 });
    // A clock set back (clock_skew) with seq going on: news too.
    expect(t.record(digest('a', { seq: 1, wallTimeMs: 30_000 }), 92_012)).toBe(false);
    expect(t.get('a')?.receivedAtMs).toBe(92_012);
  });

  it('nodeIds are sorted, whatever the order heard', () => {
    const t = new DigestTable(SELF, 8);
    for (const id of ['m', 'b', 'z', 'a']) t.record(digest(id), 0);
    expect(t.nodeIds()).toEqual(['a', 'b', 'm', 'z']);
  });

  it('prunes by local receive time strictly past the TTL, never the self-record, sorted', () => {
    const t = new DigestTable(SELF, 8);
    t.record(digest(SELF), 0);
    t.record(digest('y', { wallTimeMs: 1_000_000 }), 0);
    t.record(digest('x', { wallTimeMs: 1_000_000 }), 0);
    t.record(digest('w'), 500);
    // Exactly the TTL old: kept.
    expect(t.prune({ nowMs: 30_000, wallMs: 0 }, 30_000, false)).toEqual([]);
    // One ms past: the two received at 0 go (sorted), w (received at 500) and self stay.
    expect(t.prune({ nowMs: 30_001, wallMs: 0 }, 30_000, false)).toEqual(['x', 'y']);
    expect(t.nodeIds()).toEqual([SELF, 'w']);
  });

  it('the wall-clock variant judges age by the sender wall clock instead (the known bug)', () => {
    const t = new DigestTable(SELF, 8);
    t.record(digest('fresh-but-skewed', { wallTimeMs: 0 }), 100_000);
    t.record(digest('old-but-ahead', { wallTimeMs: 200_000 }), 0);
    const clock = { nowMs: 100_001, wallMs: 100_001 };
    expect(t.prune(clock, 30_000, true)).toEqual(['fresh-but-skewed']);
    expect(t.prune(clock, 30_000, false)).toEqual(['old-but-ahead']);
  });
});

function gossip(config: Partial<MeshNodeConfig> = {}) {
  const fake = fakeNodeContext(identity);
  const peers = { connectedPeers: () => ['p1', 'p2'], connectionCount: () => 3, framesSent: 40, framesReceived: 41 } as unknown as PeerTable;
  const g = new DigestGossip(fake.ctx, { ...MESH_NODE_DEFAULTS, ...config }, peers);
  return { fake, g };
}

describe('DigestGossip', () => {
  it('the own digest carries identity, peer figures, wall time and a rising seq, and is recorded', () => {
    const { fake, g } = gossip();
    fake.nowMs = 7;
    fake.wallMs = 1_234;
    const d = g.recordOwn();
    expect(d).toMatchObject({
      nodeId: SELF, name: 'gateway-self', meshId: 'mesh-a', nodeType: 'gateway', peerCount: 2, peerIds: ['p1', 'p2'],
      framesSent: 40, framesReceived: 41, wallTimeMs: 1_234, cpuUsedPermille: 20 + 7 * 3, cpuBudgetPermille: 1000,
      ramUsedBytes: 48 * 1024 * 1024, ramBudgetBytes: 512 * 1024 * 1024, seq: 0,
    });
    expect(g.table.get(SELF)).toEqual({ digest: d, receivedAtMs: 7 });
    const again = g.recordOwn();
    expect(again.seq).toBe(1);
    expect(again.ramUsedBytes).toBe(48 * 1024 * 1024 + 1024); // one entry (self) in the table
  });

  it('cpu use is capped at 1000 permille', () => {
    const fake = fakeNodeContext(identity);
    const peers = { connectedPeers: () => [], connectionCount: () => 1_000, framesSent: 0, framesReceived: 0 } as unknown as PeerTable;
    expect(new DigestGossip(fake.ctx, MESH_NODE_DEFAULTS, peers).recordOwn().cpuUsedPermille).toBe(1000);
  });

  it('a digest is due when it changed, or when the forced interval passed, not otherwise', () => {
    const { g } = gossip({ digestForcedIntervalMs: 30_000 });
    const last = digest(SELF);
    const state = { lastDigest: last, lastDigestSentMs: 1_000 };
    expect(g.due(state, digest(SELF, { seq: 9, wallTimeMs: 5 }), 30_999)).toBe(false);
    expect(g.due(state, digest(SELF), 31_000)).toBe(true);
    expect(g.due(state, digest(SELF, { peerCount: 2 }), 1_001)).toBe(true);
    expect(g.due({ lastDigest: null, lastDigestSentMs: 1_000 }, last, 1_001)).toBe(true);
  });

  it('heard digests are recorded on local receive time; only a new node is a learned span; its own echo is ignored', () => {
    const { fake, g } = gossip();
    fake.nowMs = 50;
    g.heard('mesh-b', digest('a', { wallTimeMs: -9_999 }));
    g.heard('mesh-b', digest('a'));
    g.heard('mesh-b', digest(SELF));
    expect(g.table.get('a')?.receivedAtMs).toBe(50);
    expect(g.table.has(SELF)).toBe(false);
    expect(fake.spans).toEqual([{ node: 'gateway-self', name: 'mesh.digest.learned', attrs: { topic: 'mesh-b', nodeId: 'a', nodeName: 'n-a' } }]);
  });

  it('the pruner drops stale entries with one span, stays quiet when nothing is stale, and is off behind its switch', () => {
    const { fake, g } = gossip({ stalenessTtlMs: 30_000 });
    g.heard('m', digest('b'));
    g.heard('m', digest('a'));
    fake.spans.length = 0;
    fake.nowMs = 30_000;
    g.prune();
    expect(fake.spans).toEqual([]);
    fake.nowMs = 30_001;
    g.prune();
    expect(fake.spans).toEqual([{ node: 'gateway-self', name: 'mesh.staleness.pruned', attrs: { removed: 2, stalenessMs: 30_000, nodeIds: 'a,b' } }]);
    expect(g.table.size).toBe(0);

    const off = gossip({ variant: { disablePruner: true } });
    off.g.heard('m', digest('a'));
    off.fake.nowMs = 1e9;
    off.g.prune();
    expect(off.g.table.has('a')).toBe(true);
  });

  it('the wall-clock variant is passed through to the table', () => {
    const { fake, g } = gossip({ stalenessTtlMs: 30_000, variant: { stalenessBySenderWallClock: true } });
    g.heard('m', digest('a', { wallTimeMs: 0 }));
    fake.wallMs = 30_001; // local receive time is 0 ms old, the sender's clock says 30 001 ms
    g.prune();
    expect(g.table.has('a')).toBe(false);
  });
});
