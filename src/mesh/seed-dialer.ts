/**
 * Dials one seed with backoff (SPEC §2.3): retry after min(1000·2^min(attempt, 5), 30 000) ms,
 * at most 10 attempts, with `mesh.seed.retry` and `mesh.seed.giveup` spans. A round can be
 * started again later (the node re-probes seeds when it looks cut off from their overlay).
 */
import type { NodeContext } from '../sim/node-host.js';
import { seedRetryDelayMs, type MeshNodeConfig } from './config.js';
import type { PeerTable } from './peers.js';

export type SeedDialerState = 'idle' | 'dialing' | 'waiting' | 'gave-up';

export class SeedDialer {
  private stateValue: SeedDialerState = 'idle';
  private attempt = 0;
  /** Dials made over the node's lifetime (bounded by rounds × attempts). */
  dials = 0;
  /** Dials failed since the seed last answered, across rounds (a new round does not reset it). */
  failuresSinceAnswered = 0;

  constructor(
    readonly seed: string,
    private readonly ctx: NodeContext,
    private readonly config: MeshNodeConfig,
    private readonly peers: PeerTable,
    private readonly onConnected: (seed: string) => void,
    /** Called after each failed dial, once the retry (or the give-up) is settled. */
    private readonly onFailed?: () => void,
  ) {}

  get state(): SeedDialerState {
    return this.stateValue;
  }

  get busy(): boolean {
    return this.stateValue === 'dialing' || this.stateValue === 'waiting';
  }

  /** Start a round of dialing unless one is under way. */
  start(): void {
    if (this.busy) return;
    this.attempt = 0;
    this.tryOnce();
  }

  private tryOnce(): void {
    this.stateValue = 'dialing';
    this.dials++;
    this.peers.connect(this.seed, (ok) => (ok ? this.connected() : this.failed()));
  }

  private connected(): void {
    this.stateValue = 'idle';
    this.attempt = 0;
    this.failuresSinceAnswered = 0;
    this.onConnected(this.seed);
  }

  private failed(): void {
    this.attempt++;
    this.failuresSinceAnswered++;
    const name = this.ctx.identity.name;
    if (this.attempt >= this.config.seedAttemptsMax) {
      this.stateValue = 'gave-up';
      this.ctx.telemetry.emit(name, 'mesh.seed.giveup', { attempts: this.attempt, peerId: this.seed });
    } else {
      const delayMs = seedRetryDelayMs(this.config, this.attempt);
      this.stateValue = 'waiting';
      this.ctx.telemetry.emit(name, 'mesh.seed.retry', { attempt: this.attempt, delayMs, peerId: this.seed });
      this.ctx.setTimer(delayMs, () => this.tryOnce());
    }
    this.onFailed?.();
  }
}
