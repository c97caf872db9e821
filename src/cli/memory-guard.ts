/**
 * Memory for large runs (`meshsim run`, and `meshsim experiment`'s worker threads): a run never
 * ends in V8's out-of-memory crash.
 *
 * - Before the run, a lower bound of what the scenario needs, from measured per-node figures
 *   (protocol profile: linear in nodes; full profile: the digest gossip is Θ(n²)), is held
 *   against the machine: a run that cannot fit is refused at once with one line (exit 2).
 * - A run likely to need more than Node's default heap limit (about 4 GB on a 64-bit machine,
 *   whatever its memory) runs in a child Node with a heap limit sized to the machine, and says
 *   so on stderr, unless the user set `--max-old-space-size` (then their limit stands).
 * - A run of LARGE_RUN_NODES nodes or more runs in a child Node with a larger young generation
 *   (`--max-semi-space-size`), unless the user chose one: with the default one, the collector
 *   took ~8 % of a 2,000-node run's main thread and ~11 % of a 10,000-node one after the boot
 *   (docs/performance.md, round 11). Its young generation is also kept at that size
 *   (`--min-semi-space-size`): see `youngGenerationFlags`.
 * - During the run, V8's record of its full collections is read at progress calls (once per
 *   virtual second, and every PROGRESS_EVERY_EVENTS = 4,096 events: an all-nodes burst fills
 *   the heap within one virtual second), at most every LOOK_EVERY_MS = 100 ms of wall time.
 *   Once two in a row leave the old generation above 85 % of its limit, the run stops with one
 *   line and exit 4 instead of crashing. 4,096 events that fill the last 15 % can still reach
 *   V8's limit first: only with a heap far too small for the run (a 600-node burst keeping every
 *   span in a 128 MB heap did; with 96 or 200 MB it stopped).
 *   At the same calls, the process's resident memory is held against the machine's: memory
 *   outside V8's heap (array buffers: frames in flight, copies) is under no heap limit, and a
 *   5,000-node burst's RSS passed its 13 GB heap limit by 4.7 GB (docs/performance.md, round
 *   19). Above 90 % of the machine, the run stops the same way, before the system kills it.
 *   Full collections that free too little to go on with (V8's own rule for giving up, met
 *   earlier) stop the run the same way (NEAR_SHARE).
 * - Inside a container with a memory limit below the machine's memory (a cgroup), "the machine"
 *   above is that limit: the plan, the heap limit and the watch all count on what the container
 *   allows, not on what the machine has (`memoryLimitOf`). What is left there is the limit less
 *   what the whole container holds, read from its cgroup (`cgroup-memory.ts`): other processes
 *   in it (test workers, a second run) count too.
 *
 * It reads the machine (memory, heap statistics), so it lives in the CLI, never in the core; it
 * cannot change a run's trace, only stop it.
 */
import { spawnSync } from 'node:child_process';
import { constants, freemem, totalmem } from 'node:os';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { PLUMTREE_DEFAULTS } from '../protocol/plumtree-types.js';
import type { Scenario } from '../scenario/scenario.js';
import type { DeliveryProgress } from '../scenario/metrics.js';
import type { RunProgress } from '../scenario/runner.js';
import { nodeCount } from '../scenario/topology.js';
import { sendersAtOnce } from '../scenario/workload.js';
import { cgroupMemoryInUse, memoryCgroup } from './cgroup-memory.js';
import { EXIT_MEMORY, fail, UsageError } from './errors.js';

const MB = 1024 * 1024;
const GB = 1024 * MB;

/**
 * Lower bounds per node, from docs/performance.md.
 * - protocol: the live heap and external memory after a full collection. Since joins go
 *   through one seed at a time (round 14): 45.4 KB per node at 2,000 nodes 20 virtual s after
 *   the boot, 38.2 KB at 5,000 nodes 10 s after it (round 13, with two seeds per join: 53 KB
 *   at 2,000, ~49 KB per started node late in the boot of 100,000). Peak RSS is several times
 *   that (V8 lets garbage build up under a large heap limit), so it is no floor: the former
 *   floor of 200 KB per node, taken from protocol-10k's peak RSS, refused 100,000 nodes on a
 *   24 GB machine that holds their live heap twice over.
 * - full: full-200 peaked at ~6 MB per node, full-500 at 6.0 GB (~24 KB per node pair) and
 *   full-1000 passed 5.8 GB (~5.8 KB per node pair) while running.
 * They are floors on purpose: a run they refuse could not have fitted.
 */
const PROTOCOL_BYTES_PER_NODE = 36 * 1024;
/**
 * Each node holds each message it delivered for a while: Plumtree's received id (90 s) and
 * cached Gossip (30 s), and the node's own record of delivered ids. A 2,000-node all-nodes
 * burst (4 M deliveries) held 149 bytes of live heap per delivery after a full collection
 * (docs/performance.md, round 18), 85 since round 20; at the burst's peak, with its packets,
 * timers and pending grafts in flight, 230 (sampled; 316 before round 20's last two changes).
 * Since round 27 (`node dist/bench/main.js burst-memory`: live heap and array buffers at the
 * peak, less the booted cluster's) 114.6 at 2,000 nodes and 110.1 at 3,000, falling as about
 * n^−0.1 (~98 at 10,000). 96 is a floor of the peak (128 was, until round 27's smaller tables
 * went under it). The per-node figures above were measured with one broadcast a second; a
 * burst, where every node holds every message at once, is n² of these.
 */
const BYTES_PER_HELD_MESSAGE = 96;
const FULL_BYTES_PER_NODE = 300 * 1024;
const FULL_BYTES_PER_NODE_PAIR = 3 * 1024;
/** What the run itself costs beyond its nodes (code, scheduler, telemetry). */
const BASE_BYTES = 100 * MB;
/**
 * The floor times this is the expected need. protocol: a boot can hold about twice the steady
 * live heap (connections inside their unused grace, closed ones still referenced by their
 * peers): a 2,000-node boot held 145 MB live at 1,600 nodes started, against 101 MB once
 * booted.
 * full: full-500 × 60 s peaked at 6.0 GB against a 1.0 GB floor (its heap limit was 16 GB, so
 * part of that is garbage V8 had no reason to collect yet).
 */
const EXPECTED_OVER_FLOOR = { protocol: 2, full: 4 } as const;
/** Share of the machine's memory a run may plan to use: its heap and the memory outside it. */
const MACHINE_SHARE = 0.75;
/**
 * Share of the machine's memory a raised heap limit may take. The watch stops a run once less
 * than AVAILABLE_FLOOR_SHARE of the machine is left, and memory outside V8's heap sits on top of
 * the heap: the young generation (384 MB for a large run), code, and array buffers (a third of a
 * burst's live peak, docs/performance.md round 26). With the limit at MACHINE_SHARE (17.7 GB of
 * 23.5), a 10,000-node burst held 17.9 GB at 88 % of its deliveries and was stopped by the watch
 * (round 27) although its live peak projects to ~9.5 GB: V8 had no reason to collect before the
 * process reached the floor. At 60 % of the machine (14.1 GB) the same burst was stopped at 92 %
 * holding 17.9 GB (round 32): V8 keeps free space in the pages it committed, so a large heap
 * comes to hold its limit whatever is live (14.4 GB committed, 6.6 GB live at 90 %), and the
 * array buffers (3.7 GB: frames in flight) and the young generation come on top. At half the
 * machine (11.8 GB) the heap still comes to hold its limit, with its live peak near 55 % of it,
 * but the process stays under the floor: 15.8 GiB at most (docs/performance.md, round 33). The
 * refusal rule stays at MACHINE_SHARE.
 */
export const HEAP_SHARE = 0.5;
/** Environment marker of the child Node started with a raised heap limit or young generation. */
const RAISED_ENV = 'MESHSIM_HEAP_RAISED';
/** V8's default largest semi-space on 64-bit machines, MB. */
const SEMI_SPACE_MB_DEFAULT = 16;
/** V8 sizes a young generation as three semi-spaces: two, plus the space for new large objects. */
const YOUNG_GENERATION_PER_SEMI_SPACE = 3;
/**
 * From this many nodes a run gets LARGE_RUN_SEMI_SPACE_MB semi-spaces. A semi-space fills after
 * a fixed number of bytes, which a large run allocates in less virtual time, so more of its
 * short-lived objects (packets in flight, timers) outlive a scavenge and are copied, then
 * promoted. Measured side by side (docs/performance.md), protocol-10k: round 11, 32 MB against
 * V8's 16 MB, CPU 0.96 (64 MB then peaked at 3.9 GB, too close to the issue's 4 GB); round 19,
 * with the run's heap down to 1.8 GB, CPU 265.6, 260.4 s at 32 MB, 229.8, 216.8 s at 64 MB,
 * 194.9 s at 128 MB and 197.6 s at 256 MB; peak RSS 1.79, 1.84, 1.92 and 2.17 GB. Round 38,
 * with fewer objects made per event since, 256 MB against 128 MB, alternating runs (wall s):
 * protocol-10k 95.4, 101.4 against 102.8, 109.4 (0.93; peak RSS 2.1 against 1.84 GB), the same
 * 10,000 nodes booted at once 85.0, 80.0 against 89.2, 87.8 (0.93), 5,000 at once 32.7, 34.5
 * against 34.8, 36.6 (0.94), 2,000 at once 10.0, 9.7, 10.0 against 11.0, 10.4, 10.4 (0.96; 0.93
 * against 0.70 GB).
 */
export const LARGE_RUN_NODES = 2_000;
export const LARGE_RUN_SEMI_SPACE_MB = 256;
/**
 * A large run expected to need more than HEAVY_RUN_BYTES (more than Node's default heap on a
 * machine of over 16 GB: the 10,000-node all-nodes burst, the 100,000-node moonshot) keeps
 * HEAVY_RUN_SEMI_SPACE_MB, with which both ran to completion within the memory watch (rounds 35
 * and 38): its young generation comes out of a heap sized to the machine, and 256 MB was not
 * measured there.
 */
export const HEAVY_RUN_SEMI_SPACE_MB = 128;
const HEAVY_RUN_BYTES = 4 * GB;
/**
 * Young generations a heap limit must hold for the young generation to be kept at its size
 * (`youngGenerationFlags`): 4 of 768 MB, 3 GB, under Node's default limit of 4 GB on a machine of
 * more than 16 GB.
 */
const YOUNG_KEPT_HEAP_GENERATIONS = 4;

export function memoryFloorBytes(scenario: Scenario): number {
  const n = nodeCount(scenario.topology);
  const held = n * heldMessages(scenario) * BYTES_PER_HELD_MESSAGE;
  if (scenario.profile === 'protocol') return BASE_BYTES + n * PROTOCOL_BYTES_PER_NODE + held;
  return BASE_BYTES + n * FULL_BYTES_PER_NODE + n * n * FULL_BYTES_PER_NODE_PAIR + held;
}

/**
 * Workload broadcasts every node may hold at once: all of a one-shot entry's messages (with
 * `sender: "all"`, one per node: a burst), and of a repeated one what its rate sends within a
 * received id's retention (never more than the entry sends in all).
 */
export function heldMessages(scenario: Scenario): number {
  const n = nodeCount(scenario.topology);
  const retentionMs = scenario.node?.topic?.plumtree?.messageIdRetentionMs ?? PLUMTREE_DEFAULTS.messageIdRetentionMs;
  let held = 0;
  for (const entry of scenario.workload ?? []) {
    if (entry.kind !== 'broadcast') continue;
    const senders = sendersAtOnce(entry, n);
    const shots = entry.count === 1 ? 1 : Math.min(entry.count, Math.ceil(retentionMs / entry.everyMs) + 1);
    held += senders * shots;
  }
  return held;
}

export type HeapPlan =
  | { readonly kind: 'run' }
  /** Run in a child Node with a larger heap limit (`heapMb`), a larger young generation (`semiSpaceMb`), or both. */
  | {
      readonly kind: 'child';
      readonly heapMb: number | null;
      readonly semiSpaceMb: number | null;
      /** The young generation is kept at `semiSpaceMb` from start to end (`youngGenerationFlags`). */
      readonly youngKept: boolean;
      readonly note: string | null;
    }
  | { readonly kind: 'refuse'; readonly message: string };

export interface Machine {
  /** The memory a run may count on: the machine's, or its container's limit (`memoryLimitOf`). */
  readonly totalMemBytes: number;
  /** `totalMemBytes` is a container's limit, below the machine's memory. */
  readonly contained?: boolean;
  readonly heapLimitBytes: number;
  /** The user chose the heap limit (`--max-old-space-size` in execArgv or NODE_OPTIONS). */
  readonly heapChosen: boolean;
  /** The user chose the young generation's size (`--max-semi-space-size`). */
  readonly youngChosen: boolean;
  /** This process is already the child with a raised limit. */
  readonly raised: boolean;
}

/** What to do before running `scenario` on `machine` (pure: the tests hold it to figures). */
export function heapPlan(scenario: Scenario, machine: Machine): HeapPlan {
  const n = nodeCount(scenario.topology);
  const floor = memoryFloorBytes(scenario);
  const usable = machine.totalMemBytes * MACHINE_SHARE;
  if (floor > usable) {
    return {
      kind: 'refuse',
      message: `${n} nodes in the ${scenario.profile ?? 'full'} profile${heldPhrase(scenario)} need at least ${gb(floor)} GB of memory; ` +
        `${memoryOwner(machine.contained === true)} has ${gb(machine.totalMemBytes)} GB (a run may use ${gb(usable)} GB): use fewer nodes` +
        (scenario.profile === 'protocol' ? '' : ' or "profile": "protocol"'),
    };
  }
  if (machine.raised) return { kind: 'run' };
  const expected = expectedBytes(scenario);
  const heapUsable = machine.totalMemBytes * HEAP_SHARE;
  const heapMb = raisedHeapMb(expected, heapUsable, machine);
  const semiSpaceMb = largeRunSemiSpaceMb(scenario, machine);
  if (heapMb === null && semiSpaceMb === null) return { kind: 'run' };
  // The heap limit is the user's business (it decides what fits), so it is announced; the young
  // generation alone is a speed setting, and the run's output stays as it would be without it.
  const note = heapMb === null
    ? null
    : `meshsim: ${n} nodes may need about ${gb(expected)} GB: running with a heap limit of ${gb(heapMb * MB)} GB (${shareSep(heapShareNote(heapMb, heapUsable, machine, 1))}Node's default is ${gb(machine.heapLimitBytes)} GB)` +
      (semiSpaceMb === null ? '' : ` and ${semiSpaceMb} MB young-generation semi-spaces (${SEMI_SPACE_MB_DEFAULT} MB)`);
  const limitBytes = heapMb === null ? machine.heapLimitBytes : heapMb * MB;
  const youngKept = semiSpaceMb !== null && limitBytes >= YOUNG_KEPT_HEAP_GENERATIONS * YOUNG_GENERATION_PER_SEMI_SPACE * semiSpaceMb * MB;
  return { kind: 'child', heapMb, semiSpaceMb, youngKept, note };
}

/**
 * "60 % of this machine's 23.5 GB" when the heap limit is the most a run gets (HEAP_SHARE),
 * so that a limit below the need just announced reads as the machine's bound, not a mistake;
 * "60 % of this machine's 23.5 GB shared by 2 threads" when `threads` worker threads split it;
 * '' otherwise.
 */
function heapShareNote(heapMb: number, heapUsable: number, machine: Machine, threads: number): string {
  if (heapMb < Math.floor(heapUsable / MB)) return ''; // as raisedHeapMb rounds its cap
  const shared = threads === 1 ? '' : ` shared by ${threads} threads`;
  return `${Math.round(100 * HEAP_SHARE)} % of ${memoryOwner(machine.contained === true)}'s ${gb(machine.totalMemBytes)} GB${shared}`;
}

/** A phrase followed by "; ", or nothing when it is empty. */
function shareSep(phrase: string): string {
  return phrase === '' ? '' : `${phrase}; `;
}

/** ", each holding M broadcast messages at once," when the workload's messages are a tenth of the floor or more. */
function heldPhrase(scenario: Scenario): string {
  const held = heldMessages(scenario);
  const bytes = nodeCount(scenario.topology) * held * BYTES_PER_HELD_MESSAGE;
  return bytes >= 0.1 * memoryFloorBytes(scenario) ? `, each holding ${held} broadcast messages at once,` : '';
}

/**
 * The semi-space size, MB, a run of `scenario` should have (HEAVY_RUN_SEMI_SPACE_MB for a run
 * expected to need more than HEAVY_RUN_BYTES), or null to keep the current one: the run is
 * smaller than LARGE_RUN_NODES, or the user chose a size. The scale bench runs its
 * scenarios with the same flag, so it measures what `meshsim run` does.
 */
export function largeRunSemiSpaceMb(scenario: Scenario, machine: Pick<Machine, 'youngChosen'>): number | null {
  if (nodeCount(scenario.topology) < LARGE_RUN_NODES || machine.youngChosen) return null;
  return expectedBytes(scenario) > HEAVY_RUN_BYTES ? HEAVY_RUN_SEMI_SPACE_MB : LARGE_RUN_SEMI_SPACE_MB;
}

/**
 * The young generation, MB, for worker threads that run `scenarios` (an experiment's points):
 * the semi-spaces `meshsim run` gives a large run, as a worker's
 * `resourceLimits.maxYoungGenerationSizeMb`, or null to keep V8's default (every point is
 * smaller than LARGE_RUN_NODES, or the user chose a size). A worker's limits have no smallest
 * size, so unlike `meshsim run` (`youngGenerationFlags`) a thread's young generation may still
 * shrink near its heap limit. Pure.
 */
export function workerYoungGenerationMb(scenarios: readonly Scenario[], machine: Pick<Machine, 'youngChosen'>): number | null {
  for (const s of scenarios) {
    const semiSpaceMb = largeRunSemiSpaceMb(s, machine);
    if (semiSpaceMb !== null) return YOUNG_GENERATION_PER_SEMI_SPACE * semiSpaceMb;
  }
  return null;
}

/** What a run of `scenario` is expected to need: its floor times the measured overshoot. */
function expectedBytes(scenario: Scenario): number {
  return memoryFloorBytes(scenario) * EXPECTED_OVER_FLOOR[scenario.profile === 'protocol' ? 'protocol' : 'full'];
}

/**
 * The heap limit, MB, for a run expected to need `expected` bytes with `usable` bytes of heap,
 * or null to keep the current limit: the user chose it, the run fits it, or the machine cannot
 * give more.
 */
function raisedHeapMb(expected: number, usable: number, machine: Machine): number | null {
  if (machine.heapChosen || expected <= 0.7 * machine.heapLimitBytes) return null;
  const heapMb = Math.floor(Math.min(usable, Math.max(2 * expected, machine.heapLimitBytes)) / MB);
  return heapMb * MB <= machine.heapLimitBytes ? null : heapMb;
}

export type WorkerHeapPlan =
  | { readonly kind: 'run' }
  | { readonly kind: 'limit'; readonly heapMb: number; readonly note: string }
  | { readonly kind: 'refuse'; readonly message: string };

/**
 * What to do before `workers` worker threads run `scenarios` (an experiment's points), each
 * thread one run at a time: the largest point must fit `workers` times over, or the experiment
 * is refused with the worker count that would fit; threads likely to need more than the default
 * heap get a per-thread limit sized to the machine (unless the user chose one). Pure.
 */
export function workerHeapPlan(scenarios: readonly Scenario[], workers: number, machine: Machine): WorkerHeapPlan {
  if (scenarios.length === 0) return { kind: 'run' };
  let largest = scenarios[0];
  for (const s of scenarios) if (memoryFloorBytes(s) > memoryFloorBytes(largest)) largest = s;
  const alone = heapPlan(largest, { ...machine, heapChosen: true });
  if (alone.kind === 'refuse') return alone;
  const n = nodeCount(largest.topology);
  const floor = memoryFloorBytes(largest);
  const usable = machine.totalMemBytes * MACHINE_SHARE;
  if (workers * floor > usable) {
    return {
      kind: 'refuse',
      message: `${workers} worker threads running ${n} nodes each need at least ${gb(workers * floor)} GB of memory together; ` +
        `${memoryOwner(machine.contained === true)} has ${gb(machine.totalMemBytes)} GB (a run may use ${gb(usable)} GB): use --workers ${Math.max(1, Math.floor(usable / floor))}`,
    };
  }
  const expected = expectedBytes(largest);
  const heapUsable = machine.totalMemBytes * HEAP_SHARE / workers;
  const heapMb = raisedHeapMb(expected, heapUsable, machine);
  if (heapMb === null) return { kind: 'run' };
  const share = heapShareNote(heapMb, heapUsable, machine, workers);
  return {
    kind: 'limit',
    heapMb,
    note: `meshsim: ${n} nodes may need about ${gb(expected)} GB per run: each of the ${workers} worker thread${workers === 1 ? '' : 's'} gets a heap limit of ${gb(heapMb * MB)} GB` +
      (share === '' ? '' : ` (${share})`),
  };
}

/** The V8/Node flags this process runs with, from its command line and NODE_OPTIONS. */
function nodeFlags(): string {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
}

/**
 * The memory a run may count on: the machine's, or its container's limit when that is smaller
 * (a cgroup's, which Node reports as `process.constrainedMemory()`; 0 or a huge number when there
 * is none). Inside a container of 1.5 GB on a 25 GB machine, a burst planned for the machine got
 * a heap limit of 2.6 GB and was killed by the container's out-of-memory killer. Pure.
 */
export function memoryLimitOf(totalBytes: number, constrainedBytes: number | undefined): number {
  return constrainedBytes !== undefined && constrainedBytes > 0 && constrainedBytes < totalBytes ? constrainedBytes : totalBytes;
}

/** This process's `memoryLimitOf`. */
export function machineMemoryBytes(): number {
  return memoryLimitOf(totalmem(), process.constrainedMemory?.());
}

/**
 * Bytes still left to this process: what the machine can give (`freeBytes`), and inside a
 * container no more than its limit less what the container holds (`heldBytes`: its cgroup's
 * working set, every process in it; this process's resident memory when that cannot be read,
 * which errs on the side of running on). Pure.
 */
export function availableOf(freeBytes: number, totalBytes: number, limitBytes: number, heldBytes: number): number {
  return limitBytes < totalBytes ? Math.min(freeBytes, Math.max(0, limitBytes - heldBytes)) : freeBytes;
}

/** Who has the memory a message speaks of. */
function memoryOwner(contained: boolean): string {
  return contained ? "this machine's container" : 'this machine';
}

export function thisMachine(): Machine {
  const flags = nodeFlags();
  const totalMemBytes = machineMemoryBytes();
  return {
    totalMemBytes,
    contained: totalMemBytes < totalmem(),
    heapLimitBytes: getHeapStatistics().heap_size_limit,
    heapChosen: /--max-old-space-size|--max-heap-size/.test(flags),
    youngChosen: /--max-semi-space-size|--min-semi-space-size|--semi-space-size|--max-young-generation-size/.test(flags),
    raised: process.env[RAISED_ENV] === '1',
  };
}

/**
 * Applies the plan: returns null to run here, or the exit code of the child that ran instead.
 * A refusal throws the one-line usage error.
 */
export function guardHeap(scenario: Scenario, machine: Machine = thisMachine()): number | null {
  const plan = heapPlan(scenario, machine);
  if (plan.kind === 'refuse') fail(plan.message);
  if (plan.kind === 'run') return null;
  if (plan.note !== null) process.stderr.write(`${plan.note}\n`);
  const flags = childFlags(plan);
  const child = spawnSync(process.execPath, [...process.execArgv, ...flags, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [RAISED_ENV]: '1' },
  });
  if (child.error !== undefined) fail(`could not start Node with ${flags.join(' ')}: ${child.error.message}`, EXIT_MEMORY);
  const end = childEnd(child.status, child.signal);
  if (end.line !== null) process.stderr.write(`${end.line}\n`);
  return end.code;
}

/** The Node flags the child of a `child` plan starts with. Pure. */
export function childFlags(plan: Extract<HeapPlan, { kind: 'child' }>): string[] {
  return [
    ...(plan.heapMb === null ? [] : [`--max-old-space-size=${plan.heapMb}`]),
    ...(plan.semiSpaceMb === null ? [] : youngGenerationFlags(plan.semiSpaceMb, plan.youngKept)),
  ];
}

/**
 * Node flags for semi-spaces of `semiSpaceMb`, from the start and for the whole run. The
 * largest size alone is not enough: V8 starts the young generation at 1 MB, grows it only while
 * much of it survives, and shrinks it back to where it started when it saves memory, as it does
 * once the old generation nears its limit. Every scavenge then still reads the header of every
 * page of the old generation (the pages with a remembered set are listed first), a walk from one
 * page to the next through memory: near the limit of an 11.8 GB heap, 45,000 pages read at every
 * 0.5 MB allocated, and the 10,000-node burst's main thread spent 70 % of its time there, at
 * 1.2 % of its deliveries in the 8 minutes before the profile, where it made 9.3 % in 8 minutes
 * from 75 % (docs/performance.md, round 33). The young generation is
 * planned at this size anyway (`YOUNG_GENERATION_PER_SEMI_SPACE`). Not `kept` under a heap limit
 * of fewer than YOUNG_KEPT_HEAP_GENERATIONS young generations (a user's small limit): a scavenge
 * of a full semi-space may promote more than a small old generation holds, and V8 then
 * fails before the heap watch can stop the run. Pure.
 */
export function youngGenerationFlags(semiSpaceMb: number, kept = true): string[] {
  return [`--max-semi-space-size=${semiSpaceMb}`, ...(kept ? [`--min-semi-space-size=${semiSpaceMb}`] : [])];
}

/**
 * The exit code for the raised-heap child's end, and the line to add when its end needs one.
 * Ended by SIGKILL (the system's out-of-memory killer) or SIGABRT (V8 or C++ failing to
 * allocate; a 10,000-node burst ended so, docs/performance.md round 23), a large run ran out of
 * memory: exit 4, as when the heap watch stops it, with one line under the child's own. Any
 * other signal exits as a shell would report it (128 + its number). Pure.
 */
export function childEnd(status: number | null, signal: NodeJS.Signals | null): { readonly code: number; readonly line: string | null } {
  if (status !== null) return { code: status, line: null };
  if (signal === 'SIGKILL' || signal === 'SIGABRT') {
    return {
      code: EXIT_MEMORY,
      line: `meshsim: out of memory: the run's process was ended by ${signal} ` +
        `(${signal === 'SIGKILL' ? "likely the system's out-of-memory killer" : 'an allocation failed'}) before the memory watch could stop it. ` +
        'Use fewer nodes or fewer broadcasts at once, or run it with less else running',
    };
  }
  return { code: 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)), line: null };
}

/**
 * The one line (exit 4) for a worker thread V8 stopped because its heap was full (Node reports
 * `ERR_WORKER_OUT_OF_MEMORY`); `what` names the run, e.g. "point 2 seed 7".
 */
export function workerOutOfMemory(what: string, heapMb: number | null): UsageError {
  const limit = heapMb === null ? '' : ` (limit ${size(heapMb * MB)})`;
  return new UsageError(
    `out of memory: ${what} filled the heap of its worker thread${limit}; stopped. ` +
      'Use fewer nodes or --workers, or a larger limit: NODE_OPTIONS=--max-old-space-size=<MB>',
    EXIT_MEMORY,
  );
}

/**
 * Least wall time between two looks of the watch, ms. Progress calls come every virtual second
 * and every 4,096 events, a few hundred times a wall second in a small run; a look (the resident
 * set from /proc, V8's record of its collections) cost about 70 µs, 2.6 % of the 18-node
 * default's CPU time (docs/performance.md, round 26). Ten looks a second still see a heap fill.
 */
const LOOK_EVERY_MS = 100;
/** Share of the old generation's limit that, left after two full collections in a row, stops the run. */
const HIGH_SHARE = 0.85;
const HIGH_COLLECTIONS = 2;
/** Share of the machine's memory that, resident in the process at a progress call, stops the run. */
const RESIDENT_SHARE = 0.9;
/**
 * V8 gives up on its own ("Ineffective mark-compacts near heap limit", a crash with a stack trace
 * and SIGABRT) after four full collections in a row that each leave at least 80 % of the old
 * generation's limit while the collector takes more than 60 % of the time. A 2,000-node burst in
 * a 700 MB heap did so at 84 % of its deliveries: its collections left 570 MB (81 %), under the
 * 85 % line above, and the collector took three quarters of the time (docs/performance.md,
 * round 26). So the run stops at the second such collection in a row: at least NEAR_SHARE of the
 * limit left, and the collector's pauses NEAR_PAUSED_SHARE or more of the wall time of the
 * progress calls' windows the last two fell in, and those between (V8 does not say when in a
 * window each one ran). A full collection that leaves less starts the count again.
 */
const NEAR_SHARE = 0.8;
const NEAR_PAUSED_SHARE = 0.6;
const NEAR_COLLECTIONS = 2;

/** What stops a run at the limit (see NEAR_SHARE). */
interface NearLimitStop {
  readonly count: number;
  readonly last: HeapReading;
  readonly wallMs: number;
  readonly pausedMs: number;
}

/**
 * Counts full collections in a row that leave NEAR_SHARE or more, and keeps the progress calls'
 * windows from the one of the last NEAR_COLLECTIONS of them on (with how many each held).
 */
class NearLimit {
  private count = 0;
  private last: HeapReading | null = null;
  private inWindow = 0;
  private readonly windows: { wallMs: number; pausedMs: number; collections: number }[] = [];

  /** One full collection, in order. */
  see(reading: HeapReading): void {
    if (reading.oldUsed >= NEAR_SHARE * reading.oldLimit) {
      this.count++;
      this.last = reading;
      this.inWindow++;
    } else {
      this.count = this.inWindow = 0;
    }
  }

  /** The window of a progress call ends: what stops the run, or null. */
  endWindow(wallMs: number, pausedMs: number): NearLimitStop | null {
    const collections = this.inWindow;
    this.inWindow = 0;
    if (this.count === 0) return null;
    // A window without such a collection only adds time to the one before (the list stays short).
    const lastWindow = this.windows[this.windows.length - 1];
    if (collections === 0 && lastWindow !== undefined) {
      lastWindow.wallMs += wallMs;
      lastWindow.pausedMs += pausedMs;
    } else {
      this.windows.push({ wallMs, pausedMs, collections });
    }
    // The collector's share is read over the windows of the count's last NEAR_COLLECTIONS
    // collections and those between (V8 weighs its recent collections most).
    let later = this.windows.reduce((sum, w) => sum + w.collections, 0) - this.windows[0].collections;
    while (this.windows.length > 1 && later >= NEAR_COLLECTIONS) {
      this.windows.shift();
      later -= this.windows[0].collections;
    }
    let spanMs = 0;
    let spanPausedMs = 0;
    for (const w of this.windows) {
      spanMs += w.wallMs;
      spanPausedMs += w.pausedMs;
    }
    if (this.count < NEAR_COLLECTIONS || spanMs === 0 || spanPausedMs < NEAR_PAUSED_SHARE * spanMs) return null;
    return { count: this.count, last: this.last!, wallMs: spanMs, pausedMs: spanPausedMs };
  }
}
/**
 * Share of the machine's memory that, when less than that is left to processes (the process
 * holding more than AVAILABLE_WATCH_FROM of it), stops the run. Other programs use the machine
 * too: a 10,000-node burst died of a failed C++ allocation (`std::bad_alloc`, exit 134) holding
 * 19.7 GB of 25.3, below the resident share, while other runs held a few GB beside it
 * (docs/performance.md, round 23). 20 % is set from that one crash, not from a known request size.
 */
const AVAILABLE_FLOOR_SHARE = 0.2;
/** Share of the machine's memory the process must hold before the watch asks what is left (a system call). */
const AVAILABLE_WATCH_FROM = 0.25;

export interface HeapReading {
  /** Bytes used in the old generation (everything but the young generation's spaces). */
  readonly oldUsed: number;
  /** The old generation's limit: the heap limit without the young generation. */
  readonly oldLimit: number;
}

/**
 * What the collector did since the last call: the old generation right after each full
 * collection, and how much of the wall time between the two calls it held the main thread.
 */
export interface Collections {
  readonly afterFull: readonly HeapReading[];
  /** Wall time the window covers, ms. */
  readonly wallMs: number;
  /** Of that, the time the collector's pauses took on the main thread, ms. */
  readonly pausedMs: number;
}

/** A source of readings: what the collector did since the last call, and the memory held and left. */
export interface HeapSource {
  collections(): Collections;
  /** Bytes of the process in memory now (its resident set): the heap and everything outside it. */
  resident(): number;
  /** Bytes the machine can still give to processes (on Linux its MemAvailable: free, or reclaimable). */
  available(): number;
  stop(): void;
}

/**
 * Reads V8's own record of its collections (`v8.GCProfiler`): the old generation left by each
 * full (mark-compact) collection is what is live, so garbage waiting for a collection never
 * counts. V8 fails when the old generation cannot grow, and its heap limit counts the young
 * generation too (160 MB of old space is a 208 MB limit), so the limit is taken without it.
 */
export function v8HeapSource(): HeapSource {
  const semiMb = Number(/--max-semi-space-size[= ](\d+)/.exec(nodeFlags())?.[1] ?? SEMI_SPACE_MB_DEFAULT);
  const oldLimit = getHeapStatistics().heap_size_limit - YOUNG_GENERATION_PER_SEMI_SPACE * semiMb * MB;
  const profiler = new GCProfiler();
  profiler.start();
  // The machine and its container do not change during a run: read them once, not per call.
  const totalBytes = totalmem();
  const limitBytes = machineMemoryBytes();
  const cgroup = limitBytes < totalBytes ? memoryCgroup() : null;
  return {
    collections: () => {
      // Each stop hands over the collections since the last start; the next window starts now.
      const result = profiler.stop() as unknown as GcWindow | undefined;
      profiler.start();
      const afterFull: HeapReading[] = [];
      let pausedMs = 0;
      for (const gc of result?.statistics ?? []) {
        pausedMs += gc.cost / 1000;
        if (gc.gcType === 'MarkSweepCompact') afterFull.push({ oldUsed: oldUsedOf(gc.afterGC), oldLimit });
      }
      const wallMs = result === undefined ? 0 : Math.max(0, result.endTime - result.startTime);
      return { afterFull, wallMs, pausedMs };
    },
    resident: () => process.memoryUsage.rss(),
    available: () => {
      const resident = process.memoryUsage.rss();
      const held = cgroup === null ? null : cgroupMemoryInUse(cgroup);
      return availableOf(freemem(), totalBytes, limitBytes, held === null ? resident : Math.max(held, resident));
    },
    stop: () => {
      profiler.stop();
    },
  };
}

/** The shape `GCProfiler.stop()` returns on Node 20 (camelCase, unlike the bundled types); times in ms since the epoch. */
interface GcWindow {
  readonly startTime: number;
  readonly endTime: number;
  readonly statistics?: readonly GcRecord[];
}

interface GcRecord {
  readonly gcType: string;
  /** The collection's pause on the main thread, µs. */
  readonly cost: number;
  readonly afterGC: {
    readonly heapStatistics: { readonly usedHeapSize: number };
    readonly heapSpaceStatistics: readonly { readonly spaceName: string; readonly spaceUsedSize: number }[];
  };
}

function oldUsedOf(after: GcRecord['afterGC']): number {
  let young = 0;
  for (const space of after.heapSpaceStatistics) {
    if (space.spaceName === 'new_space' || space.spaceName === 'new_large_object_space') young += space.spaceUsedSize;
  }
  return after.heapStatistics.usedHeapSize - young;
}

export interface HeapWatch {
  /** Call with each progress report; throws a `UsageError` (exit 4) to stop the run. */
  check(p: RunProgress): void;
  /**
   * What the last full collection the watch has seen left in the old generation, bytes: the
   * live heap (garbage never counts), or null before the first. Memory outside the heap (array
   * buffers) is not in it: the resident set less this is garbage, buffers and code.
   */
  liveHeap(): number | null;
  stop(): void;
}

/** What the heap watch reads (all default to this process on this machine). */
export interface HeapWatchOptions {
  readonly source?: HeapSource;
  /** The wall clock the watch paces its looks by, ms (default `performance.now`). */
  readonly now?: () => number;
  /** The memory the run may count on: the machine's, or its container's limit. */
  readonly machineBytes?: number;
  /** `machineBytes` is a container's limit (`thisMachine().contained`): the messages say so. */
  readonly contained?: boolean;
}

/**
 * Stops the run once two full collections in a row leave the old generation above 85 % of its
 * limit: what they leave is live, so the run is about to fail in V8 (which gives up a little
 * above 90 %). A full collection below the line starts the count again. Stops it too once the
 * process holds more than 90 % of the machine's memory (`machineBytes`), heap or not, and once
 * less than 20 % of it is left to processes while this one holds more than a quarter of it, and
 * once two full collections in a row leave 80 % while the collector takes 60 % of the time
 * (NEAR_SHARE: V8 gives up at four). It looks at most every LOOK_EVERY_MS of wall time.
 * Its lines say where the run was, and how far the broadcasts sent so far got.
 */
export function heapWatch(nodes: number, options: HeapWatchOptions = {}): HeapWatch {
  const { source = v8HeapSource(), now = () => performance.now(), machineBytes = machineMemoryBytes(), contained = false } = options;
  let lastLookMs = -Infinity;
  let high = 0;
  let live: number | null = null;
  const near = new NearLimit();
  /** "L of it live heap at the last full collection" once one was seen; null before. */
  const livePhrase = (): string | null => (live === null ? null : `${size(live)} of it live heap at the last full collection`);
  /** Where the run was: virtual time, size and, once broadcasts were sent, how far they got. */
  const when = (p: RunProgress): string => {
    const made = deliveriesMade(p.deliveries);
    return `at ${Math.round(p.virtualMs / 1000)} s virtual (${nodes} nodes${made === '' ? '' : `, ${made}`})`;
  };
  const of = contained ? "its container's" : "the machine's";
  return {
    check: (p) => {
      const nowMs = now();
      if (nowMs - lastLookMs < LOOK_EVERY_MS) return;
      lastLookMs = nowMs;
      const resident = source.resident();
      if (resident > RESIDENT_SHARE * machineBytes) {
        throw new UsageError(
          `out of memory: the process held ${size(resident)} of ${of} ${size(machineBytes)}${live === null ? '' : ` (${livePhrase()})`} ${when(p)}; the run was stopped. ` +
            'Use fewer nodes, or fewer broadcasts at once',
          EXIT_MEMORY,
        );
      }
      if (resident > AVAILABLE_WATCH_FROM * machineBytes) {
        const available = source.available();
        if (available < AVAILABLE_FLOOR_SHARE * machineBytes) {
          throw new UsageError(
            `out of memory: ${size(available)} of ${of} ${size(machineBytes)} was left (this process held ${size(resident)}${live === null ? '' : `, ${livePhrase()}`}) ` +
              `${when(p)}; the run was stopped before ${contained ? 'the container' : 'the machine'} ran out. ` +
              'Use fewer nodes or fewer broadcasts at once, or run it with less else running',
            EXIT_MEMORY,
          );
        }
      }
      const collections = source.collections();
      for (const reading of collections.afterFull) {
        live = reading.oldUsed;
        near.see(reading);
        high = reading.oldUsed > HIGH_SHARE * reading.oldLimit ? high + 1 : 0;
        if (high < HIGH_COLLECTIONS) continue;
        throw new UsageError(
          `out of memory: the heap held ${size(reading.oldUsed)} of its ${size(reading.oldLimit)} limit ${when(p)}; the run was stopped. ` +
            'Use fewer nodes, or a larger limit: NODE_OPTIONS=--max-old-space-size=<MB>',
          EXIT_MEMORY,
        );
      }
      const stop = near.endWindow(collections.wallMs, collections.pausedMs);
      if (stop === null) return;
      throw new UsageError(
        `out of memory: ${stop.count} full collections in a row each left at least ${Math.round(100 * NEAR_SHARE)} % of the heap's ` +
          `${size(stop.last.oldLimit)} limit (the last ${size(stop.last.oldUsed)}) while the collector took ` +
          `${Math.floor((100 * stop.pausedMs) / stop.wallMs)} % of the last ${(stop.wallMs / 1000).toFixed(1)} s ${when(p)}; ` +
          'the run was stopped. Use fewer nodes or fewer broadcasts at once, or a larger limit: NODE_OPTIONS=--max-old-space-size=<MB>',
        EXIT_MEMORY,
      );
    },
    liveHeap: () => live,
    stop: () => source.stop(),
  };
}

/**
 * `12.34 M of 100.00 M deliveries made (12 %)`, or '' before any broadcast: the progress line's and
 * the stop lines' word on how far the broadcasts sent so far got. The share is rounded down, so
 * a run short of its last delivery never reads 100 %.
 */
export function deliveriesMade(d: DeliveryProgress): string {
  if (d.expected === 0) return '';
  // Both counts in the unit of the larger: `0.22 M of 1.00 M`, `4321 of 10000`.
  const count = (n: number): string => (d.expected < 1e6 ? String(n) : `${(n / 1e6).toFixed(2)} M`);
  return `${count(d.reached)} of ${count(d.expected)} deliveries made (${Math.floor((100 * d.reached) / d.expected)} %)`;
}

function gb(bytes: number): string {
  return (bytes / GB).toFixed(1);
}

/** Bytes as the memory messages and the progress line print them: MB below a GB, else GB to 0.1 (both binary). */
export function size(bytes: number): string {
  return bytes < GB ? `${Math.round(bytes / MB)} MB` : `${gb(bytes)} GB`;
}
