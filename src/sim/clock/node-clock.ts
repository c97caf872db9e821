/**
 * A node's two clocks. The monotonic clock is virtual time itself; the wall clock is virtual
 * time plus an offset plus an optional drift in parts per million. ClockSkew moves only the
 * wall clock; protocol timers and staleness use the monotonic one.
 */
export interface TimeSource {
  readonly nowMs: number;
}

export class NodeClock {
  private offsetMs = 0;
  private driftPpm = 0;
  private driftSinceMs = 0;
  private driftBaseMs = 0;

  constructor(private readonly time: TimeSource) {}

  /** Monotonic time, ms: the virtual time. */
  monotonicMs(): number {
    return this.time.nowMs;
  }

  /** Wall time, ms: virtual time + offset + accumulated drift, rounded down to whole ms. */
  wallMs(): number {
    return this.time.nowMs + this.offsetMs + this.driftMs();
  }

  /** Current difference wall − monotonic, ms. */
  skewMs(): number {
    return this.offsetMs + this.driftMs();
  }

  /** Jump the wall clock by `deltaMs` (ClockSkew). */
  jump(deltaMs: number): void {
    this.offsetMs += deltaMs;
  }

  /** Set the offset absolutely (0 = no skew). */
  setOffsetMs(offsetMs: number): void {
    this.offsetMs = offsetMs;
  }

  /** Start drifting at `ppm` parts per million from now; drift accumulated so far is kept. */
  setDriftPpm(ppm: number): void {
    this.driftBaseMs = this.driftMs();
    this.driftSinceMs = this.time.nowMs;
    this.driftPpm = ppm;
  }

  private driftMs(): number {
    if (this.driftPpm === 0) return this.driftBaseMs;
    return this.driftBaseMs + Math.floor(((this.time.nowMs - this.driftSinceMs) * this.driftPpm) / 1_000_000);
  }
}
