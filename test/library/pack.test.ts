/**
 * meshsim as a library (SPEC §10.6). Goal: the packed tarball installs into a project of its
 * own and works there: `import { run } from 'meshsim'` gives the same trace digest as the CLI
 * for the same scenario and seed, and the example consumer's tests (a custom scenario, a
 * fast-check property over a workload, the protocol machines alone, its own flooding node
 * logic run through fault primitives) pass. Method: `npm pack`,
 * install the tarball into a temporary copy of examples/consumer offline (from the npm cache
 * the project's own install filled), run its tests with node's test runner; publint and attw
 * check the package's exports and types.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, requireBuiltCli } from '../support/cli.js';

describe('the packed package in a consumer project', () => {
  requireBuiltCli();
  const dir = mkdtempSync(join(tmpdir(), 'meshsim-consumer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // --ignore-scripts: the tarball is packed from the dist/ the suite already built.
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, stdio: 'pipe' });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
  renameSync(join(dir, tarball), join(dir, 'meshsim.tgz'));
  const project = join(dir, 'consumer');
  cpSync(join(ROOT, 'examples', 'consumer'), project, { recursive: true });
  const install = spawnSync('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: project, encoding: 'utf8' });

  it('installs offline from the tarball', () => {
    expect(install.status, install.stderr).toBe(0);
  });

  it("import { run } from 'meshsim' gives the CLI's trace digest", () => {
    const script = "import { run } from 'meshsim'; const r = run({ seed: 42, durationMs: 10000 }); console.log(r.traceDigest, r.verdict);";
    const lib = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' }).trim();
    const cli = JSON.parse(execFileSync(process.execPath, [join(ROOT, 'bin', 'meshsim.js'), 'run', '--seed', '42', '--duration', '10s', '--json'], { encoding: 'utf8' }));
    expect(lib).toBe(`${cli.traceDigest} ${cli.verdict}`);
  });

  it('a TypeScript consumer reads typed results under --strict, with no casts', () => {
    // examples/consumer/typed/results.mts: metrics, traffic, evictions and the chaos log as
    // the package's types give them (they were `unknown`, and the README's reading did not compile).
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--outDir', 'typed-out', 'typed/results.mts'];
    const compiled = spawnSync(process.execPath, [tsc, ...args], { cwd: project, encoding: 'utf8' });
    expect(compiled.status, compiled.stdout + compiled.stderr).toBe(0);
    const out = JSON.parse(execFileSync(process.execPath, [join(project, 'typed-out', 'results.mjs')], { cwd: project, encoding: 'utf8' }));
    expect(out.verdict).toBe('pass');
    expect(out.reliability).toBeGreaterThan(0);
    expect(out.reliability).toBeLessThanOrEqual(1);
    expect(out.gossipBytes).toBe(true);
    expect(out.chaos).toHaveLength(2);
    for (const e of out.chaos) expect(e).toMatch(/^[a-z_]+:passed$/);
  });

  it('publint and attw (ESM-only profile) find no problem in the package', () => {
    const bin = (name: string): string => join(ROOT, 'node_modules', '.bin', name);
    const publint = spawnSync(bin('publint'), ['--pack', 'false', '--strict'], { cwd: ROOT, encoding: 'utf8' });
    expect(publint.status, publint.stdout + publint.stderr).toBe(0);
    const attw = spawnSync(bin('attw'), [join(dir, 'meshsim.tgz'), '--profile', 'esm-only', '--format', 'ascii'], { cwd: ROOT, encoding: 'utf8' });
    expect(attw.status, attw.stdout + attw.stderr).toBe(0);
  });

  it("the example consumer's tests pass against the tarball", () => {
    const tests = spawnSync('npm', ['test'], { cwd: project, encoding: 'utf8' });
    expect(tests.status, tests.stdout + tests.stderr).toBe(0);
    expect(tests.stdout).toMatch(/# fail 0/);
    // Its own node logic ran on the simulated world, through the fault primitives.
    expect(tests.stdout).toMatch(/ok \d+ - through kill, partition, loss, wedge and a full disk/);
  });
});
