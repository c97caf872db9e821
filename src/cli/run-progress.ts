/**
 * A progress line for long runs (a 10,000-node run takes minutes): virtual time against the main
 * phase, events, and wall time, redrawn at most five times a second on stderr when stderr is a
 * terminal; nothing otherwise, so logs, pipes and `--json` stay clean. It reads the wall clock
 * (the CLI may; the core never does) and never writes to stdout.
 */
import { performance } from 'node:perf_hooks';
import type { RunProgress } from '../scenario/runner.js';

const REDRAW_MS = 200;
/** Runs shorter than this (wall) never draw: the summary follows at once. */
const QUIET_FOR_MS = 1_000;

export interface ProgressLine {
  readonly onProgress?: (p: RunProgress) => void;
  /** Clear the line before the summary is printed. */
  end(): void;
}

export function runProgressLine(out: NodeJS.WriteStream = process.stderr, enabled = out.isTTY === true): ProgressLine {
  if (!enabled) return { end: () => {} };
  const startMs = performance.now();
  let lastDrawMs = -Infinity;
  let drawn = false;
  return {
    onProgress: (p) => {
      const nowMs = performance.now();
      if (nowMs - startMs < QUIET_FOR_MS || nowMs - lastDrawMs < REDRAW_MS) return;
      lastDrawMs = nowMs;
      drawn = true;
      out.write(`\r${formatRunProgress(p, nowMs - startMs)}\x1b[K`);
    },
    end: () => {
      if (drawn) out.write('\r\x1b[K');
    },
  };
}

export function formatRunProgress(p: RunProgress, wallMs: number): string {
  const phase = p.phase === 'main' ? `main phase ${(p.virtualMs / 1000).toFixed(0)}/${(p.mainEndMs / 1000).toFixed(0)} s` : `heal window at ${(p.virtualMs / 1000).toFixed(0)} s`;
  return `running: ${phase} virtual, ${(p.events / 1e6).toFixed(2)} M events, ${(wallMs / 1000).toFixed(0)} s wall`;
}
