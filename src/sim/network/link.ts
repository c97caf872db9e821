/**
 * One direction of the link between two nodes: its mutable state, its own random stream
 * (`link:<from>><to>`, so that changing one link does not shift the draws of another) and its
 * FIFO serialization queue. `send` decides one transmission attempt: lost, or its arrival time.
 * It must not know about connections, addresses or retransmission.
 *
 * The stream is an xor128 whose state lives in the link's own fields (the link extends the
 * generator): every packet draws its jitter here, and a separate stream object and its wrapper
 * were two more objects to reach per packet, ~650,000 of each at 10,000 nodes.
 */
import { assert } from '../assert.js';
import { drawChance, drawInt, Xor128 } from '../rng.js';
import { DEFAULT_LINK, type LinkState, type NodeKey } from './types.js';

/** Returned by `Link.send` when the attempt is dropped. */
export const LOST = -1;

export function linkKey(from: NodeKey, to: NodeKey): string {
  return `${from}>${to}`;
}

export function assertLinkState(s: LinkState): void {
  assert(Number.isSafeInteger(s.latencyMs) && s.latencyMs >= 0, `bad latencyMs ${s.latencyMs}`);
  assert(Number.isSafeInteger(s.jitterMs) && s.jitterMs >= 0, `bad jitterMs ${s.jitterMs}`);
  assert(
    Number.isSafeInteger(s.lossNum) && Number.isSafeInteger(s.lossDen) && s.lossDen > 0 && s.lossNum >= 0 && s.lossNum <= s.lossDen,
    `bad loss ratio ${s.lossNum}/${s.lossDen}`,
  );
  assert(
    Number.isSafeInteger(s.bandwidthBytesPerSec) && s.bandwidthBytesPerSec >= 0,
    `bad bandwidthBytesPerSec ${s.bandwidthBytesPerSec}`,
  );
  assert(typeof s.blocked === 'boolean', 'blocked must be a boolean');
}

export class Link extends Xor128 {
  /** Replaced, never changed in place: every direction shares the default until patched. */
  state: Readonly<LinkState>;
  /** When the serialization queue is next free, ms (only used with a bandwidth limit). */
  private busyUntilMs = 0;

  constructor(
    readonly from: NodeKey,
    readonly to: NodeKey,
    /** Seed of the link's random stream (`RngStreams.seedOf`). */
    seed: string,
    /** The state this direction starts with and `reset` restores (the network's default link). */
    private readonly initial: Readonly<LinkState> = DEFAULT_LINK,
  ) {
    super(seed);
    assertLinkState(initial);
    this.state = initial;
  }

  patch(patch: Partial<LinkState>): void {
    const next = { ...this.state, ...patch };
    assertLinkState(next);
    this.state = next;
  }

  reset(): void {
    this.state = this.initial;
  }

  /**
   * One transmission attempt of `sizeBytes` at `nowMs`: LOST, or the arrival time (integer ms).
   * A blocked link drops before queueing; a lost packet has already used its share of bandwidth.
   */
  send(nowMs: number, sizeBytes: number): number {
    const s = this.state;
    if (s.blocked) return LOST;
    let departMs = nowMs;
    if (s.bandwidthBytesPerSec > 0) {
      const startMs = Math.max(nowMs, this.busyUntilMs);
      departMs = startMs + Math.ceil((sizeBytes * 1000) / s.bandwidthBytesPerSec);
      this.busyUntilMs = departMs;
    }
    if (s.lossNum > 0 && drawChance(this, s.lossNum, s.lossDen)) return LOST;
    const jitterMs = s.jitterMs > 0 ? drawInt(this, s.jitterMs + 1) : 0;
    const arrivalMs = departMs + s.latencyMs + jitterMs;
    // Tested first, message built only on failure: this runs per packet.
    if (!(Number.isSafeInteger(arrivalMs) && arrivalMs >= nowMs)) assert(false, `bad arrival time ${arrivalMs}`);
    return arrivalMs;
  }

  /** Queueing delay a packet sent now would wait before serialization starts, ms. */
  queueDelayMs(nowMs: number): number {
    return Math.max(0, this.busyUntilMs - nowMs);
  }
}
