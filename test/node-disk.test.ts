/**
 * A mesh node's use of its data dir (SPEC §2.3 "disk: failed write degrades gracefully"), as a
 * unit. Goal: the identity is written on first boot and read back on restart; a full disk is a
 * `mesh.disk.write_failed` span, never a throw; the identity and peer cache are retried on the
 * next persist and the first success after failures is one `mesh.disk.write_recovered` span;
 * the `disableDiskRetry` double stops retrying; unreadable identity files count as absent.
 * Method: a hand-driven NodeContext with a real DataDir filled and emptied by the test.
 */
import { describe, expect, it } from 'vitest';
import { IDENTITY_PATH, readIdentity, writeIdentity } from '../src/mesh/identity.js';
import { NodeDisk } from '../src/mesh/node-disk.js';
import { DataDir } from '../src/sim/data-dir.js';
import { fakeNodeContext } from './support/fake-node-context.js';

const identity = { nodeId: 'ab'.repeat(32), name: 'sensor-1', role: 'sensor', meshId: 'mesh-a' };
const utf8 = new TextEncoder();
const spanNames = (spans: readonly { name: string }[]): string[] => spans.map((s) => s.name);

describe('identity file', () => {
  it('roundtrips the four identity fields', () => {
    const dir = new DataDir(4096);
    expect(writeIdentity(dir, { ...identity, extra: 1 } as typeof identity).ok).toBe(true);
    expect(readIdentity(dir)).toEqual(identity);
  });

  it('an absent, non-JSON or incomplete file reads as no identity', () => {
    const dir = new DataDir(4096);
    expect(readIdentity(dir)).toBeNull();
    dir.write(IDENTITY_PATH, utf8.encode('{not json'));
    expect(readIdentity(dir)).toBeNull();
    for (const drop of ['nodeId', 'name', 'role', 'meshId'] as const) {
      const partial: Record<string, unknown> = { ...identity };
      partial[drop] = 7;
      dir.write(IDENTITY_PATH, utf8.encode(JSON.stringify(partial)));
      expect(readIdentity(dir)).toBeNull();
    }
  });
});

describe('NodeDisk', () => {
  it('first boot writes the identity; a restart reads it back', () => {
    const fake = fakeNodeContext(identity);
    const first = new NodeDisk(fake.ctx, {});
    first.loadIdentity();
    expect(first.identitySource).toBe('new');
    expect(readIdentity(fake.dataDir)).toEqual(identity);
    const restarted = new NodeDisk(fake.ctx, {});
    restarted.loadIdentity();
    expect(restarted.identitySource).toBe('data-dir');
    expect(fake.spans).toEqual([]);
  });

  it('a data dir holding another identity is a programmer error', () => {
    const fake = fakeNodeContext(identity);
    writeIdentity(fake.dataDir, { ...identity, name: 'other' });
    expect(() => new NodeDisk(fake.ctx, {}).loadIdentity()).toThrow(/holds the identity of other/);
    const sameName = fakeNodeContext(identity);
    writeIdentity(sameName.dataDir, { ...identity, nodeId: 'cd'.repeat(32) });
    expect(() => new NodeDisk(sameName.ctx, {}).loadIdentity()).toThrow(/holds the identity of sensor-1/);
  });

  it('a full disk at first boot is a span; the next persist that fits saves identity and peers', () => {
    const fake = fakeNodeContext(identity, 4096);
    fake.dataDir.fill(0);
    const disk = new NodeDisk(fake.ctx, {});
    disk.loadIdentity();
    expect(fake.spans).toEqual([{ node: 'sensor-1', name: 'mesh.disk.write_failed', attrs: { path: IDENTITY_PATH, freeBytes: 0 } }]);
    disk.persist(JSON.stringify(['n1']));
    expect(spanNames(fake.spans)).toEqual(['mesh.disk.write_failed', 'mesh.disk.write_failed']);
    expect(fake.spans[1].attrs).toEqual({ path: 'peers.json', freeBytes: 0 });
    fake.dataDir.clearBallast();
    disk.persist(JSON.stringify(['n1', 'n2']));
    expect(readIdentity(fake.dataDir)).toEqual(identity);
    expect(new TextDecoder().decode(fake.dataDir.read('peers.json'))).toBe('["n1","n2"]');
    expect(fake.spans[2]).toEqual({ node: 'sensor-1', name: 'mesh.disk.write_recovered', attrs: { path: 'peers.json' } });
    // Recovered once: a further successful persist is silent.
    disk.persist(JSON.stringify(['n3']));
    expect(fake.spans).toHaveLength(3);
  });

  it('a healthy persist writes the peer cache silently and does not rewrite a saved identity', () => {
    const fake = fakeNodeContext(identity);
    const disk = new NodeDisk(fake.ctx, {});
    disk.loadIdentity();
    fake.dataDir.write(IDENTITY_PATH, utf8.encode('sentinel'));
    disk.persist(JSON.stringify([]));
    expect(new TextDecoder().decode(fake.dataDir.read(IDENTITY_PATH))).toBe('sentinel');
    expect(new TextDecoder().decode(fake.dataDir.read('peers.json'))).toBe('[]');
    expect(fake.spans).toEqual([]);
  });

  it('after a restart the identity read back is not written again', () => {
    const fake = fakeNodeContext(identity);
    new NodeDisk(fake.ctx, {}).loadIdentity();
    const restarted = new NodeDisk(fake.ctx, {});
    restarted.loadIdentity();
    fake.dataDir.write(IDENTITY_PATH, utf8.encode('sentinel'));
    restarted.persist(JSON.stringify(['n1']));
    expect(new TextDecoder().decode(fake.dataDir.read(IDENTITY_PATH))).toBe('sentinel');
  });

  it('with disableDiskRetry a failed write is never retried', () => {
    const fake = fakeNodeContext(identity, 4096);
    const disk = new NodeDisk(fake.ctx, { disableDiskRetry: true });
    disk.loadIdentity();
    fake.dataDir.fill(0);
    disk.persist(JSON.stringify(['n1']));
    fake.dataDir.clearBallast();
    disk.persist(JSON.stringify(['n1']));
    expect(fake.dataDir.read('peers.json')).toBeUndefined();
    expect(spanNames(fake.spans)).toEqual(['mesh.disk.write_failed']);
  });
});
