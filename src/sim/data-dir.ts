/**
 * A node's data directory: a small in-memory file store with a byte capacity. It survives a
 * node's kill and restart (it is the disk, not the process), and its writes can fail with an
 * error value when the capacity would be exceeded (DiskFull fills it up).
 */
import { assert } from './assert.js';

export type WriteResult = { ok: true } | { ok: false; error: 'ENOSPC'; path: string; neededBytes: number; freeBytes: number };

export class DataDir {
  private readonly files = new Map<string, Uint8Array>();
  private usedBytesValue = 0;
  /** Bytes taken by ballast (DiskFull), not by files. */
  private ballastBytes = 0;

  constructor(private capacityBytesValue: number) {
    assert(capacityBytesValue >= 0, 'capacity must be non-negative');
  }

  get capacityBytes(): number {
    return this.capacityBytesValue;
  }

  get usedBytes(): number {
    return this.usedBytesValue + this.ballastBytes;
  }

  get freeBytes(): number {
    return Math.max(0, this.capacityBytesValue - this.usedBytes);
  }

  /** Write (replace) a file; fails without changing anything when the disk would overflow. */
  write(path: string, bytes: Uint8Array): WriteResult {
    const old = this.files.get(path);
    const neededBytes = bytes.length - (old?.length ?? 0);
    if (neededBytes > this.freeBytes) return { ok: false, error: 'ENOSPC', path, neededBytes, freeBytes: this.freeBytes };
    this.files.set(path, bytes.slice());
    this.usedBytesValue += neededBytes;
    return { ok: true };
  }

  /**
   * Replace a file the safe way (a new copy is written, then renamed over the old one): it
   * needs room for the whole new copy, as on a real disk, so a full disk fails even when the
   * new contents are no larger than the old.
   */
  writeAtomic(path: string, bytes: Uint8Array): WriteResult {
    if (bytes.length > this.freeBytes) return { ok: false, error: 'ENOSPC', path, neededBytes: bytes.length, freeBytes: this.freeBytes };
    return this.write(path, bytes);
  }

  read(path: string): Uint8Array | undefined {
    const bytes = this.files.get(path);
    return bytes === undefined ? undefined : bytes.slice();
  }

  /** Fill the disk so that `freeBytesLeft` remain (DiskFull); returns the ballast added. */
  fill(freeBytesLeft = 0): number {
    const add = Math.max(0, this.freeBytes - freeBytesLeft);
    this.ballastBytes += add;
    return add;
  }

  /** Remove all ballast (DiskFull revert). */
  clearBallast(): void {
    this.ballastBytes = 0;
  }

  paths(): string[] {
    return [...this.files.keys()].sort();
  }
}
