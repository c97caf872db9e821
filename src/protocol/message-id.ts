/**
 * The id of a Plumtree broadcast: SHA-256 of its content, as 64 lowercase hex characters.
 *
 * Content-addressed ids let a receiver check that a Gossip's id really names its payload
 * (a spoofed id is dropped). Hashing is deterministic, so this stays inside the pure
 * protocol layer; it must not draw randomness or read clocks.
 */
import { createHash } from 'node:crypto';
import type { MessageId } from './messages.js';

export function messageIdOf(content: Uint8Array): MessageId {
  return createHash('sha256').update(content).digest('hex');
}
