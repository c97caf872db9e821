/**
 * Large runs and memory (`meshsim run`, `meshsim experiment`). Goal: a run never ends in V8's
 * out-of-memory crash: one that cannot fit on the machine is refused at once (exit 2, one line);
 * one that needs more than Node's default heap runs in a child Node (or worker threads) with a
 * heap sized to the machine, and says so; one whose heap fills up anyway is stopped with one
 * line and exit 4, in a worker thread too.
 * Method: the plan is a pure function held to figures; the CLI is spawned as a user would, with
 * a small heap (NODE_OPTIONS) where the watch must act.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableOf, childEnd, childFlags, HEAP_SHARE, HEAVY_RUN_SEMI_SPACE_MB, heapPlan, heapWatch, heldMessages, LARGE_RUN_SEMI_SPACE_MB, memoryFloorBytes, memoryLimitOf, thisMachine, workerHeapPlan, workerYoungGenerationMb, type HeapSource, type HeapWatch, type Machine } from '../src/cli/memory-guard.js';
import { runOrdered } from '../src/sweep/ordered-pool.js';
import { EXIT_MEMORY, UsageError } from '../src/cli/errors.js';
import { parseScenarioJson } from '../src/scenario/scenario-json.js';
import type { Scenario } from '../src/scenario/scenario.js';
import { expectUsageError, requireBuiltCli, ROOT, type CliResult } from './support/cli.js';

const GB = 1024 ** 3;

function fileJson(gateways: number, profile: 'protocol' | 'full', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: `mem-${profile}-${gateways}`,
    profile,
    topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: gateways } }], bridges: 0, observer: false },
    bootSpacingMs: 0, // every node starts within the run (a file whose boot outlasts it is refused)
    durationMs: 60_000,
    probeIntervalMs: 0,
    ...extra,
  };
}

function scenario(gateways: number, profile: 'protocol' | 'full'): Scenario {
  const parsed = parseScenarioJson(fileJson(gateways, profile));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.scenario;
}

const machine: Machine = { totalMemBytes: 23 * GB, heapLimitBytes: 4.05 * GB, heapChosen: false, youngChosen: false, raised: false };

describe('the plan before a run', () => {
  it('runs small and mid-size runs as they are', () => {
    expect(heapPlan(scenario(18, 'full'), machine)).toEqual({ kind: 'run' });
    expect(heapPlan(scenario(1_999, 'protocol'), machine)).toEqual({ kind: 'run' });
    expect(heapPlan(scenario(200, 'full'), machine)).toEqual({ kind: 'run' });
  });

  it('full-500 (6.0 GB peak at a 16 GB limit) gets a raised limit too', () => {
    const plan = heapPlan(scenario(500, 'full'), machine);
    expect(plan.kind === 'child' && plan.heapMb !== null && plan.semiSpaceMb === null).toBe(true);
  });

  it('raises the heap limit for 60,000 and 100,000 protocol nodes and 1,000 full nodes, within the machine', () => {
    // 100,000 protocol nodes hold ~5 GB live once booted: they fit this machine and must run.
    for (const s of [scenario(60_000, 'protocol'), scenario(100_000, 'protocol'), scenario(1_000, 'full')]) {
      const plan = heapPlan(s, machine);
      expect(plan.kind).toBe('child');
      if (plan.kind !== 'child') continue;
      expect(plan.heapMb! * 1024 * 1024).toBeGreaterThan(machine.heapLimitBytes);
      expect(plan.heapMb! * 1024 * 1024).toBeLessThanOrEqual(HEAP_SHARE * machine.totalMemBytes);
      expect(plan.note).toMatch(/^meshsim: \d+ nodes may need about [\d.]+ GB: running with a heap limit of [\d.]+ GB/);
    }
  });

  it('gives runs of 2,000 nodes and more a larger young generation (said only with a raised limit)', () => {
    expect(LARGE_RUN_SEMI_SPACE_MB).toBeGreaterThan(16); // larger than V8's own
    expect(heapPlan(scenario(2_000, 'protocol'), machine)).toEqual({ kind: 'child', heapMb: null, semiSpaceMb: LARGE_RUN_SEMI_SPACE_MB, youngKept: true, note: null });
    expect(heapPlan(scenario(10_000, 'protocol'), machine)).toEqual({ kind: 'child', heapMb: null, semiSpaceMb: LARGE_RUN_SEMI_SPACE_MB, youngKept: true, note: null });
    // A run expected to need more than Node's default heap keeps the semi-spaces the 10,000-node
    // burst and the 100,000-node moonshot completed with.
    expect(HEAVY_RUN_SEMI_SPACE_MB).toBeLessThan(LARGE_RUN_SEMI_SPACE_MB);
    const both = heapPlan(scenario(60_000, 'protocol'), machine);
    expect(both.kind === 'child' && both.semiSpaceMb).toBe(HEAVY_RUN_SEMI_SPACE_MB);
    expect(both.kind === 'child' && both.note).toMatch(new RegExp(`GB \\(Node's default is [\\d.]+ GB\\) and ${HEAVY_RUN_SEMI_SPACE_MB} MB young-generation semi-spaces \\(16 MB\\)$`));
    // A young generation the user chose stands; a heap limit may still be raised.
    expect(heapPlan(scenario(2_000, 'protocol'), { ...machine, youngChosen: true })).toEqual({ kind: 'run' });
    const chosen = heapPlan(scenario(60_000, 'protocol'), { ...machine, youngChosen: true });
    expect(chosen.kind === 'child' && chosen.semiSpaceMb === null && chosen.heapMb !== null).toBe(true);
  });

  it('starts the child with the limits the plan chose, and only those', () => {
    const plan = heapPlan(scenario(60_000, 'protocol'), machine);
    expect(plan.kind === 'child' && childFlags(plan)).toEqual([
      `--max-old-space-size=${plan.kind === 'child' ? plan.heapMb : 0}`,
      `--max-semi-space-size=${HEAVY_RUN_SEMI_SPACE_MB}`,
      `--min-semi-space-size=${HEAVY_RUN_SEMI_SPACE_MB}`,
    ]);
    // The young generation is kept at its size: V8 would start it at 1 MB and shrink it back there.
    const young = heapPlan(scenario(2_000, 'protocol'), machine);
    expect(young.kind === 'child' && childFlags(young)).toEqual([`--max-semi-space-size=${LARGE_RUN_SEMI_SPACE_MB}`, `--min-semi-space-size=${LARGE_RUN_SEMI_SPACE_MB}`]);
    // Under a small heap limit a user chose, the young generation keeps only its largest size:
    // one scavenge of a full semi-space could promote more than the old generation holds.
    const small = heapPlan(scenario(3_000, 'protocol'), { ...machine, heapChosen: true, heapLimitBytes: 0.14 * GB });
    expect(small.kind === 'child' && childFlags(small)).toEqual([`--max-semi-space-size=${LARGE_RUN_SEMI_SPACE_MB}`]);
    const heapOnly = heapPlan(scenario(60_000, 'protocol'), { ...machine, youngChosen: true });
    expect(heapOnly.kind === 'child' && childFlags(heapOnly)).toEqual([`--max-old-space-size=${heapOnly.kind === 'child' ? heapOnly.heapMb : 0}`]);
  });

  it('leaves a heap limit and young generation the user chose, and never starts a child twice', () => {
    expect(heapPlan(scenario(60_000, 'protocol'), { ...machine, heapChosen: true, youngChosen: true })).toEqual({ kind: 'run' });
    expect(heapPlan(scenario(60_000, 'protocol'), { ...machine, raised: true })).toEqual({ kind: 'run' });
  });

  it('refuses what cannot fit: a million protocol nodes, 100,000 full nodes, 200,000 nodes on an 8 GB machine', () => {
    const refused = (s: Scenario, m: Machine) => {
      const plan = heapPlan(s, m);
      return plan.kind === 'refuse' ? plan.message : `not refused: ${plan.kind}`;
    };
    expect(refused(scenario(1_000_000, 'protocol'), machine)).toMatch(/^1000000 nodes in the protocol profile need at least 34\.4 GB of memory; this machine has 23\.0 GB/);
    expect(refused(scenario(100_000, 'full'), machine)).toMatch(/need at least \d+\.\d GB .* use fewer nodes or "profile": "protocol"$/);
    expect(refused(scenario(200_000, 'protocol'), { ...machine, totalMemBytes: 8 * GB })).toMatch(/this machine has 8\.0 GB/);
  });

  it('floors grow linearly in the protocol profile and quadratically in the full one', () => {
    const p = (n: number) => memoryFloorBytes(scenario(n, 'protocol')) - memoryFloorBytes(scenario(2, 'protocol'));
    const f = (n: number) => memoryFloorBytes(scenario(n, 'full'));
    expect(p(20_002) / p(10_002)).toBeCloseTo(2, 5);
    expect(f(2_000) / f(1_000)).toBeGreaterThan(3.5);
  });

  /** `n` gateways that all broadcast once at the same moment (bench/scenarios/burst-*.json). */
  function burst(n: number): Scenario {
    const parsed = parseScenarioJson(fileJson(n, 'protocol', { workload: [{ kind: 'broadcast', sender: 'all', fromMs: 10_000, count: 1 }] }));
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.scenario;
  }

  it('counts the broadcasts every node holds at once: an all-nodes burst is n² of them', () => {
    expect(heldMessages(scenario(5_000, 'protocol'))).toBe(0);
    expect(heldMessages(burst(5_000))).toBe(5_000);
    const steady = parseScenarioJson(fileJson(10_000, 'protocol', { durationMs: 130_000, workload: [{ kind: 'broadcast', sender: 'random', fromMs: 10_000, everyMs: 1_000, count: 120 }] }));
    if (!steady.ok) throw new Error(steady.error);
    expect(heldMessages(steady.scenario)).toBe(91); // a 90 s id retention at one a second
    const burstBytes = (n: number) => memoryFloorBytes(burst(n)) - memoryFloorBytes(scenario(n, 'protocol'));
    expect(burstBytes(10_000) / burstBytes(5_000)).toBeCloseTo(4, 5);
    expect(burstBytes(5_000)).toBe(25_000_000 * 96); // 25 M deliveries, 96 bytes each at least
  });

  it('an all-nodes burst gets the heap it needs, or is refused at once when the machine cannot hold it', () => {
    // 5,000 nodes fit a default heap without a workload; their burst does not (it filled 4 GB).
    expect(heapPlan(scenario(5_000, 'protocol'), machine)).toEqual({ kind: 'child', heapMb: null, semiSpaceMb: LARGE_RUN_SEMI_SPACE_MB, youngKept: true, note: null });
    const plan = heapPlan(burst(5_000), machine);
    expect(plan.kind === 'child' && plan.heapMb! * 1024 * 1024).toBeGreaterThan(2 * machine.heapLimitBytes);
    // 10,000 nodes' burst: a limit of half the machine, which leaves 30 % of it between the heap
    // and the watch's floor (a fifth left) for the memory outside the heap. At three quarters of
    // the machine its process reached the floor at 88 % of its deliveries (round 27), at 60 % at
    // 92 % (round 32).
    const big = heapPlan(burst(10_000), machine);
    expect(big.kind === 'child' && big.heapMb).toBe(Math.floor((0.5 * 23 * GB) / (1024 * 1024)));
    // A limit below the need it announces says it is the machine's bound; one within it does not.
    expect(big.kind === 'child' && big.note).toMatch(/^meshsim: 10000 nodes may need about [\d.]+ GB: running with a heap limit of 11\.5 GB \(50 % of this machine's 23\.0 GB; Node's default is 4\.0 GB\)/);
    expect(plan.kind === 'child' && plan.note).toMatch(/heap limit of [\d.]+ GB \(Node's default is 4\.0 GB\)/);
    const refused = heapPlan(burst(20_000), machine);
    expect(refused.kind === 'refuse' && refused.message).toMatch(/^20000 nodes in the protocol profile, each holding 20000 broadcast messages at once, need at least \d+\.\d GB of memory; this machine has 23\.0 GB/);
  });
});

describe('the plan before an experiment (one run per worker thread at a time)', () => {
  it('runs small experiments as they are, and keeps a heap limit the user chose', () => {
    expect(workerHeapPlan([scenario(18, 'full'), scenario(200, 'full')], 2, machine)).toEqual({ kind: 'run' });
    expect(workerHeapPlan([scenario(10_000, 'protocol')], 2, { ...machine, heapChosen: true })).toEqual({ kind: 'run' });
  });

  it('gives each worker thread a larger heap when its largest point needs one, within the machine', () => {
    const plan = workerHeapPlan([scenario(1_000, 'protocol'), scenario(60_000, 'protocol')], 2, machine);
    expect(plan.kind).toBe('limit');
    if (plan.kind !== 'limit') return;
    expect(plan.heapMb * 1024 * 1024).toBeGreaterThan(machine.heapLimitBytes);
    expect(2 * plan.heapMb * 1024 * 1024).toBeLessThanOrEqual(HEAP_SHARE * machine.totalMemBytes);
    // 60,000 nodes need more than the machine gives: the limit says it is the machine's bound.
    expect(plan.note).toMatch(/^meshsim: 60000 nodes may need about [\d.]+ GB per run: each of the 2 worker threads gets a heap limit of 5\.8 GB \(50 % of this machine's 23\.0 GB shared by 2 threads\)$/);
    // A point whose need fits within the share gets a limit without it.
    const within = workerHeapPlan([scenario(40_000, 'protocol')], 2, { ...machine, totalMemBytes: 32 * GB });
    expect(within.kind === 'limit' && within.note).toMatch(/^meshsim: 40000 nodes may need about [\d.]+ GB per run: each of the 2 worker threads gets a heap limit of [\d.]+ GB$/);
  });

  it('gives worker threads the young generation of a large run when a point has 2,000 nodes or more', () => {
    expect(workerYoungGenerationMb([scenario(18, 'full'), scenario(1_999, 'protocol')], machine)).toBeNull();
    // Three semi-spaces of a large run's size: what `meshsim run` gives a run of that size.
    expect(workerYoungGenerationMb([scenario(18, 'full'), scenario(2_000, 'protocol')], machine)).toBe(3 * LARGE_RUN_SEMI_SPACE_MB);
    expect(workerYoungGenerationMb([scenario(10_000, 'protocol')], { youngChosen: true })).toBeNull();
  });

  it('a worker thread given that young generation gets 32 MB semi-spaces (V8 reports new space as two of them)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshsim-young-'));
    const file = join(dir, 'young-worker.mjs');
    writeFileSync(
      file,
      `import v8 from 'node:v8';
export default function () {
  let keep = [];
  for (let i = 0; i < 3e6; i++) { keep.push({ a: i, b: [i, i + 1] }); if (keep.length > 200000) keep = []; }
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
}
`,
    );
    const newSpaceMb = async (youngMb?: number): Promise<number> => {
      let out = -1;
      await runOrdered<number, number>({ filename: file, workers: 1, count: 1, taskAt: (k) => k, onResult: (r) => (out = r), ...(youngMb === undefined ? {} : { youngMb }) });
      return out;
    };
    try {
      expect(await newSpaceMb(96)).toBe(64);
      expect(await newSpaceMb()).toBeLessThan(64);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses workers that cannot all fit, naming a worker count that does; and what one run cannot fit', () => {
    const plan = workerHeapPlan([scenario(300_000, 'protocol')], 2, machine);
    expect(plan.kind === 'refuse' ? plan.message : plan.kind).toMatch(/^2 worker threads running 300000 nodes each need at least 2\d\.\d GB of memory together; .*: use --workers 1$/);
    const alone = workerHeapPlan([scenario(18, 'full'), scenario(1_000_000, 'protocol')], 1, machine);
    expect(alone.kind === 'refuse' ? alone.message : alone.kind).toMatch(/^1000000 nodes in the protocol profile need at least 34\.4 GB/);
  });
});

describe('the heap watch during a run', () => {
  /** A wall clock a second later at each call: every progress call below is a look. */
  const ticks = (): (() => number) => {
    let t = 0;
    return () => (t += 1_000);
  };
  const progress = { phase: 'main' as const, virtualMs: 42_000, mainEndMs: 60_000, events: 1, deliveries: { reached: 0, expected: 0 }, pace: 'second' as const };

  /**
   * A source that hands out the given full-collection readings, one batch per progress call (MB of
   * 100), the process's resident MB and what the machine has left (MB), one per call each, and the
   * wall time and collector pauses of each call's window ([wall ms, paused ms], none by default).
   */
  function source(batches: number[][], residentMb: number[] = [], availableMb: number[] = [], pauses: [number, number][] = []): HeapSource & { stopped: boolean; asked: number } {
    const s = {
      stopped: false,
      asked: 0,
      collections: () => {
        const [wallMs, pausedMs] = pauses.shift() ?? [0, 0];
        const afterFull = (batches.shift() ?? []).map((mb) => ({ oldUsed: mb * 1024 ** 2, oldLimit: 100 * 1024 ** 2 }));
        return { afterFull, wallMs, pausedMs };
      },
      resident: () => (residentMb.shift() ?? 0) * 1024 ** 2,
      available: () => {
        s.asked++;
        return (availableMb.shift() ?? Infinity) * 1024 ** 2;
      },
      stop: () => {
        s.stopped = true;
      },
    };
    return s;
  }

  /** The index of the call that stopped the run with a line matching `line` (exit 4), or null when none did. */
  function stopIndex(watch: HeapWatch, calls: number, line: RegExp): number | null {
    for (let i = 0; i < calls; i++) {
      try {
        watch.check(progress);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        expect((e as UsageError).exitCode).toBe(EXIT_MEMORY);
        expect((e as UsageError).message).toMatch(line);
        return i;
      }
    }
    return null;
  }

  const stopsAt = (batches: number[][]): number | null =>
    stopIndex(heapWatch(3_000, { now: ticks(), source: source(batches) }), batches.length, /^out of memory: the heap held \d+ MB of its 100 MB limit at 42 s virtual \(3000 nodes\); the run was stopped\./);

  it('stops the run (exit 4) once two full collections in a row leave the old generation above 85 %', () => {
    expect(stopsAt([[90], [], [88]])).toBe(2);
    expect(stopsAt([[86, 90]])).toBe(0);
  });

  it('a collection below the line starts the count again; calls without a full collection change nothing', () => {
    expect(stopsAt([[90], [80], [90], [], [84], [90]])).toBeNull();
    const s = source([[90]]);
    const watch = heapWatch(10, { now: ticks(), source: s });
    watch.check(progress);
    watch.stop();
    expect(s.stopped).toBe(true);
  });

  it('stops the run (exit 4) once the process holds more than 90 % of the machine, whatever the heap holds', () => {
    const machineBytes = 1_000 * 1024 ** 2;
    const watch = heapWatch(5_000, { now: ticks(), source: source([[10], [20], [30]], [850, 900, 901]), machineBytes });
    expect(watch.liveHeap()).toBeNull(); // no full collection seen yet
    watch.check(progress);
    watch.check(progress); // 90 % exactly: still running
    let stopped: unknown = null;
    try {
      watch.check(progress);
    } catch (e) {
      stopped = e;
    }
    expect(stopped).toBeInstanceOf(UsageError);
    expect((stopped as UsageError).exitCode).toBe(EXIT_MEMORY);
    expect((stopped as UsageError).message).toBe(
      // The stopping look reads memory first: the last full collection seen is the second call's.
      "out of memory: the process held 901 MB of the machine's 1000 MB (20 MB of it live heap at the last full collection) at 42 s virtual (5000 nodes); the run was stopped. Use fewer nodes, or fewer broadcasts at once",
    );
    expect(watch.liveHeap()).toBe(20 * 1024 ** 2);
  });
  it('stops the run (exit 4) once less than 20 % of the machine is left to processes, while it holds more than a quarter', () => {
    const machineBytes = 1_000 * 1024 ** 2;
    // Other programs hold the rest: this process is far below 90 %, the machine is not.
    const s = source([[10], [12], [11], [10]], [200, 300, 300, 300], [250, 200, 199]);
    const watch = heapWatch(10_000, { now: ticks(), source: s, machineBytes });
    watch.check(progress); // holds 20 %: what is left is not asked
    expect(s.asked).toBe(0);
    watch.check(progress); // 250 MB left
    watch.check(progress); // 200 MB left, 20 % exactly: still running
    let stopped: unknown = null;
    try {
      watch.check(progress);
    } catch (e) {
      stopped = e;
    }
    expect(s.asked).toBe(3);
    expect(stopped).toBeInstanceOf(UsageError);
    expect((stopped as UsageError).exitCode).toBe(EXIT_MEMORY);
    expect((stopped as UsageError).message).toBe(
      "out of memory: 199 MB of the machine's 1000 MB was left (this process held 300 MB, 11 MB of it live heap at the last full collection) " +
        'at 42 s virtual (10000 nodes); the run was stopped before the machine ran out. Use fewer nodes or fewer broadcasts at once, or run it with less else running',
    );
  });
  /** The index of the call the near-limit rule stopped, or null (the source takes one of `pauses` per call). */
  const nearStopsAt = (batches: number[][], pauses: [number, number][]): number | null =>
    stopIndex(
      heapWatch(2_000, { now: ticks(), source: source(batches, [], [], pauses) }),
      pauses.length,
      /^out of memory: \d+ full collections in a row each left at least 80 % of the heap's 100 MB limit \(the last \d+ MB\) while the collector took \d+ % of the last [\d.]+ s at 42 s virtual \(2000 nodes\); the run was stopped\. /,
    );
  /** `n` progress windows of 3 s, the collector pausing `share` of each. */
  const windows = (n: number, share: number): [number, number][] => Array.from({ length: n }, () => [3_000, 3_000 * share]);

  it('stops the run (exit 4) at the second full collection in a row leaving 80 % while the collector takes 60 % of the time', () => {
    // V8 itself gives up at the fourth (a 2,000-node burst in a 700 MB heap: 81 %, three quarters of the time).
    const watch = heapWatch(2_000, { now: ticks(), source: source([[81], [81]], [], [], windows(2, 0.74)) });
    watch.check(progress);
    expect(() => watch.check(progress)).toThrow(
      "out of memory: 2 full collections in a row each left at least 80 % of the heap's 100 MB limit (the last 81 MB) while the collector took 74 % " +
        'of the last 6.0 s at 42 s virtual (2000 nodes); the run was stopped. Use fewer nodes or fewer broadcasts at once, or a larger limit: ' +
        'NODE_OPTIONS=--max-old-space-size=<MB>',
    );
    expect(nearStopsAt([[80, 80]], windows(1, 0.6))).toBe(0); // both lines exactly, in one window
    expect(nearStopsAt([[82], [], [], [83]], windows(4, 0.6))).toBe(3); // windows without a full collection count their time
  });

  it('does not stop while the collector leaves the run its time, or a full collection frees more', () => {
    expect(nearStopsAt([[81], [81], [81], [81]], windows(4, 0.59))).toBeNull();
    expect(nearStopsAt([[81], [79], [81]], windows(3, 0.9))).toBeNull(); // one below the line starts the count again
    expect(nearStopsAt([[81, 79, 81]], windows(1, 0.9))).toBeNull(); // so does one in the same window
    expect(nearStopsAt([[79], [79], [79]], windows(3, 1))).toBeNull();
  });

  it("reads the collector's time over the windows of the count's last two collections", () => {
    // A quiet minute with its collection below the line, then two near the limit in busy windows.
    expect(nearStopsAt([[50], [81], [81]], [[60_000, 0], [3_000, 2_400], [3_000, 2_400]])).toBe(2);
    // A quiet minute holding the first of the two counts: the run still had its time then.
    expect(nearStopsAt([[81], [81]], [[60_000, 0], [3_000, 3_000]])).toBeNull();
    // So do windows between them without a full collection.
    expect(nearStopsAt([[81], [], [], [81]], [[3_000, 3_000], [3_000, 0], [3_000, 0], [3_000, 3_000]])).toBeNull();
    // But quiet minutes of earlier collections in the count no longer do (the 2,000-node burst in
    // 700 MB: its collections left 80-83 % for a minute before the collector took the time).
    expect(nearStopsAt([[81], [81], [81], [81]], [[60_000, 0], [60_000, 0], [3_000, 3_000], [3_000, 3_000]])).toBe(3);
    expect(nearStopsAt([[81], [81], [81, 81]], [[60_000, 0], [60_000, 0], [3_000, 3_000]])).toBe(2);
    // A count that ended leaves its windows behind.
    expect(nearStopsAt([[81], [79], [81], [81]], [[60_000, 0], [3_000, 3_000], [3_000, 2_400], [3_000, 2_400]])).toBe(3);
  });

  it('looks at most every 100 ms of wall time: calls between are free', () => {
    let nowMs = 0;
    const s = source([[90], [90], [90]], [1, 1, 1, 1]);
    let looks = 0;
    const counted: HeapSource = { ...s, resident: () => (looks++, s.resident()) };
    const watch = heapWatch(3_000, { now: () => nowMs, source: counted });
    watch.check(progress); // the first call looks
    nowMs = 99.9;
    watch.check(progress);
    expect(looks).toBe(1);
    nowMs = 100;
    expect(() => watch.check(progress)).toThrow(/^out of memory: the heap held 90 MB/); // the second look: two collections at 90 %
    expect(looks).toBe(2);
  });
  it("words the watch's stop as the container's", () => {
    const watch = heapWatch(5_000, { now: ticks(), source: source([[10]], [901]), machineBytes: 1_000 * 1024 ** 2, contained: true });
    expect(() => watch.check(progress)).toThrow("out of memory: the process held 901 MB of its container's 1000 MB at 42 s virtual (5000 nodes)");
  });
  it('says how far the broadcasts sent so far got, once there are any', () => {
    const machineBytes = 1_000 * 1024 ** 2;
    const burst = { ...progress, deliveries: { reached: 16_780_000, expected: 100_000_000 } };
    const watch = heapWatch(10_000, { now: ticks(), source: source([[10]], [300], [199]), machineBytes });
    expect(() => watch.check(burst)).toThrow(
      "out of memory: 199 MB of the machine's 1000 MB was left (this process held 300 MB) at 42 s virtual " +
        '(10000 nodes, 16.78 M of 100.00 M deliveries made (16 %)); the run was stopped before the machine ran out.',
    );
    const heap = heapWatch(3_000, { now: ticks(), source: source([[90], [90]]) });
    heap.check({ ...progress, deliveries: { reached: 999_999, expected: 1_000_000 } });
    expect(() => heap.check({ ...progress, deliveries: { reached: 999_999, expected: 1_000_000 } })).toThrow(
      'out of memory: the heap held 90 MB of its 100 MB limit at 42 s virtual (3000 nodes, 1.00 M of 1.00 M deliveries made (99 %)); the run was stopped.',
    );
  });
});

describe('a container with a memory limit', () => {
  const machine = 25 * GB;
  it("counts on the container's limit when it is below the machine's memory, else on the machine", () => {
    expect(memoryLimitOf(machine, 1.5 * GB)).toBe(1.5 * GB);
    expect(memoryLimitOf(machine, 2 ** 64)).toBe(machine); // cgroup v1 without a limit
    expect(memoryLimitOf(machine, 0)).toBe(machine); // no constraint known
    expect(memoryLimitOf(machine, undefined)).toBe(machine);
    expect(memoryLimitOf(machine, machine)).toBe(machine);
  });

  it("leaves a contained process no more than its limit less what it holds, or what the machine has if less", () => {
    expect(availableOf(10 * GB, machine, machine, 3 * GB)).toBe(10 * GB); // no container: the machine's answer
    expect(availableOf(10 * GB, machine, 1.5 * GB, 1.2 * GB)).toBeCloseTo(0.3 * GB);
    expect(availableOf(0.1 * GB, machine, 1.5 * GB, 1.2 * GB)).toBe(0.1 * GB);
    expect(availableOf(10 * GB, machine, 1.5 * GB, 1.6 * GB)).toBe(0);
  });

  it("plans and words a refusal against the container's limit", () => {
    const contained: Machine = { totalMemBytes: 1.5 * GB, contained: true, heapLimitBytes: 0.75 * GB, heapChosen: false, youngChosen: false, raised: false };
    const plan = heapPlan(scenario(50_000, 'protocol'), contained);
    expect(plan.kind === 'refuse' && plan.message).toMatch(/need at least 1\.8 GB of memory; this machine's container has 1\.5 GB \(a run may use 1\.1 GB\): use fewer nodes$/);
  });
});

describe('the end of a run in a raised-heap child', () => {
  it('a child killed by SIGKILL or SIGABRT ran out of memory: exit 4 and one line; other ends pass through', () => {
    expect(childEnd(0, null)).toEqual({ code: 0, line: null });
    expect(childEnd(4, null)).toEqual({ code: 4, line: null });
    for (const signal of ['SIGKILL', 'SIGABRT'] as const) {
      const end = childEnd(null, signal);
      expect(end.code).toBe(EXIT_MEMORY);
      expect(end.line).toMatch(new RegExp(`^meshsim: out of memory: the run's process was ended by ${signal} \\(`));
    }
    expect(childEnd(null, 'SIGINT')).toEqual({ code: 130, line: null });
    expect(childEnd(null, 'SIGTERM')).toEqual({ code: 143, line: null });
  });
});

describe('the CLI with large scenario files', () => {
  let dir: string;
  beforeAll(() => {
    requireBuiltCli();
    dir = mkdtempSync(join(tmpdir(), 'meshsim-memory-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function meshsim(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(process.execPath, [join(ROOT, 'bin', 'meshsim.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 110_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
        resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
      });
    });
  }

  function run(file: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    return meshsim(['run', '--scenario', file, '--seed', '1', ...args], env);
  }

  function write(name: string, json: unknown): string {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(json));
    return file;
  }

  it("reads the young generation as the user's choice from any of its flags, on the command line or in NODE_OPTIONS", async () => {
    // thisMachine() of a Node started with each flag Node 20 takes: a user's own young generation is left as given.
    const machineOf = (args: string[], env: Record<string, string> = {}): Promise<{ youngChosen: boolean; heapChosen: boolean }> => new Promise((resolve, reject) => {
      const script = `import(${JSON.stringify(join(ROOT, 'dist', 'src', 'cli', 'memory-guard.js'))}).then((m) => console.log(JSON.stringify(m.thisMachine())))`;
      execFile(process.execPath, [...args, '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', ...env } }, (error, stdout) => (error === null ? resolve(JSON.parse(stdout)) : reject(error)));
    });
    expect(await machineOf([])).toMatchObject({ youngChosen: false, heapChosen: false });
    for (const flag of ['--min-semi-space-size=16', '--max-semi-space-size=16']) {
      expect(await machineOf([flag]), flag).toMatchObject({ youngChosen: true, heapChosen: false });
    }
    expect(await machineOf([], { NODE_OPTIONS: '--max-semi-space-size=16' })).toMatchObject({ youngChosen: true });
    expect(await machineOf(['--max-old-space-size=512'])).toMatchObject({ youngChosen: false, heapChosen: true });
  }, 60_000);

  it('a million protocol nodes are refused before anything runs', async () => {
    const r = await run(write('million.json', fileJson(1_000_000, 'protocol')), []);
    expectUsageError(r, /1000000 nodes in the protocol profile need at least 34\.4 GB of memory; this machine has/);
  });

  it('a heap that fills up stops the run with one line and exit 4, not a crash', async () => {
    // 3,000 nodes booting 50 ms apart grow the heap as they start: 96 MB of old generation fill
    // at about 96 virtual s. (160 MB used to fill at about 45 s, where V8 itself failed at about
    // 50 s; since joins go through one seed at a time, 160 MB hold the whole boot.)
    const file = write('filling.json', fileJson(3_000, 'protocol', { bootSpacingMs: 50, durationMs: 150_000 }));
    const r = await run(file, ['--json'], { NODE_OPTIONS: '--max-old-space-size=96' });
    expect(r.status, r.stderr).toBe(EXIT_MEMORY);
    expect(r.stdout).toBe('');
    // Which of the two heap rules stops it first depends on the collector's timing.
    expect(r.stderr).toMatch(
      /^meshsim: out of memory: (the heap held \d+ MB of its \d+ MB limit|\d+ full collections in a row each left at least 80 % of the heap's \d+ MB limit \(the last \d+ MB\) while the collector took \d+ % of the last [\d.]+ s) at \d+ s virtual \(3000 nodes\); the run was stopped\. /,
    );
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  }, 120_000);

  it('an experiment whose worker thread fills its heap stops with one line and exit 4, not an internal error', async () => {
    // 1,500 nodes booting 5 ms apart outgrow a 48 MB heap within a few virtual seconds.
    const base = fileJson(1_500, 'protocol', { bootSpacingMs: 5 });
    const file = write('experiment.json', { name: 'filling', base, axes: {}, seeds: '1..1' });
    const r = await meshsim(['experiment', file, '--workers', '1'], { NODE_OPTIONS: '--max-old-space-size=48' });
    expect(r.status, r.stderr).toBe(EXIT_MEMORY);
    expect(r.stderr).toMatch(/^meshsim: out of memory: point 1 seed 1 filled the heap of its worker thread; stopped\. /);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  }, 120_000);

  it('a sweep whose worker thread fills its heap stops with one line and exit 4 too', async () => {
    // Twenty virtual minutes of the default scenario outgrow a 20 MB heap within a second or two.
    // (A 12 MB heap was too close to the ~11 MB the main thread itself needs to start: now and
    // then the main thread ran out first, in V8's own crash.)
    const r = await meshsim(['sweep', '--scenario', 'default', '--seeds', '1..1', '--workers', '1', '--duration', '20m'], { NODE_OPTIONS: '--max-old-space-size=20' });
    expect(r.status, r.stderr).toBe(EXIT_MEMORY);
    expect(r.stderr).toMatch(/^meshsim: out of memory: seed 1 filled the heap of its worker thread; stopped\. /);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  }, 120_000);

  it('a run that needs more than the default heap runs in a child Node with a larger one, and says so', async () => {
    // 550 full-profile nodes started at once, 2 virtual s: a floor of about 1.1 GB, most of it
    // the digest table every node holds of every other.
    const json = fileJson(550, 'full', { durationMs: 1_000, healWindowMs: 1_000 });
    const parsed = parseScenarioJson(json);
    if (!parsed.ok) throw new Error(parsed.error);
    const plan = heapPlan(parsed.scenario, { ...thisMachine(), heapChosen: false, youngChosen: false, raised: false });
    const r = await run(write('big.json', json), [], { NODE_OPTIONS: '' });
    if (plan.kind === 'refuse') {
      expectUsageError(r, /550 nodes in the full profile need at least/);
      return;
    }
    expect(plan.kind).toBe('child');
    expect(r.stderr).toMatch(/^meshsim: 550 nodes may need about [\d.]+ GB: running with a heap limit of [\d.]+ GB/);
    expect(r.stdout).toMatch(/^verdict: (PASS|FAIL)/m);
    expect([0, 1]).toContain(r.status);
  }, 120_000);
});
