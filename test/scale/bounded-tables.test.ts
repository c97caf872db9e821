/**
 * Bounded tables shed, never crash (SPEC §10.1, TigerBeetle's "a limit on everything"). Goal:
 * every table with a capacity evicts its oldest entry when full and counts it, so a node under
 * more load than its bounds keeps running; and Plumtree never builds an IHave bigger than one
 * frame. Method: each table driven past its capacity by hand; the IHave batch is encoded with
 * the real codec (which asserts the wire limit) and its entries counted.
 */
import { describe, expect, it } from 'vitest';
import { DigestTable } from '../../src/mesh/digests.js';
import type { Digest } from '../../src/mesh/payload.js';
import { encodeEnvelope, IHAVE_ENTRIES_MAX } from '../../src/protocol/codec.js';
import { TimeBoundMap } from '../../src/protocol/plumtree-cache.js';
import { createPlumtree, evictionCount, handlePlumtree, PLUMTREE_LIMITS } from '../../src/protocol/plumtree.js';
import type { PlumtreeEffect } from '../../src/protocol/plumtree-types.js';
import { ptRng } from '../support/pt-rng.js';

const rng = ptRng('bounded-tables');
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const hexId = (i: number): string => i.toString(16).padStart(64, '0');

describe('TimeBoundMap', () => {
  it('evicts the oldest entry when full and counts it', () => {
    const map = new TimeBoundMap<string, number>(3);
    for (let i = 0; i < 5; i++) map.insert(`k${i}`, i, i);
    expect(map.size).toBe(3);
    expect(map.evicted).toBe(2);
    expect(map.has('k0') || map.has('k1')).toBe(false);
    expect(map.get('k4')).toBe(4);
  });

  it('still refuses a key inserted twice (a bug, not load)', () => {
    const map = new TimeBoundMap<string, number>(3);
    map.insert('a', 1, 0);
    expect(() => map.insert('a', 2, 1)).toThrow(/inserted twice/);
  });
});

describe('DigestTable', () => {
  const digest = (nodeId: string, seq = 0): Digest => ({
    nodeId, name: 'n', meshId: 'm', nodeType: 't', peerCount: 0, peerIds: [], framesSent: 0, framesReceived: 0,
    wallTimeMs: 0, cpuUsedPermille: 0, ramUsedBytes: 0, cpuBudgetPermille: 0, ramBudgetBytes: 0, seq,
  });

  it('evicts the least recently heard node (never itself) when full, and counts it', () => {
    const table = new DigestTable(hexId(0), 3);
    table.record(digest(hexId(0)), 0);
    table.record(digest(hexId(1)), 1);
    table.record(digest(hexId(2)), 2);
    table.record(digest(hexId(1), 1), 3); // heard again (a newer digest): now the most recent
    expect(table.record(digest(hexId(3)), 4)).toBe(true);
    expect(table.size).toBe(3);
    expect(table.evicted).toBe(1);
    expect(table.nodeIds()).toEqual([hexId(0), hexId(1), hexId(3)]);
  });
});

describe('Plumtree under overload', () => {
  it('sheds the oldest pending graft when the missing set is full, and counts it', () => {
    const s = createPlumtree('self');
    handlePlumtree(s, { kind: 'neighborUp', peer: 'p' }, 0, rng);
    const entries = Array.from({ length: PLUMTREE_LIMITS.pendingGraftsMax + 5 }, (_, i) => ({ id: hexId(i + 1), round: 1 }));
    for (let i = 0; i < entries.length; i += 100) {
      handlePlumtree(s, { kind: 'message', from: 'p', message: { type: 'IHave', entries: entries.slice(i, i + 100) } }, 1, rng);
    }
    expect(s.missing.size).toBe(PLUMTREE_LIMITS.pendingGraftsMax);
    expect(s.evictedPendingGrafts).toBe(5);
    expect(s.missing.has(hexId(1))).toBe(false);
    expect(evictionCount(s)).toBe(5);
  });

  it('splits a lazy-push batch at the frame limit: every IHave fits one frame', () => {
    const s = createPlumtree('self');
    handlePlumtree(s, { kind: 'neighborUp', peer: 'eager' }, 0, rng);
    handlePlumtree(s, { kind: 'neighborUp', peer: 'lazy' }, 0, rng);
    handlePlumtree(s, { kind: 'message', from: 'lazy', message: { type: 'Prune' } }, 0, rng);
    const out: PlumtreeEffect[] = [];
    const count = 2 * IHAVE_ENTRIES_MAX + 7;
    for (let i = 0; i < count; i++) out.push(...handlePlumtree(s, { kind: 'broadcast', content: bytes(`m${i}`) }, 1, rng));
    const ihaves = out.flatMap((e) => (e.kind === 'send' && e.to === 'lazy' && e.message.type === 'IHave' ? [e.message] : []));
    expect(ihaves.map((m) => m.entries.length)).toEqual([IHAVE_ENTRIES_MAX, IHAVE_ENTRIES_MAX]);
    expect(s.fullIHaveBatches).toBe(2);
    for (const m of ihaves) expect(() => encodeEnvelope({ topic: hexId(9), message: m })).not.toThrow();
    // The remainder leaves with the dispatch timer.
    const rest = handlePlumtree(s, { kind: 'timer', timer: { type: 'DispatchLazyPush' } }, 6, rng);
    const last = rest.flatMap((e) => (e.kind === 'send' && e.message.type === 'IHave' ? [e.message.entries.length] : []));
    expect(last).toEqual([7]);
  });
});
