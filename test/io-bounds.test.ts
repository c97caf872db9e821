/**
 * Ceilings on what goes in and out. Goal: input is refused by size while it is read (a file by
 * its size, a device that never ends after the ceiling), an output file is written whole or not
 * at all, the encoders refuse the batch sizes docs/wire.md states, and a seed range of millions
 * is never listed in memory.
 * Method: the bounded reader on a large file and /dev/zero; the output writer with its
 * temporary file blocked (the target must keep its old content); encoders one item over the
 * limit; a lazy seed list of 10⁷ seeds against the arithmetic.
 */
import { closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOutputStream, sameTarget, writeOutputFile } from '../src/cli/output-file.js';
import { readBounded } from '../src/io/bounded-read.js';
import { encodeEnvelope, IHAVE_ENTRIES_MAX, SHUFFLE_NODES_MAX } from '../src/protocol/codec.js';
import { shardSeedList, shardSeeds } from '../src/sweep/shard.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshsim-io-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bounded reading', () => {
  it('refuses a file larger than the ceiling by its size, and reads one within it', () => {
    const path = join(dir, 'big.json');
    writeFileSync(path, 'x'.repeat(2_000));
    expect(readBounded(path, 1_000)).toEqual({ ok: false, reason: 'size', bytesMax: 1_000 });
    const ok = readBounded(path, 2_000);
    expect(ok.ok && ok.bytes.length).toBe(2_000);
    expect(readBounded(join(dir, 'missing'), 10)).toEqual({ ok: false, reason: 'io', code: 'ENOENT' });
    expect(readBounded(dir, 10)).toEqual({ ok: false, reason: 'io', code: 'EISDIR' });
  });

  it.skipIf(!existsSync('/dev/zero'))('stops reading a device that never ends (/dev/zero) at the ceiling', () => {
    expect(readBounded('/dev/zero', 100_000)).toEqual({ ok: false, reason: 'size', bytesMax: 100_000 });
  });
});

describe('output files are written whole or not at all', () => {
  it('replaces the target through a temporary file', () => {
    const path = join(dir, 'report.html');
    writeFileSync(path, 'old');
    expect(writeOutputFile(path, 'new')).toEqual({ ok: true });
    expect(readFileSync(path, 'utf8')).toBe('new');
  });

  it('keeps the old content and names the file and OS error when the write fails', () => {
    const path = join(dir, 'blocked.html');
    writeFileSync(path, 'old');
    mkdirSync(join(dir, `.blocked.html.${process.pid}.tmp`)); // the temporary file cannot be created
    const r = writeOutputFile(path, 'new');
    expect(r).toEqual({ ok: false, error: `cannot write ${path}: EISDIR: illegal operation on a directory` });
    expect(readFileSync(path, 'utf8')).toBe('old');
    const gone = writeOutputFile(join(dir, 'no-such-dir', 'x.html'), 'new');
    expect(gone.ok || gone.error).toMatch(/^cannot write .*x\.html: ENOENT/);
  });

  it('writes through a symbolic link, never replacing it: to the file it leads to, made if missing', () => {
    const target = join(dir, 'real.html');
    writeFileSync(target, 'old');
    const link = join(dir, 'link.html');
    symlinkSync(target, link);
    expect(writeOutputFile(link, 'new')).toEqual({ ok: true });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('new');
    const dangling = join(dir, 'dangling.html');
    symlinkSync('made-by-the-write.html', dangling);
    const stream = openOutputStream(dangling);
    stream.write('streamed');
    expect(stream.close()).toEqual({ ok: true });
    expect(lstatSync(dangling).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'made-by-the-write.html'), 'utf8')).toBe('streamed');
  });

  it.skipIf(!existsSync('/proc/self/fd'))('appends to what a descriptor name leads to, keeping what came before (/dev/stdout redirected to a file)', () => {
    // A link to /proc/self/fd/N stands in for /dev/stdout: the descriptor is open on `out`,
    // which already holds the run's JSON; renaming over the name, or truncating, lost it.
    const out = join(dir, 'stdout.txt');
    writeFileSync(out, 'json\n');
    const fd = openSync(out, 'a');
    try {
      const name = join(dir, 'my-stdout');
      symlinkSync(`/proc/self/fd/${fd}`, name);
      expect(writeOutputFile(name, 'otlp\n')).toEqual({ ok: true });
      expect(lstatSync(name).isSymbolicLink()).toBe(true);
      expect(readFileSync(out, 'utf8')).toBe('json\notlp\n');
    } finally {
      closeSync(fd);
    }
  });

  it('sameTarget: one file by two names (a link), not two devices', () => {
    const file = join(dir, 'scenario.json');
    writeFileSync(file, '{}');
    const alias = join(dir, 'alias.json');
    symlinkSync(file, alias);
    expect(sameTarget(alias, file)).toBe(true);
    expect(sameTarget(join(dir, 'new.html'), join(dir, '.', 'new.html'))).toBe(true);
    expect(sameTarget(join(dir, 'a.html'), join(dir, 'b.html'))).toBe(false);
    expect(sameTarget('/dev/null', '/dev/null')).toBe(false);
  });
});

describe('encoders enforce the batch limits of docs/wire.md', () => {
  const topic = 'ab'.repeat(32);
  const id = '01'.repeat(32);
  it('at most 111 IHave entries and 127 Shuffle ids, even when smaller rounds would fit the bytes', () => {
    const entries = (n: number) => Array.from({ length: n }, () => ({ id, round: 1 }));
    expect(() => encodeEnvelope({ topic, message: { type: 'IHave', entries: entries(IHAVE_ENTRIES_MAX) } })).not.toThrow();
    expect(() => encodeEnvelope({ topic, message: { type: 'IHave', entries: entries(IHAVE_ENTRIES_MAX + 1) } })).toThrow(/112 entries > 111/);
    const nodes = (n: number) => new Array<string>(n).fill(id);
    expect(() => encodeEnvelope({ topic, message: { type: 'Shuffle', origin: id, ttl: 1, nodes: nodes(SHUFFLE_NODES_MAX) } })).not.toThrow();
    expect(() => encodeEnvelope({ topic, message: { type: 'Shuffle', origin: id, ttl: 1, nodes: nodes(SHUFFLE_NODES_MAX + 1) } })).toThrow(/128 ids > 127/);
    expect(() => encodeEnvelope({ topic, message: { type: 'ShuffleReply', nodes: nodes(SHUFFLE_NODES_MAX + 1) } })).toThrow(/128 ids > 127/);
  });
});

describe('seed ranges are computed, not listed', () => {
  it('a shard of 1..10⁷ knows its length and every seed by position', () => {
    const list = shardSeedList({ from: 1, to: 10_000_000 }, { index: 3, count: 8 });
    expect(list.length).toBe(1_250_000);
    expect([list.seedAt(0), list.seedAt(1), list.seedAt(list.length - 1)]).toEqual(['3', '11', '9999995']);
    expect(() => list.seedAt(list.length)).toThrow(RangeError);
    expect(shardSeeds({ from: 5, to: 20 }, { index: 2, count: 3 })).toEqual(['6', '9', '12', '15', '18']);
    expect(shardSeedList({ from: 5, to: 5 }, { index: 2, count: 3 }).length).toBe(0);
  });
});
