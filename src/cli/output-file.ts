/**
 * Output files (--otlp, --report): checked before a run, so a typo costs nothing, and written
 * after it without ever leaving a half-written file behind: a regular file is written to a
 * temporary file in the same directory and renamed over the target; a device or pipe
 * (`/dev/stdout`, a FIFO) is written in place. A failure is a value naming the file and the OS
 * error, so the caller can still print the verdict and replay command. Never prints.
 */
import { accessSync, constants, existsSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fail, quoted } from './errors.js';

export type OutputWrite = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** The path when a file can be written there (its directory exists and is writable; it is not a directory); else bad usage. */
export function writablePath(option: string, path: string): string {
  if (path.trim() === '') fail(`${option}: empty file name`);
  const full = resolve(path);
  const dir = dirname(full);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(`${option}: directory ${quoted(dirname(path))} does not exist`);
  if (existsSync(full)) {
    const stat = statSync(full);
    if (stat.isDirectory()) fail(`${option}: ${quoted(path)} is a directory`);
    if (!canWrite(full)) fail(`${option}: ${quoted(path)} is not writable`);
    if (!stat.isFile()) return path; // a device or pipe is written in place
  }
  if (!canWrite(dir)) fail(`${option}: directory ${quoted(dirname(path))} is not writable`);
  return path;
}

/** Writes `data` to `path` whole or not at all (see the header). */
export function writeOutputFile(path: string, data: string): OutputWrite {
  const full = resolve(path);
  let inPlace = false;
  try {
    inPlace = existsSync(full) && !statSync(full).isFile();
  } catch {
    // stat failed: take the temporary-file path, whose error names the problem
  }
  if (inPlace) return attempt(path, () => writeFileSync(full, data));
  const temporary = join(dirname(full), `.${basename(full)}.${process.pid}.tmp`);
  const result = attempt(path, () => {
    writeFileSync(temporary, data);
    renameSync(temporary, full);
  });
  if (!result.ok) {
    try {
      unlinkSync(temporary);
    } catch {
      // never created, or already renamed
    }
  }
  return result;
}

function attempt(path: string, write: () => void): OutputWrite {
  try {
    write();
    return { ok: true };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // "ENOSPC: no space left on device, write" → the code and its meaning, without Node's call name.
    const reason = err.code === undefined ? String(err.message) : err.message.split(',')[0];
    return { ok: false, error: `cannot write ${path}: ${reason}` };
  }
}

function canWrite(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
