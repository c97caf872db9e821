/**
 * Helpers for the CLI tests: spawn the BUILT cli (`node bin/meshsim.js`, compiled by `npm test` /
 * `npm run build`) as a user would, and check the bad-usage contract. Must not build anything:
 * a test that needs the CLI says so in `requireBuiltCli` instead.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

export const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'meshsim.js');

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Async, so the tests of a file can run their processes concurrently. */
export function cli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 110_000 }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ status, stdout, stderr });
    });
  });
}

/** Throws a readable error when the CLI has not been compiled (call it in `beforeAll`). */
export function requireBuiltCli(): void {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) {
    throw new Error('the CLI is not built: run `npm run build` (npm test does it) before this test');
  }
}

/** Bad usage: exit 2, exactly one `meshsim:` line on stderr, no stack frames, nothing on stdout. */
export function expectUsageError(r: CliResult, pattern: RegExp): void {
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^meshsim: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
