/**
 * Tidy: the deterministic core must not reach for wall clocks, real timers or ambient randomness,
 * and dependencies must point one way (protocol ← sim ← primitives ← cli/report).
 * Method: scan the source text of the core folders, ignoring comments.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The deterministic core, plus the pure adapters over it (reports, property generation).
const CORE_DIRS = ['src/sim', 'src/protocol', 'src/primitives', 'src/mesh', 'src/scenario', 'src/property', 'src/report'];
const BANNED: readonly [RegExp, string][] = [
  [/\bMath\.random\b/, 'Math.random'],
  [/\bDate\.now\b/, 'Date.now'],
  [/\bnew Date\(/, 'new Date()'],
  [/\bperformance\.now\b/, 'performance.now'],
  [/\bsetTimeout\b/, 'setTimeout'],
  [/\bsetInterval\b/, 'setInterval'],
  [/\bsetImmediate\b/, 'setImmediate'],
  [/\bprocess\.hrtime\b/, 'process.hrtime'],
  [/\bcrypto\.random\w*/, 'crypto.random*'],
  [/\b(randomBytes|randomUUID|randomInt|getRandomValues)\b/, 'crypto random function'],
];

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Source with comments blanked out, so prose may name the banned calls. */
function code(path: string): string {
  return readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/\/\/.*$/gm, '');
}

export function findViolations(files: readonly string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const lines = code(file).split('\n');
    lines.forEach((line, i) => {
      for (const [re, what] of BANNED) if (re.test(line)) out.push(`${file}:${i + 1}: ${what}`);
      if (file.startsWith('src/protocol') && /from\s+['"][^'"]*\/sim\//.test(line)) {
        out.push(`${file}:${i + 1}: src/protocol imports from src/sim`);
      }
      if (/from\s+['"][^'"]*\/(cli|report)\//.test(line)) out.push(`${file}:${i + 1}: core imports from cli/report`);
    });
  }
  return out;
}

describe('tidy', () => {
  const files = CORE_DIRS.flatMap(sourceFiles);

  it('finds the core sources', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it('bans nondeterministic calls and wrong-way imports in the deterministic core', () => {
    expect(findViolations(files)).toEqual([]);
  });

  it('the scanner catches what it bans (canary)', () => {
    const canary = 'test/fixtures/tidy-canary.ts.txt';
    expect(findViolations([canary]).length).toBeGreaterThanOrEqual(4);
  });
});
