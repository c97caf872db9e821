/**
 * Progress of a long run (a 10,000-node run takes minutes, its all-nodes burst an hour): virtual
 * time against the main phase, events, the deliveries of the broadcasts sent so far (all of an
 * all-nodes burst happen within one virtual second: only they show how far it got), wall time and
 * the memory the process holds. On a terminal
 * the line is redrawn at most five times a second on stderr; with `--progress` off a terminal, a
 * plain line is written every 10 s of wall time (for logs of long runs); nothing otherwise, so
 * logs, pipes and `--json` stay clean. It reads the wall clock and the process's memory (the CLI
 * may; the core never does) and never writes to stdout.
 */
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { RunProgress } from '../scenario/runner.js';
import { deliveriesMade, size } from './memory-guard.js';

const REDRAW_MS = 200;
/** Runs shorter than this (wall) never draw: the summary follows at once. */
const QUIET_FOR_MS = 1_000;
/** Wall time between two plain lines (`--progress` off a terminal), and before the first. */
export const PROGRESS_LINE_EVERY_MS = 10_000;

/** 'redraw': one line redrawn in place (a terminal); 'lines': a line per 10 s (a log); 'off'. */
export type ProgressMode = 'redraw' | 'lines' | 'off';

export interface ProgressLine {
  readonly onProgress?: (p: RunProgress) => void;
  /** Clear the line before the summary is printed. */
  end(): void;
}

/** What the line reads besides the run: the wall clock and the process's resident memory, bytes. */
export interface ProgressProbe {
  nowMs(): number;
  resident(): number;
  /** The live heap at the last full collection, bytes, or null before one (the heap watch's `liveHeap`). */
  liveHeap?(): number | null;
  /** Where the resident memory is: the heap V8 holds (live or not) and array buffers outside it, bytes. */
  memory?(): HeapMemory;
}

export interface HeapMemory {
  /** The heap V8 has committed: objects, garbage not yet collected, and free space in its pages. */
  readonly heap: number;
  /** Of that, what objects take, live or garbage (the rest is free space V8 keeps committed). */
  readonly heapUsed: number;
  /** Array buffers (frames in flight, lent chunks, tables' indexes): outside the heap and its limit. */
  readonly arrayBuffers: number;
}

/** This process's clock and memory; `liveHeap` from the run's heap watch, when there is one. */
export function processProbe(liveHeap?: () => number | null): ProgressProbe {
  return {
    nowMs: () => performance.now(),
    resident: () => process.memoryUsage.rss(),
    liveHeap,
    memory: () => {
      const heap = getHeapStatistics();
      return { heap: heap.total_heap_size, heapUsed: heap.used_heap_size, arrayBuffers: process.memoryUsage().arrayBuffers };
    },
  };
}

/** The mode for a run: redrawn on a terminal, plain lines when asked for (`--progress`), else off. */
export function progressMode(out: NodeJS.WriteStream, asked: boolean): ProgressMode {
  if (out.isTTY === true) return 'redraw';
  return asked ? 'lines' : 'off';
}

export function runProgressLine(out: NodeJS.WriteStream = process.stderr, mode: ProgressMode = progressMode(out, false), probe: ProgressProbe = processProbe()): ProgressLine {
  if (mode === 'off') return { end: () => {} };
  const startMs = probe.nowMs();
  const redraw = mode === 'redraw';
  let lastDrawMs = redraw ? -Infinity : startMs;
  let drawn = false;
  return {
    onProgress: (p) => {
      const nowMs = probe.nowMs();
      if (redraw ? nowMs - startMs < QUIET_FOR_MS || nowMs - lastDrawMs < REDRAW_MS : nowMs - lastDrawMs < PROGRESS_LINE_EVERY_MS) return;
      lastDrawMs = nowMs;
      const text = formatRunProgress(p, nowMs - startMs, probe.resident(), probe.liveHeap?.() ?? null, probe.memory?.() ?? null);
      if (redraw) {
        drawn = true;
        out.write(`\r${text}\x1b[K`);
      } else {
        out.write(`${text}\n`);
      }
    },
    end: () => {
      if (drawn) out.write('\r\x1b[K');
    },
  };
}

/**
 * The line. `liveHeapBytes`, once a full collection has been seen, tells a large heap of live
 * state from garbage the collector has not yet had a reason to take (round 27's 10,000-node burst
 * was stopped holding 17.9 GB, and what of it was live was not known); `memory` tells the heap
 * from the array buffers outside it, and the heap's objects from the free space V8 keeps in its
 * pages (round 31's was stopped holding 18.0 GB, 6.5 GB of it live heap, and the rest was not
 * known; round 32's held 12.8 GB of heap with 8.4 GB in use and 6.4 GB live).
 */
export function formatRunProgress(p: RunProgress, wallMs: number, residentBytes: number, liveHeapBytes: number | null = null, memory: HeapMemory | null = null): string {
  const phase = p.phase === 'main' ? `main phase ${(p.virtualMs / 1000).toFixed(0)}/${(p.mainEndMs / 1000).toFixed(0)} s` : `heal window at ${(p.virtualMs / 1000).toFixed(0)} s`;
  const made = deliveriesMade(p.deliveries);
  const live = liveHeapBytes === null ? null : `${size(liveHeapBytes)} live${memory === null ? ' heap' : ''} at the last full collection`;
  const within = memory === null
    ? live
    : `heap ${size(memory.heap)}, ${size(memory.heapUsed)} of it in use${live === null ? '' : `, ${live}`}; array buffers ${size(memory.arrayBuffers)}`;
  return `running: ${phase} virtual, ${(p.events / 1e6).toFixed(2)} M events${made === '' ? '' : `, ${made}`}, ${(wallMs / 1000).toFixed(0)} s wall, ${size(residentBytes)} resident` +
    (within === null ? '' : ` (${within})`);
}
