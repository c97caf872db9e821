/**
 * Message ids and their memo (src/protocol/message-id.ts). Goal: an id is the SHA-256 of the
 * content; `isMessageIdOf` answers exactly as hashing would, whatever the memo holds;
 * a forwarded Gossip (`sharedGossipOf`) carries the one remembered copy of verified bytes (not the
 * caller's array, not a buffer the caller can still change) and the caller's own bytes when they
 * differ or were forgotten), in one object per (id, round); the memo keeps the newest 4096 ids. Method: direct calls; the bound
 * is checked by filling the memo with 4096 fresh ids, which pushes out whatever it held before.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isMessageIdOf, messageIdOf, sharedGossipOf } from '../src/protocol/message-id.js';

/** The bytes a forwarded Gossip carries (round 1,000 is never memoised, so this leaves no trace). */
const forwardedContentOf = (id: string, content: Uint8Array): Uint8Array => sharedGossipOf(id, 1_000, content).content;

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('message ids', () => {
  it('are the SHA-256 of the content; a check answers as hashing would', () => {
    const content = bytes('hello mesh');
    const id = createHash('sha256').update(content).digest('hex');
    expect(messageIdOf(content)).toBe(id);
    expect(isMessageIdOf(id, bytes('hello mesh'))).toBe(true);
    expect(isMessageIdOf(id, bytes('hello mesi'))).toBe(false); // same length, one byte off
    expect(isMessageIdOf(id, bytes('hello mesh!'))).toBe(false);
    const unseen = bytes('never hashed before');
    expect(isMessageIdOf(createHash('sha256').update(unseen).digest('hex'), unseen)).toBe(true);
  });

  it('a forwarded Gossip carries the one remembered copy for equal bytes, else the caller\'s own', () => {
    const original = bytes('shared payload');
    const id = messageIdOf(original);
    const shared = forwardedContentOf(id, bytes('shared payload'));
    expect(shared).toEqual(original);
    expect(shared).not.toBe(original); // a copy: the caller may reuse its buffer
    original[0] = 0;
    expect(forwardedContentOf(id, bytes('shared payload'))).toBe(shared);
    expect(shared[0]).toBe('s'.charCodeAt(0));
    // Hashing the same content again keeps the first copy.
    messageIdOf(bytes('shared payload'));
    expect(forwardedContentOf(id, bytes('shared payload'))).toBe(shared);
    const other = bytes('shared paylaod');
    expect(forwardedContentOf(id, other)).toBe(other);
    const shorter = bytes('shared');
    expect(forwardedContentOf(id, shorter)).toBe(shorter);
  });

  it('keeps the newest 16,384 ids: the 16,385th pushes out the oldest', () => {
    const contents = Array.from({ length: 16_385 }, (_, i) => bytes(`bound-${i}`));
    const ids = contents.slice(0, 16_384).map((c) => messageIdOf(c));
    const probe = (i: number): boolean => {
      const copy = contents[i].slice();
      return forwardedContentOf(ids[i], copy) !== copy;
    };
    expect(probe(0)).toBe(true);
    expect(probe(16_383)).toBe(true);
    ids.push(messageIdOf(contents[16_384]));
    expect(probe(0)).toBe(false);
    expect(probe(1)).toBe(true);
    expect(probe(16_384)).toBe(true);
  });

  it('keeps at most 32 MiB of content: a 4096-byte message past 8,192 of them pushes out the oldest', () => {
    const big = (i: number): Uint8Array => {
      const b = new Uint8Array(4096);
      new DataView(b.buffer).setUint32(0, i);
      b[4] = 0xb1; // apart from the other tests' contents
      return b;
    };
    const ids = Array.from({ length: 8_192 }, (_, i) => messageIdOf(big(i)));
    const probe = (i: number): boolean => {
      const copy = big(i);
      return forwardedContentOf(ids[i], copy) !== copy;
    };
    expect(probe(0)).toBe(true);
    ids.push(messageIdOf(big(8_192)));
    expect(probe(0)).toBe(false);
    expect(probe(1)).toBe(true);
    expect(probe(8_192)).toBe(true);
    // The memo is full by bytes: even a small message pushes out the oldest big one.
    ids.push(messageIdOf(bytes('small after big')));
    expect(probe(1)).toBe(false);
    expect(probe(2)).toBe(true);
  });

  it('sharedGossipOf: one Gossip per (id, round) over the shared copy; anything else gets its own', () => {
    const id = messageIdOf(bytes('forwarded payload'));
    const content = forwardedContentOf(id, bytes('forwarded payload'));
    const a = sharedGossipOf(id, 3, content);
    expect(a).toEqual({ type: 'Gossip', id, round: 3, content });
    expect(sharedGossipOf(id, 3, content)).toBe(a);
    const b = sharedGossipOf(id, 4, content);
    expect(b).not.toBe(a);
    expect(b.round).toBe(4);
    // The same bytes in the caller's own array: still the shared object.
    expect(sharedGossipOf(id, 3, bytes('forwarded payload'))).toBe(a);
    // Other bytes under the id: its own object, with its own bytes.
    const own = bytes('forwarded paylaod');
    const c = sharedGossipOf(id, 3, own);
    expect(c).not.toBe(a);
    expect(c.content).toBe(own);
    // A forged or very deep round is never shared.
    expect(sharedGossipOf(id, 64, content)).not.toBe(sharedGossipOf(id, 64, content));
    expect(sharedGossipOf(id, -1, content).round).toBe(-1);
  });
});
