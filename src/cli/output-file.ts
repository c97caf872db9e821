/**
 * Output files (--otlp, --report): checked before a run, so a typo costs nothing, and written
 * after it (or, for a trace too large to hold, as it goes: `openOutputStream`) without ever
 * leaving a half-written file behind: a regular file is written to a temporary file in the same
 * directory and renamed over the target; a device or pipe (`/dev/stdout`, a FIFO) is written in
 * place. A symbolic link is written through, never replaced (`resolveTarget`). An output that is
 * one of the run's inputs, or the other output, is refused before the run. A failure is a value
 * naming the file and the OS error, so the caller can still print the verdict and replay
 * command. Never prints.
 */
import { accessSync, closeSync, constants, existsSync, lstatSync, openSync, readlinkSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fail, quoted } from './errors.js';

export type OutputWrite = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** Another file the command reads or writes, which an output must not be: [what it is, its path]. */
export type OtherFile = readonly [what: string, path: string];

/**
 * The path when a file can be written there (its directory exists and is writable; it is not a
 * directory, nor one of `others`: the run's input files, or an output already named); else bad
 * usage. Checked at the file a symbolic link leads to.
 */
export function writablePath(option: string, path: string, others: readonly OtherFile[] = []): string {
  if (path.trim() === '') fail(`${option}: empty file name`);
  const { full, inPlace } = resolveTarget(path);
  for (const [what, other] of others) if (sameTarget(path, other)) fail(`${option}: ${quoted(path)} is ${what}, which the run would overwrite`);
  if (existsSync(full) && statSync(full).isDirectory()) fail(`${option}: ${quoted(path)} is a directory`);
  if (inPlace) {
    if (!canWrite(full)) fail(`${option}: ${quoted(path)} is not writable`);
    return path; // a device or pipe is written in place
  }
  const dir = dirname(full);
  const shownDir = full === resolve(path) ? dirname(path) : dir;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(`${option}: directory ${quoted(shownDir)} does not exist`);
  if (existsSync(full) && !canWrite(full)) fail(`${option}: ${quoted(path)} is not writable`);
  if (!canWrite(dir)) fail(`${option}: directory ${quoted(shownDir)} is not writable`);
  return path;
}

/** Links followed at most along a chain of symbolic links (Linux's own bound). */
const LINK_HOPS_MAX = 40;

/** A name for an open file descriptor (`/dev/stdout`, `/dev/fd/3`, `/proc/self/fd/1`): what it names is whatever the descriptor is open on. */
function isDescriptorPath(full: string): boolean {
  return /^\/dev\/(stdout|stderr|fd\/\d+)$/.test(full) || full.startsWith('/proc/');
}

/**
 * Where writing `path` lands, and whether it is written in place. A symbolic link is followed to
 * the file it leads to: renaming a temporary file over the link would replace the link, and the
 * file it points to would never get the output (`--otlp link.json` left link.json a file of its
 * own). A descriptor's name (`/dev/stdout`, or a link to `/proc/self/fd/1`) is written in place
 * and appended to: with stdout redirected to a file, the name leads to that file, and a rename or
 * a truncation there would drop what the run printed before it (`--json --otlp /dev/stdout >
 * out` replaced the machine's /dev/stdout link with a file of its own, and out held no trace).
 * Any other device or pipe is written in place too.
 */
function resolveTarget(path: string): { readonly full: string; readonly inPlace: boolean } {
  let full = resolve(path);
  for (let hop = 0; hop < LINK_HOPS_MAX && !isDescriptorPath(full); hop++) {
    let link: string;
    try {
      if (!lstatSync(full).isSymbolicLink()) break;
      link = readlinkSync(full);
    } catch {
      break; // nothing there yet: the file is made at `full`
    }
    full = resolve(dirname(full), link);
  }
  if (isDescriptorPath(full)) return { full, inPlace: true };
  let inPlace = false;
  try {
    // A directory is neither: writablePath refuses it.
    inPlace = existsSync(full) && !statSync(full).isFile() && !statSync(full).isDirectory();
  } catch {
    // stat failed: take the temporary-file path, whose error names the problem
  }
  return { full, inPlace };
}

/** Whether two paths name the same file: the same inode where both exist, else the same place once links are followed. */
export function sameTarget(a: string, b: string): boolean {
  const x = resolveTarget(a).full;
  const y = resolveTarget(b).full;
  try {
    const sx = statSync(x);
    const sy = statSync(y);
    if (sx.isFile() && sy.isFile()) return sx.dev === sy.dev && sx.ino === sy.ino;
    if (!sx.isFile() || !sy.isFile()) return false; // devices and pipes may be named by any number of outputs
  } catch {
    // one of them is not there yet
  }
  return x === y;
}

/** Where a file for `path` is written: in place (a device or pipe), or to a temporary file renamed over `full`. */
function targetOf(path: string): { readonly full: string; readonly inPlace: boolean; readonly temporary: string } {
  const { full, inPlace } = resolveTarget(path);
  return { full, inPlace, temporary: join(dirname(full), `.${basename(full)}.${process.pid}.tmp`) };
}

/** Writes `data` to `path` whole or not at all (see the header). */
export function writeOutputFile(path: string, data: string): OutputWrite {
  const { full, inPlace, temporary } = targetOf(path);
  if (inPlace) return attempt(path, () => writeFileSync(full, data, { flag: 'a' }));
  const result = attempt(path, () => {
    writeFileSync(temporary, data);
    renameSync(temporary, full);
  });
  if (!result.ok) removeTemporary(temporary);
  return result;
}

function removeTemporary(temporary: string): void {
  try {
    unlinkSync(temporary);
  } catch {
    // never created, or already renamed
  }
}

/** A file written in pieces as a run goes, then kept whole or not at all (`openOutputStream`). */
export interface OutputStream {
  write(chunk: string): void;
  /** Ends the file: a regular file is renamed over the target. The first error, if any, and then nothing is left behind. */
  close(): OutputWrite;
  /** The run ended without a result: the temporary file goes. */
  abort(): void;
}

/**
 * `writeOutputFile` for data made as the run goes (an OTLP trace too large to hold): written to
 * the same temporary file and renamed at `close`. After the first failed write the rest is not
 * attempted; `close` then reports that error and removes the temporary file.
 */
export function openOutputStream(path: string): OutputStream {
  const { full, inPlace, temporary } = targetOf(path);
  const target = inPlace ? full : temporary;
  let fd: number | null = null;
  let failed: OutputWrite | null = attempt(path, () => void (fd = openSync(target, inPlace ? 'a' : 'w')));
  if (failed.ok) failed = null;
  const discard = (): void => {
    if (!inPlace) removeTemporary(temporary);
  };
  const closeFd = (): void => {
    if (fd === null) return;
    const open = fd;
    fd = null;
    const closed = attempt(path, () => closeSync(open));
    if (!closed.ok) failed ??= closed;
  };
  return {
    write(chunk) {
      if (failed !== null || fd === null) return;
      const open = fd;
      const written = attempt(path, () => writeAll(open, chunk));
      if (!written.ok) failed = written;
    },
    close() {
      closeFd();
      if (failed === null && !inPlace) {
        const renamed = attempt(path, () => renameSync(target, full));
        if (!renamed.ok) failed = renamed;
      }
      if (failed !== null) discard();
      return failed ?? { ok: true };
    },
    abort() {
      closeFd();
      discard();
    },
  };
}

/** writeSync may write less than asked (a pipe): the rest follows until none is left. */
function writeAll(fd: number, chunk: string): void {
  const bytes = Buffer.from(chunk);
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
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
