/**
 * Reading input files without trusting them: the size is refused by `fstat` before reading when
 * the file says how big it is, and every read stops as soon as the ceiling is passed, so a
 * device or pipe that never ends (`/dev/zero`) cannot hang the process or fill its memory.
 * `-` means standard input. Results are values: an OS error code or "too large", never a throw.
 * This is tooling around the simulator (file IO), not part of its deterministic core.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export type BoundedRead =
  | { readonly ok: true; readonly bytes: Buffer }
  | { readonly ok: false; readonly reason: 'io'; readonly code: string }
  | { readonly ok: false; readonly reason: 'size'; readonly bytesMax: number };

const CHUNK_BYTES = 65_536;
/** How long to wait for a non-blocking stdin that has no data yet, ms. */
const STDIN_RETRY_MS = 5;

/** At most `bytesMax` bytes of `path` (or of stdin for `-`); more is a `size` failure. */
export function readBounded(path: string, bytesMax: number): BoundedRead {
  let fd: number;
  try {
    fd = path === '-' ? 0 : openSync(path, 'r');
  } catch (e) {
    return ioFailure(e);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return { ok: false, reason: 'io', code: 'EISDIR' };
    if (stat.isFile() && stat.size > bytesMax) return { ok: false, reason: 'size', bytesMax };
    return readAll(fd, bytesMax);
  } catch (e) {
    return ioFailure(e);
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

function readAll(fd: number, bytesMax: number): BoundedRead {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, bytesMax + 1 - total));
    const n = readRetrying(fd, chunk);
    if (n === 0) break;
    total += n;
    if (total > bytesMax) return { ok: false, reason: 'size', bytesMax };
    chunks.push(chunk.subarray(0, n));
  }
  return { ok: true, bytes: Buffer.concat(chunks, total) };
}

/** readSync, waiting briefly while a non-blocking descriptor (stdin from a terminal or pipe) has nothing yet. */
function readRetrying(fd: number, into: Buffer): number {
  for (;;) {
    try {
      return readSync(fd, into, 0, into.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EOF') return 0;
      if (code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, STDIN_RETRY_MS);
    }
  }
}

function ioFailure(e: unknown): BoundedRead {
  return { ok: false, reason: 'io', code: (e as NodeJS.ErrnoException).code ?? 'error' };
}
