/**
 * The id of a Plumtree broadcast: SHA-256 of its content, as 64 lowercase hex characters.
 *
 * Content-addressed ids let a receiver check that a Gossip's id really names its payload
 * (a spoofed id is dropped). Departure from the Plumtree paper, whose id is hash(m + myself):
 * equal bytes from two origins are one message here (the second broadcast is refused, or
 * dropped as a duplicate on arrival), as in iroh-gossip. The mesh's own payloads (probes,
 * digests, workload messages) carry their origin, so they never collide. Hashing is deterministic, so this stays inside the pure
 * protocol layer; it must not draw randomness or read clocks.
 *
 * Every node of a simulation checks every message it receives, so the same content is hashed
 * once per node. `isMessageIdOf` remembers recently verified (id, content) pairs and accepts
 * identical bytes under the same id with a byte comparison instead of a new hash. That is a
 * memo of a pure function: answers are exactly those of hashing, whatever the memo holds.
 */
import { Buffer } from 'node:buffer';
import * as crypto from 'node:crypto';
import { internedId } from './hex-ids.js';
import type { Gossip, MessageId } from './messages.js';

/** One-shot SHA-256 (`crypto.hash`, Node ≥ 20.12) without a Hash object; older Node 20 falls back. */
const sha256Hex: (content: Uint8Array) => string =
  typeof crypto.hash === 'function'
    ? (content) => crypto.hash('sha256', content, 'hex')
    : (content) => crypto.createHash('sha256').update(content).digest('hex');

export function messageIdOf(content: Uint8Array): MessageId {
  const id = internedId(sha256Hex(content)); // like ids read off the wire (see internedId)
  remember(id, content);
  return id;
}

/**
 * Verified pairs, oldest first. A message crosses the whole mesh within a second, so the bound
 * must cover the messages in flight when every node broadcasts at once: 16,384 ids, and at most
 * 32 MiB of content (8,192 messages at the 4096-byte content limit), whichever is reached first.
 * 4,096 ids were too few for a 10,000-node burst: the first messages would leave the memo while
 * still spreading, and every later node would hash them again and keep its own copy of their
 * bytes (memory nodes × messages). Content is kept as an exact copy, so a memo entry never pins
 * a larger buffer it was cut from.
 */
const verified = new Map<MessageId, Uint8Array>();
/**
 * Messages a per-message memo must cover: every node of a 10,000-node burst broadcasting at
 * once, with room. Memos keyed by message id elsewhere (decoded payloads) share it.
 */
export const MESSAGES_IN_FLIGHT_MAX = 16_384;
const VERIFIED_MAX = MESSAGES_IN_FLIGHT_MAX;
const VERIFIED_BYTES_MAX = 32 * 1024 * 1024;
let verifiedBytes = 0;

function remember(id: MessageId, content: Uint8Array): void {
  if (verified.has(id)) return;
  while (verified.size > 0 && (verified.size >= VERIFIED_MAX || verifiedBytes + content.length > VERIFIED_BYTES_MAX)) {
    const [oldestId, oldest] = verified.entries().next().value as [MessageId, Uint8Array];
    verified.delete(oldestId);
    verifiedBytes -= oldest.length;
  }
  verified.set(id, content.slice());
  verifiedBytes += content.length;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true; // the decoder handed out the memo's bytes (`verifiedContentOf`)
  if (a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/**
 * The remembered bytes of the verified message `id`, while the memo holds it: a decoder that
 * reads the same bytes under this id hands these out instead of a copy. Shared: never written to.
 */
export function verifiedContentOf(id: MessageId): Uint8Array | undefined {
  return verified.get(id);
}

/** True when `id` is the SHA-256 of `content` (same answer as `messageIdOf(content) === id`). */
export function isMessageIdOf(id: MessageId, content: Uint8Array): boolean {
  const known = verified.get(id);
  if (known !== undefined && sameBytes(known, content)) return true;
  return messageIdOf(content) === id;
}

/**
 * Forwarded Gossip messages by id, indexed by round: every node that forwards a message at the
 * same round sends the same immutable message, so one object serves them all instead of one per
 * node per message (an all-nodes burst at n nodes made n² of them). Bounded like `verified`;
 * rounds past `SHARED_ROUNDS_MAX` (a deep tree, or a forged round) get their own object.
 */
const forwarded = new Map<MessageId, Gossip[]>();
const SHARED_ROUNDS_MAX = 64;

/**
 * The Gossip `{ id, round, content }` for verified `content`, over the one remembered copy of
 * its bytes (so every node caching a message holds the same bytes, not its own copy: memory is
 * not nodes × messages) and, for rounds below 64, the one object every caller shares. When the
 * memo no longer holds the id, the caller's own bytes in its own object.
 */
export function sharedGossipOf(id: MessageId, round: number, content: Uint8Array): Gossip {
  const known = verified.get(id);
  if (known === undefined || !sameBytes(known, content)) return { type: 'Gossip', id, round, content };
  if (!(Number.isSafeInteger(round) && round >= 0 && round < SHARED_ROUNDS_MAX)) return { type: 'Gossip', id, round, content: known };
  let byRound = forwarded.get(id);
  if (byRound === undefined) {
    if (forwarded.size >= VERIFIED_MAX) forwarded.delete(forwarded.keys().next().value as MessageId);
    forwarded.set(id, (byRound = []));
  }
  const shared = byRound[round];
  if (shared !== undefined && shared.content === known) return shared;
  const gossip: Gossip = { type: 'Gossip', id, round, content: known };
  byRound[round] = gossip;
  return gossip;
}
