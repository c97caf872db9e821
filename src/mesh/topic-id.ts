/** Topic id of a mesh: SHA-256 of the mesh id, as 64 hex characters (SPEC §2.1). */
import { createHash } from 'node:crypto';
import { internedId } from '../protocol/hex-ids.js';

const cache = new Map<string, string>();

export function topicIdOf(meshId: string): string {
  let id = cache.get(meshId);
  if (id === undefined) {
    // Interned like ids read off the wire: the topic of every frame is looked up by it.
    id = internedId(createHash('sha256').update(meshId, 'utf8').digest('hex'));
    cache.set(meshId, id);
  }
  return id;
}
