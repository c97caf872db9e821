/**
 * Topic ids (SPEC §2.1). Goal: a mesh's topic id is the SHA-256 of its mesh id's UTF-8 bytes as
 * 64 lowercase hex characters, the same on every call, different per mesh. Method: compared
 * with node:crypto on ASCII and non-ASCII mesh ids.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { topicIdOf } from '../src/mesh/topic-id.js';

describe('topicIdOf', () => {
  it('is the SHA-256 of the UTF-8 mesh id, stable per mesh, distinct across meshes', () => {
    for (const meshId of ['mesh-a', 'mesh-b', 'maschen-ö-網']) {
      const expected = createHash('sha256').update(Buffer.from(meshId, 'utf8')).digest('hex');
      expect(topicIdOf(meshId)).toBe(expected);
      expect(topicIdOf(meshId)).toBe(expected);
      expect(expected).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(topicIdOf('mesh-a')).not.toBe(topicIdOf('mesh-b'));
  });
});
