/**
 * The sweep progress bar: one self-overwriting line on a terminal (done/total, failures,
 * seeds per minute, ETA). On anything that is not a TTY it prints nothing, so logs and pipes
 * stay clean. It reads the wall clock (tooling, outside the deterministic core); it must
 * never write to stdout, which carries the results.
 */
import { performance } from 'node:perf_hooks';

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

export class Progress {
  private readonly startMs = performance.now();
  private lastDrawMs = -Infinity;
  private failed = 0;

  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly enabled: boolean = process.stderr.isTTY === true,
    /** What one finished task is called in the rate ('seeds' for a sweep, 'runs' for an experiment). */
    private readonly unit: string = 'seeds',
  ) {}

  /** One more seed finished. */
  tick(done: number, failedNow: boolean): void {
    if (failedNow) this.failed++;
    if (!this.enabled) return;
    const nowMs = performance.now();
    if (done < this.total && nowMs - this.lastDrawMs < REDRAW_MS) return;
    this.lastDrawMs = nowMs;
    this.out.write(`\r${formatProgress(done, this.total, this.failed, nowMs - this.startMs, this.unit)}\x1b[K`);
  }

  /** Clear the line before the summary is printed. */
  end(): void {
    if (this.enabled) this.out.write('\r\x1b[K');
  }

  elapsedMs(): number {
    return performance.now() - this.startMs;
  }
}

export function formatProgress(done: number, total: number, failed: number, elapsedMs: number, unit = 'seeds'): string {
  const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
  const perMin = elapsedMs > 0 ? (done * 60_000) / elapsedMs : 0;
  const etaS = perMin > 0 ? Math.round(((total - done) / perMin) * 60) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${total}  failed ${failed}  ${perMin.toFixed(0)} ${unit}/min  eta ${etaS}s`;
}

/** Seeds per minute over a wall time. */
export function seedsPerMin(seeds: number, wallMs: number): number {
  return wallMs > 0 ? (seeds * 60_000) / wallMs : 0;
}
