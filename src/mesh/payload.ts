/**
 * Application payloads carried by Plumtree Gossip: node digests and liveness probes.
 * Encoded as a one-byte kind followed by compact JSON; decoding bad bytes returns null (the
 * payload is then counted as foreign, never thrown on).
 */
export interface Digest {
  readonly nodeId: string;
  readonly name: string;
  readonly meshId: string;
  readonly nodeType: string;
  readonly peerCount: number;
  readonly peerIds: readonly string[];
  readonly framesSent: number;
  readonly framesReceived: number;
  readonly wallTimeMs: number;
  readonly cpuUsedPermille: number;
  readonly ramUsedBytes: number;
  readonly cpuBudgetPermille: number;
  readonly ramBudgetBytes: number;
  /** Sequence number per sender, so identical content is still a distinct message. */
  readonly seq: number;
}

export interface Probe {
  readonly probeId: string;
  readonly origin: string;
}

export type AppPayload = { readonly kind: 'digest'; readonly digest: Digest } | { readonly kind: 'probe'; readonly probe: Probe };

const DIGEST = 0x44; // 'D'
const PROBE = 0x50; // 'P'
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodePayload(payload: AppPayload): Uint8Array {
  const body = encoder.encode(JSON.stringify(payload.kind === 'digest' ? payload.digest : payload.probe));
  const out = new Uint8Array(body.length + 1);
  out[0] = payload.kind === 'digest' ? DIGEST : PROBE;
  out.set(body, 1);
  return out;
}

export function decodePayload(bytes: Uint8Array): AppPayload | null {
  if (bytes.length < 2) return null;
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes.subarray(1)));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (bytes[0] === DIGEST && typeof v.nodeId === 'string' && typeof v.wallTimeMs === 'number' && Array.isArray(v.peerIds)) {
    return { kind: 'digest', digest: value as Digest };
  }
  if (bytes[0] === PROBE && typeof v.probeId === 'string' && typeof v.origin === 'string') {
    return { kind: 'probe', probe: value as Probe };
  }
  return null;
}

/** True when two digests differ in anything but the clock and the sequence number. */
export function digestChanged(a: Digest | null, b: Digest): boolean {
  if (a === null) return true;
  return (
    a.peerCount !== b.peerCount ||
    a.framesSent !== b.framesSent ||
    a.framesReceived !== b.framesReceived ||
    a.meshId !== b.meshId ||
    a.nodeType !== b.nodeType ||
    a.peerIds.join(',') !== b.peerIds.join(',')
  );
}
