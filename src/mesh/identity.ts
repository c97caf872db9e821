/**
 * The identity file in a node's data dir: written on first start, read back on restart so a
 * restarted node keeps its id and name. Unreadable contents are treated as absent.
 */
import type { DataDir, WriteResult } from '../sim/data-dir.js';
import type { NodeIdentity } from '../sim/node-host.js';

export const IDENTITY_PATH = 'identity.json';

export function readIdentity(dir: DataDir): NodeIdentity | null {
  const bytes = dir.read(IDENTITY_PATH);
  if (bytes === undefined) return null;
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as Partial<NodeIdentity>;
    if (typeof v.nodeId !== 'string' || typeof v.name !== 'string' || typeof v.role !== 'string' || typeof v.meshId !== 'string') return null;
    return { nodeId: v.nodeId, name: v.name, role: v.role, meshId: v.meshId };
  } catch {
    return null;
  }
}

export function writeIdentity(dir: DataDir, identity: NodeIdentity): WriteResult {
  const { nodeId, name, role, meshId } = identity;
  return dir.write(IDENTITY_PATH, new TextEncoder().encode(JSON.stringify({ nodeId, name, role, meshId })));
}
