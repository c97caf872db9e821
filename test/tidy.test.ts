/**
 * Tidy: the deterministic core must not reach for wall clocks, real timers or ambient randomness,
 * and every import between rooms of src/ points one way, down the layer order below.
 * Method: scan the source text (comments blanked out); canaries prove both scans can fail.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The deterministic core, plus the pure adapters over it (reports, property generation).
const CORE_DIRS = ['src/sim', 'src/protocol', 'src/primitives', 'src/mesh', 'src/scenario', 'src/catalog', 'src/apps', 'src/property', 'src/report'];

/**
 * The rooms of src/ from the ground up. A room may import only from rooms of a lower rank:
 * the pure protocol and input readers; the simulated world; the node substrate; the harness
 * (clusters, runner, checks, scenario files); chaos primitives; the catalogue of named
 * scenarios and the harness for node applications users bring; the adapters and runners over finished runs; experiments; the command line; the
 * public library surface.
 */
export const LAYERS: Readonly<Record<string, number>> = {
  protocol: 0, io: 0,
  sim: 1,
  mesh: 2,
  scenario: 3,
  primitives: 4,
  catalog: 5, apps: 5,
  property: 6, report: 6, sweep: 6,
  experiment: 7,
  cli: 8,
  api: 9,
};

/** Wrong-way imports in `text`, read as the source of `path` (a path under src/). */
export function layerViolations(path: string, text: string): string[] {
  const from = path.split('/')[1];
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /from\s+['"](\.{1,2}\/[^'"]+)['"]/.exec(line);
    if (m === null) return;
    const target = join(dirname(path), m[1]).split('/');
    if (target[0] !== 'src' || target[1] === from) return;
    const to = target[1];
    const ok = LAYERS[from] !== undefined && LAYERS[to] !== undefined && LAYERS[to] < LAYERS[from];
    if (!ok) out.push(`${path}:${i + 1}: ${from} (rank ${LAYERS[from] ?? '?'}) imports ${to} (rank ${LAYERS[to] ?? '?'})`);
  });
  return out;
}
/**
 * Chaos primitives see a narrow world (src/primitives/types.ts: levers and the span query), not
 * the cluster: only the engine and the adapter that builds the world may import the modules
 * that hold clusters, hosts, applications, the network or the scheduler.
 */
const CLUSTER_MODULES = ['scenario/cluster', 'scenario/runner', 'scenario/scenario', 'mesh/node', 'sim/node-host', 'sim/network/network', 'sim/scheduler'];
const WORLD_BUILDERS = ['src/primitives/engine.ts', 'src/primitives/world.ts'];

/** Imports in `text` (the source of `path`) by which a primitive could reach the cluster. */
export function clusterReaches(path: string, text: string): string[] {
  if (!path.startsWith('src/primitives/') || WORLD_BUILDERS.includes(path)) return [];
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /from\s+['"](\.{1,2}\/[^'"]+)['"]/.exec(line);
    if (m === null) return;
    const target = join(dirname(path), m[1]).replace(/^src\//, '').replace(/\.js$/, '');
    if (CLUSTER_MODULES.includes(target)) out.push(`${path}:${i + 1}: a primitive imports ${target} (use the ChaosWorld levers)`);
  });
  return out;
}

/** The one file that turns replay data into a command line. */
const REPLAY_LINE_HOME = 'src/cli/replay-line.ts';

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

  it('every import between rooms of src/ points down the layer order', () => {
    const all = sourceFiles('src');
    expect(all.length).toBeGreaterThan(100);
    for (const file of all) expect(file.split('/')[1] in LAYERS, `${file}: room missing from LAYERS`).toBe(true);
    expect(all.flatMap((file) => layerViolations(file, code(file)))).toEqual([]);
  });

  it('the layer check catches wrong-way imports (canary)', () => {
    const canary = code('test/fixtures/layer-canary.ts.txt');
    expect(layerViolations('src/protocol/canary.ts', canary)).toHaveLength(4);
    // The same imports are fine from the top room.
    expect(layerViolations('src/api/canary.ts', canary)).toEqual([]);
  });

  it('primitives cannot reach the cluster: only the engine and world.ts import it', () => {
    const primitives = sourceFiles('src/primitives');
    expect(primitives.length).toBeGreaterThan(10);
    expect(primitives.flatMap((file) => clusterReaches(file, code(file)))).toEqual([]);
  });

  it('the cluster check catches a primitive that imports it (canary)', () => {
    const canary = code('test/fixtures/cluster-canary.ts.txt');
    expect(clusterReaches('src/primitives/canary.ts', canary)).toHaveLength(3);
    expect(clusterReaches('src/primitives/world.ts', canary)).toEqual([]);
  });

  it('only the CLI spells replay command lines (src/cli/replay-line.ts); lower layers return replay data', () => {
    const spelled = sourceFiles('src').filter((file) => file !== REPLAY_LINE_HOME && /npx meshsim/.test(code(file)));
    expect(spelled).toEqual([]);
    expect(/npx meshsim/.test(code(REPLAY_LINE_HOME)), 'canary: the home itself spells them').toBe(true);
  });

  it('the scanner catches what it bans (canary)', () => {
    const canary = 'test/fixtures/tidy-canary.ts.txt';
    expect(findViolations([canary]).length).toBeGreaterThanOrEqual(4);
  });
});
