/**
 * Settings that work against each other are said before the run (`meshsim run` prints a note on
 * stderr) and change nothing in it. Found by random layouts at 100–400 ms a hop under chaos:
 * Plumtree's LAN graft timeouts (80 ms, then 40 ms) cannot see a Graft answered across a 900 ms
 * round trip, lazy repair gave up thousands of messages a run, and their probes went
 * undelivered; with graft timeouts above the round trip the same runs passed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsAdvice } from '../src/scenario/advice.js';
import { scenarioOf } from './support/scenario-file.js';
import { withChaos } from '../src/catalog/chaos-scenarios.js';
import { cli, requireBuiltCli } from './support/cli.js';

const file = (network?: Record<string, unknown>, plumtree?: Record<string, unknown>) => ({
  name: 'wan',
  topology: { meshes: [{ meshId: 'mesh-a', roles: { compute: 5, broker: 2 } }] },
  durationMs: 5_000,
  ...(network === undefined ? {} : { network }),
  ...(plumtree === undefined ? {} : { node: { plumtree } }),
});

describe('settings advice', () => {
  it('says when the second graft timeout is shorter than a round trip on the link', () => {
    expect(settingsAdvice(scenarioOf(file()))).toEqual([]); // the default link: 30 ms a round trip
    const [note] = settingsAdvice(scenarioOf(file({ latencyMs: 400, jitterMs: 50 })));
    expect(note).toMatch(/^node\.plumtree\.graftTimeout2Ms \(40 ms\) is shorter than a round trip on the network's link \(900 ms\)/);
    expect(settingsAdvice(scenarioOf(file({ latencyMs: 400, jitterMs: 50 }, { graftTimeout1Ms: 1_500, graftTimeout2Ms: 1_000 })))).toEqual([]);
    // The default link's round trip is 2 × (10 + 5) ms: a 20 ms second timeout is short of it.
    expect(settingsAdvice(scenarioOf(file(undefined, { graftTimeout2Ms: 20 })))[0]).toMatch(/\(20 ms\) is shorter than a round trip on the network's link \(30 ms\)/);
  });
});

describe('settings advice: the heal window', () => {
  it('says, under chaos, when the full profile cannot re-merge a split overlay within it', () => {
    const full = (extra: Record<string, unknown>) => withChaos(scenarioOf({ ...file(), profile: 'full', ...extra }), { random: { count: 3 } });
    expect(settingsAdvice(full({}))).toEqual([]); // 60 s against TTL 30 s + seed check 10 s
    // Without chaos nothing splits an overlay: a short window says nothing.
    expect(settingsAdvice(scenarioOf({ ...file(), profile: 'full', healWindowMs: 30_000 }))).toEqual([]);
    expect(settingsAdvice(full({ healWindowMs: 30_000, node: { substrate: { stalenessTtlMs: 60_000 } } }))).toEqual([
      "healWindowMs (30000 ms) is shorter than the staleness TTL + seed check (70000 ms): a split overlay re-merges only once a seed's digest has gone unheard for the TTL, and the window may close first",
    ]);
    // The protocol profile has no digests to miss: nothing to say.
    expect(settingsAdvice(withChaos(scenarioOf({ ...file(), profile: 'protocol', healWindowMs: 30_000, node: { substrate: { stalenessTtlMs: 60_000 } } }), { random: { count: 3 } }))).toEqual([]);
  });
});

describe('meshsim run prints it', () => {
  let dir = '';
  beforeAll(() => {
    requireBuiltCli();
    dir = mkdtempSync(join(tmpdir(), 'meshsim-advice-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('as a note on stderr before the run, and the run goes on', async () => {
    const path = join(dir, 'wan.json');
    writeFileSync(path, JSON.stringify(file({ latencyMs: 400, jitterMs: 50 })));
    const r = await cli('run', '--scenario', path, '--seed', '1');
    expect(r.stderr).toMatch(/^meshsim: note: node\.plumtree\.graftTimeout2Ms \(40 ms\)/m);
    expect(r.stdout).toMatch(/^verdict: /m);
  });

  it('meshsim experiment: one note per point that has it, naming the point', async () => {
    const path = join(dir, 'wan-axis.json');
    writeFileSync(path, JSON.stringify({ base: file(), axes: { 'network.latencyMs': [10, 400] }, seeds: '1..1' }));
    const r = await cli('experiment', path);
    const notes = r.stderr.split('\n').filter((l) => l.startsWith('meshsim: note: '));
    expect(notes).toEqual([expect.stringMatching(/^meshsim: note: point 2: node\.plumtree\.graftTimeout2Ms \(40 ms\) is shorter than a round trip on the network's link \(810 ms\)/)]);
    expect(r.status).toBe(0);
  });
});
