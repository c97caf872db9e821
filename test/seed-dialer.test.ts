/**
 * Seed dialing with backoff (SPEC §2.3), as a unit. Goal: retries wait
 * min(1000·2^min(attempt, 5), 30 000) ms, with one `mesh.seed.retry` span per retry; the round
 * gives up after 10 failed attempts with `mesh.seed.giveup`; a success ends the round and calls
 * back; a round under way is not restarted, a finished one can be.
 * Method: a hand-driven NodeContext whose timers the test fires, and a peer table whose dials
 * the test answers.
 */
import { describe, expect, it } from 'vitest';
import { MESH_NODE_DEFAULTS, seedRetryDelayMs } from '../src/mesh/config.js';
import type { PeerTable } from '../src/mesh/peers.js';
import { SeedDialer } from '../src/mesh/seed-dialer.js';
import { fakeNodeContext } from './support/fake-node-context.js';

const identity = { nodeId: 'cd'.repeat(32), name: 'relay-1', role: 'relay', meshId: 'mesh-a' };

function dialer() {
  const fake = fakeNodeContext(identity);
  const dials: { peer: string; done: (ok: boolean) => void }[] = [];
  const peers = { connect: (peer: string, done: (ok: boolean) => void) => void dials.push({ peer, done }) } as unknown as PeerTable;
  const connected: string[] = [];
  const d = new SeedDialer('seed-0', fake.ctx, MESH_NODE_DEFAULTS, peers, (s) => connected.push(s));
  const answer = (ok: boolean): void => dials[dials.length - 1].done(ok);
  const fireTimer = (): void => fake.timers[fake.timers.length - 1].fn();
  return { fake, dials, connected, d, answer, fireTimer };
}

describe('seed backoff', () => {
  it('delay = min(1000·2^min(attempt, 5), 30 000) ms', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 9].map((a) => seedRetryDelayMs(MESH_NODE_DEFAULTS, a))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    const uncapped = { ...MESH_NODE_DEFAULTS, seedRetryMaxMs: 1e9 };
    expect(seedRetryDelayMs(uncapped, 5)).toBe(32_000);
    expect(seedRetryDelayMs(uncapped, 6)).toBe(32_000);
  });
});

describe('SeedDialer', () => {
  it('a first dial that succeeds ends the round idle and calls back', () => {
    const t = dialer();
    expect(t.d.state).toBe('idle');
    expect(t.d.busy).toBe(false);
    t.d.start();
    expect(t.d.state).toBe('dialing');
    expect(t.d.busy).toBe(true);
    expect(t.dials.map((x) => x.peer)).toEqual(['seed-0']);
    t.answer(true);
    expect(t.d.state).toBe('idle');
    expect(t.connected).toEqual(['seed-0']);
    expect(t.fake.spans).toEqual([]);
    expect(t.d.dials).toBe(1);
  });

  it('failures retry with backoff spans, and the tenth failure gives up', () => {
    const t = dialer();
    t.d.start();
    for (let attempt = 1; attempt <= 9; attempt++) {
      t.answer(false);
      expect(t.d.state).toBe('waiting');
      expect(t.d.busy).toBe(true);
      const delayMs = Math.min(1000 * 2 ** Math.min(attempt, 5), 30_000);
      expect(t.fake.timers[t.fake.timers.length - 1].delayMs).toBe(delayMs);
      expect(t.fake.spans[t.fake.spans.length - 1]).toEqual({ node: 'relay-1', name: 'mesh.seed.retry', attrs: { attempt, delayMs, peerId: 'seed-0' } });
      t.fireTimer();
      expect(t.d.state).toBe('dialing');
    }
    t.answer(false);
    expect(t.d.state).toBe('gave-up');
    expect(t.d.busy).toBe(false);
    expect(t.d.dials).toBe(10);
    expect(t.fake.timers).toHaveLength(9);
    expect(t.fake.spans[t.fake.spans.length - 1]).toEqual({ node: 'relay-1', name: 'mesh.seed.giveup', attrs: { attempts: 10, peerId: 'seed-0' } });
  });

  it('a round under way is not restarted; a new round after success starts its backoff again', () => {
    const t = dialer();
    t.d.start();
    t.d.start();
    expect(t.dials).toHaveLength(1);
    t.answer(false);
    t.d.start(); // waiting: still busy
    expect(t.dials).toHaveLength(1);
    t.fireTimer();
    t.answer(true);
    t.d.start();
    expect(t.dials).toHaveLength(3);
    t.answer(false);
    expect(t.fake.timers[t.fake.timers.length - 1].delayMs).toBe(2_000); // attempt 1 again
  });

  it('a round that gave up can be started again', () => {
    const t = dialer();
    t.d.start();
    for (let i = 0; i < 9; i++) {
      t.answer(false);
      t.fireTimer();
    }
    t.answer(false);
    expect(t.d.state).toBe('gave-up');
    t.d.start();
    expect(t.d.state).toBe('dialing');
    t.answer(false);
    expect(t.fake.spans[t.fake.spans.length - 1].attrs).toMatchObject({ attempt: 1, delayMs: 2_000 });
  });
});
