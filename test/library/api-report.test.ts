/**
 * The public API report (docs/api.md) is current: it lists every name each package entry point
 * exports. Goal: a change to the public surface shows in review as a change to docs/api.md.
 * Method: regenerate the report with the TypeScript compiler and compare it with the file.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

describe('docs/api.md', () => {
  it('matches the exports of every entry point (run `node scripts/api-report.mjs --write` after an API change)', () => {
    const now = spawnSync(process.execPath, [join(ROOT, 'scripts', 'api-report.mjs')], { encoding: 'utf8' });
    expect(now.status, now.stderr).toBe(0);
    expect(now.stdout).toBe(readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8'));
    expect(now.stdout).toContain('- `run` (function)');
  });
});
