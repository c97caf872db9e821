/** Topic id of a mesh: SHA-256 of the mesh id, as 64 hex characters (SPEC §2.1). */
import { createHash } from 'node:crypto';

const cache = new Map<string, string>();

export function topicIdOf(meshId: string): string {
  let id = cache.get(meshId);
  if (id === undefined) {
    id = createHash('sha256').update(meshId, 'utf8').digest('hex');
    cache.set(meshId, id);
  }
  return id;
}
