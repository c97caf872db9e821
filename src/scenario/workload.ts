/**
 * Scenario workloads (SPEC §10.3): timed broadcasts and failures, given as data in a scenario
 * (code or file) and scheduled by the runner at virtual times. A broadcast is a probe (its
 * delivery is evidence the nodes emit, `mesh.probe.delivered`); a failure kills a share of the
 * live nodes at once, as a crash (the network's `deadPeer` model) or a vanish (always silent).
 * Targets are drawn from the run's 'workload' stream, so the same seed picks the same nodes.
 * Must not read clocks or ambient randomness.
 */
import { MeshsimInputError } from '../io/input-error.js';
import { HARNESS_NODE } from '../sim/telemetry/index.js';
import type { Cluster } from './cluster.js';
import type { ProbeWorkload } from './probes.js';
import { underChaosAt } from './under-chaos.js';

/** Who sends: one node fixed for the run (drawn from the seed, or named), a random live node each time, or every live node. */
export type BroadcastSender = 'fixed' | 'random' | 'all' | { readonly name: string };

export interface BroadcastEntry {
  readonly kind: 'broadcast';
  readonly sender: BroadcastSender;
  /** Topic (mesh id); default the sender's own mesh. */
  readonly meshId?: string;
  /** First broadcast, ms of virtual time. */
  readonly fromMs: number;
  /** Gap between broadcasts, ms (ignored when count is 1). */
  readonly everyMs: number;
  readonly count: number;
  /** Payload size, bytes (the probe is padded); default the bare probe (~100 bytes). */
  readonly sizeBytes?: number;
}

/**
 * How many nodes send each broadcast of `entry` at once, at most, among `nodes`: all of them for
 * `sender: "all"`, one otherwise. The checker's table bounds and the CLI's memory floor both
 * count the messages a workload puts in every node's tables with it.
 */
export function sendersAtOnce(entry: BroadcastEntry, nodes: number): number {
  return entry.sender === 'all' ? nodes : 1;
}

export type FailureMode = 'crash' | 'vanish';

export interface FailureEntry {
  readonly kind: 'failure';
  readonly atMs: number;
  /** Share of the live nodes to kill (rounded to the nearest whole node); or `count`. */
  readonly fraction?: number;
  readonly count?: number;
  /** `crash`: peers learn as the network's `deadPeer` model says; `vanish`: silent. Default 'crash'. */
  readonly mode: FailureMode;
}

export type WorkloadEntry = BroadcastEntry | FailureEntry;

/** What a workload run left behind, for the report. */
export interface WorkloadLog {
  readonly failures: { readonly atMs: number; readonly killed: number; readonly mode: FailureMode }[];
  /** Broadcasts that found no live sender (e.g. a fixed sender that died). */
  skippedBroadcasts: number;
}

/** `afterFailure` runs right after each failure entry has killed its nodes (overlay snapshots). */
export function scheduleWorkload(entries: readonly WorkloadEntry[], cluster: Cluster, probes: ProbeWorkload, afterFailure: () => void = () => {}): WorkloadLog {
  const log: WorkloadLog = { failures: [], skippedBroadcasts: 0 };
  const rng = cluster.rng.stream('workload-entries');
  entries.forEach((entry, i) => checkNamedSender(entry, i, cluster));
  for (const entry of entries) {
    if (entry.kind === 'failure') {
      cluster.scheduler.at(entry.atMs, () => {
        log.failures.push(fail(entry, cluster));
        afterFailure();
      });
      continue;
    }
    let fixed: string | null = null;
    for (let k = 0; k < entry.count; k++) {
      cluster.scheduler.at(entry.fromMs + k * entry.everyMs, () => {
        const running = cluster.runningPlans().filter((p) => candidate(p.meshIds));
        if (entry.sender === 'all') {
          for (const p of running) broadcastFrom(p.nodeId, p.meshIds[0]);
          return;
        }
        let origin: string | undefined;
        if (entry.sender === 'random') origin = running.length > 0 ? rng.pick(running).nodeId : undefined;
        else if (entry.sender === 'fixed') origin = fixed ??= rng.pick(cluster.plans.filter((p) => candidate(p.meshIds))).nodeId;
        else origin = cluster.plans.find((p) => p.name === (entry.sender as { name: string }).name)?.nodeId;
        if (origin === undefined || cluster.host(origin).status !== 'running') {
          log.skippedBroadcasts++;
          return;
        }
        broadcastFrom(origin, entry.meshId ?? cluster.plan(origin).meshIds[0]);
      });
    }
    function candidate(meshIds: readonly string[]): boolean {
      return entry.kind === 'broadcast' && (entry.meshId === undefined || meshIds.includes(entry.meshId));
    }
    function broadcastFrom(origin: string, meshId: string): void {
      if (!cluster.plan(origin).meshIds.includes(meshId)) {
        log.skippedBroadcasts++;
        return;
      }
      probes.send(origin, meshId, entry.kind === 'broadcast' ? entry.sizeBytes : undefined);
    }
  }
  return log;
}

/**
 * A sender named in a file must be a node of this run, on the entry's mesh: node names carry a
 * hash drawn from the seed, and a name from another seed (or a typo) skipped every broadcast
 * of the entry without a word (the run passed, `skippedBroadcasts` in the JSON the only trace).
 */
function checkNamedSender(entry: WorkloadEntry, index: number, cluster: Cluster): void {
  if (entry.kind !== 'broadcast' || typeof entry.sender !== 'object') return;
  const name = entry.sender.name;
  const id = cluster.idOfName(name);
  const plan = id === '' ? undefined : cluster.plan(id);
  if (plan === undefined) {
    const example = cluster.plans.find((p) => p.role !== 'observer')?.name ?? cluster.plans[0].name;
    throw new MeshsimInputError(`workload[${index}].sender: no node named ${JSON.stringify(name)} in this run (names carry a hash drawn from the seed, e.g. ${JSON.stringify(example)} with this seed)`);
  }
  if (entry.meshId !== undefined && !plan.meshIds.includes(entry.meshId)) {
    throw new MeshsimInputError(`workload[${index}].sender: ${name} is not on mesh ${JSON.stringify(entry.meshId)} (it is on ${plan.meshIds.join(', ')})`);
  }
}

/** Kills the entry's share of the live nodes at once; returns what it did. */
function fail(entry: FailureEntry, cluster: Cluster): WorkloadLog['failures'][number] {
  const live = cluster.livePlans();
  const wanted = entry.count ?? Math.round((entry.fraction ?? 0) * live.length);
  // Nodes a chaos event is acting on are its detector's to judge: left alone, as grow-shrink's
  // leavers leave them (a firewalled registry killed by a 30 % crash failed its event "stopped
  // while firewalled", a random layout under --chaos 12). Without chaos every live node may fail.
  const busy = underChaosAt(cluster.telemetry.query, cluster.scheduler.nowMs);
  const eligible = busy.size === 0 ? live : live.filter((p) => !busy.has(p.name));
  const victims = cluster.rng.stream('failures').shuffle([...eligible]).slice(0, Math.min(wanted, eligible.length));
  // One span per failure entry for the trace (who, how); each kill is also recorded by the host.
  cluster.telemetry.emit(HARNESS_NODE, 'workload.failure', { targets: victims.map((p) => p.name).join(','), mode: entry.mode, killed: victims.length });
  for (const p of victims) cluster.kill(p.nodeId, entry.mode);
  return { atMs: cluster.scheduler.nowMs, killed: victims.length, mode: entry.mode };
}
