/**
 * Mesh growth and shrinkage: the last half of the plan is left out of boot and joins one node
 * at a time; later some nodes leave gracefully (they say goodbye: Disconnect to neighbours).
 * The evidence is the nodes' own spans: joiners get neighbours and are learned by everyone;
 * leavers are dropped promptly by their neighbours (no idle-timeout wait) and pruned.
 * Under chaos (`--chaos N`), read from the chaos spans only: leavers are drawn from the nodes no
 * chaos event is acting on, and a neighbour a chaos event cut off from the leaver while the
 * goodbye travelled (killed, wedged, partitioned, a lossy link…) is not asked to have heard it.
 * Without chaos both rules leave everything as it was.
 */
import { cutWindows, isCutDuring } from '../primitives/reach.js';
import { underChaosAt } from '../scenario/under-chaos.js';
import { OBSERVER_ROLE } from '../scenario/topology.js';
import type { Violation } from '../scenario/checker.js';
import type { RunContext, RunExtension, RunExtensionFactory } from '../scenario/scenario.js';

export interface GrowShrinkConfig {
  readonly growFromMs: number;
  readonly growEveryMs: number;
  readonly shrinkAtMs: number;
  readonly shrinkCount: number;
}

/** A graceful leave must be noticed long before an idle timeout would: Disconnect travels in ms. */
const LEAVE_NOTICED_WITHIN_MS = 5_000;

class GrowShrink implements RunExtension {
  private readonly joiners: string[];
  private leavers: string[] = [];

  constructor(
    private readonly ctx: RunContext,
    private readonly config: GrowShrinkConfig,
  ) {
    const members = ctx.cluster.plans.filter((p) => p.role !== OBSERVER_ROLE);
    this.joiners = members.slice(Math.ceil(members.length / 2)).map((p) => p.nodeId);
    for (const id of this.joiners) ctx.cluster.deferBoot(id);
  }

  start(): void {
    const { cluster } = this.ctx;
    this.joiners.forEach((id, i) => cluster.scheduler.at(this.config.growFromMs + i * this.config.growEveryMs, () => cluster.host(id).start()));
    cluster.scheduler.at(this.config.shrinkAtMs, () => {
      const rng = cluster.rng.stream('grow-shrink');
      const busy = underChaosAt(cluster.telemetry.query, cluster.scheduler.nowMs);
      const running = cluster.plans.filter((p) => p.role !== OBSERVER_ROLE && cluster.host(p.nodeId).status === 'running' && !busy.has(p.name));
      this.leavers = rng.shuffle(running.map((p) => p.nodeId)).slice(0, this.config.shrinkCount);
      for (const id of this.leavers) cluster.host(id).stop('shrink');
    });
  }

  finish(): void {}

  violations(): Violation[] {
    const { cluster } = this.ctx;
    const q = cluster.telemetry.query;
    const out: Violation[] = [];
    for (const id of this.joiners) {
      const name = cluster.nameOf(id);
      if (q.first({ name: 'mesh.node.ready', node: name }) === undefined) out.push({ check: 'mesh-grow-shrink', message: `joiner ${name} never became ready` });
      if (q.first({ name: 'mesh.gossip.neighbor_up', node: name }) === undefined) out.push({ check: 'mesh-grow-shrink', message: `joiner ${name} never got a neighbour` });
    }
    const shrinkAtMs = this.config.shrinkAtMs;
    const windows = cutWindows(q);
    for (const id of this.leavers) {
      const name = cluster.nameOf(id);
      if (q.first({ name: 'mesh.node.stopping', node: name }) === undefined) out.push({ check: 'mesh-grow-shrink', message: `leaver ${name} did not say goodbye` });
      // Every node that had the leaver as a neighbour drops it promptly.
      for (const p of cluster.plans) {
        if (p.nodeId === id || this.leavers.includes(p.nodeId)) continue;
        // A neighbour in its incarnation of the leave: one killed and restarted before it
        // started with an empty view, whatever its earlier self held.
        const since = q.last({ name: 'mesh.node.ready', node: p.name, untilMs: shrinkAtMs })?.seq ?? -1;
        const up = q.last({ name: 'mesh.gossip.neighbor_up', node: p.name, untilMs: shrinkAtMs, attrs: { peerId: id } });
        const down = q.last({ name: 'mesh.gossip.neighbor_down', node: p.name, untilMs: shrinkAtMs, attrs: { peerId: id } });
        if (up === undefined || up.seq < since || (down !== undefined && down.seq > up.seq)) continue;
        if (isCutDuring(windows, p.name, name, shrinkAtMs, shrinkAtMs + LEAVE_NOTICED_WITHIN_MS)) continue;
        const dropped = q.first({ name: 'mesh.gossip.neighbor_down', node: p.name, sinceMs: shrinkAtMs, attrs: { peerId: id } });
        if (dropped === undefined || dropped.endMs > shrinkAtMs + LEAVE_NOTICED_WITHIN_MS) {
          out.push({ check: 'mesh-grow-shrink', message: `${p.name} did not drop leaver ${name} within ${LEAVE_NOTICED_WITHIN_MS / 1000} s` });
        }
      }
    }
    return out;
  }

  report(): Record<string, unknown> {
    const name = (id: string): string => this.ctx.cluster.nameOf(id);
    return { growShrink: { joiners: this.joiners.map(name), leavers: this.leavers.map(name) } };
  }
}

export function growShrinkExtension(config: GrowShrinkConfig): RunExtensionFactory {
  return Object.assign((ctx: RunContext): RunExtension => new GrowShrink(ctx, config), {
    // A main phase that ends before the first join or the shrink judges joiners never started
    // and leavers never picked (`--duration 1s` failed with twelve "never became ready").
    endsEarly: (durationMs: number): string | null => {
      const dueMs = Math.max(config.growFromMs, config.shrinkAtMs);
      return dueMs < durationMs ? null : `grow-shrink: its ${dueMs === config.shrinkAtMs ? 'shrink' : 'first join'} is due at ${dueMs} ms, not inside the main phase (durationMs ${durationMs})`;
    },
  });
}
