/**
 * A simulated cluster: the scheduler, seeded streams, network and telemetry of one run, and a
 * node host per planned node running its application — by default a MeshNode, or one a user
 * brings (`ClusterOptions.app`, docs/byo-node.md) through the same host, network, clocks and
 * disk. This is the harness side: it may look inside mesh nodes (for checks and workloads),
 * while nodes only learn things over the network.
 */
import { MESH_NODE_DEFAULTS, type MeshNodeConfig, type NodeProfile, type NodeVariant } from '../mesh/config.js';
import { DeliveryLedger } from '../mesh/delivery-ledger.js';
import { MeshNode, type SeedSpec } from '../mesh/node.js';
import { DEFAULT_LINK, Network, type LinkState, type NetworkConfig } from '../sim/network/index.js';
import { NodeHost, type AppFactory, type NodeApp, type NodeContext } from '../sim/node-host.js';
import { RngStreams } from '../sim/rng.js';
import { Scheduler } from '../sim/scheduler.js';
import { Telemetry, type SpanLevel, type SpanName, type SpanRetention } from '../sim/telemetry/index.js';
import { fallbackSeeds, planTopology, plansByTopic, type NodePlan, type SeedPlan, type TopologySpec } from './topology.js';
import type { FailureMode } from './workload.js';

export interface ClusterOptions {
  readonly seed: string;
  readonly topology: TopologySpec;
  /** Default 'info'. */
  readonly traceLevel?: SpanLevel;
  readonly network?: Partial<NetworkConfig>;
  /** Default link of every node pair; default DEFAULT_LINK. */
  readonly link?: Partial<LinkState>;
  /** What every node runs (SPEC §10.1). Default 'full'. */
  readonly profile?: NodeProfile;
  readonly node?: Partial<Omit<MeshNodeConfig, 'variant' | 'profile'>>;
  /** Per-node deviations for test doubles (default: none). */
  readonly variantOf?: (plan: NodePlan) => NodeVariant;
  /** Which spans are kept in memory (see TelemetryOptions.retain). Default: all. */
  readonly retainSpans?: SpanRetention;
  /** Data dir capacity per node, bytes. Default 1 MiB. */
  readonly diskCapacityBytes?: number;
  /**
   * The application every node runs, started on each (re)start of its process. Default: the
   * mesh node, configured by `profile`, `node` and `variantOf` (which a custom app ignores).
   */
  readonly app?: (ctx: NodeContext, plan: NodePlan) => NodeApp;
}

export class Cluster {
  readonly scheduler = new Scheduler();
  readonly rng: RngStreams;
  readonly network: Network;
  readonly telemetry: Telemetry;
  readonly plans: readonly NodePlan[];
  readonly hosts: readonly NodeHost[];
  private readonly apps = new Map<string, MeshNode>();
  /** Every mesh node's deliveries, one bit per (node, message): see src/mesh/delivery-ledger.ts. */
  private readonly deliveries = new DeliveryLedger();
  private readonly deferred = new Set<string>();
  private readonly byId = new Map<string, number>();
  /** Plans never change after construction, so per-topic lists are computed once. */
  private subscribersByMesh: ReadonlyMap<string, readonly NodePlan[]> | null = null;
  private meshIdList: readonly string[] | null = null;
  private idByName: Map<string, string> | null = null;
  private statusEpochValue = 0;
  private bootsPendingValue = 0;

  constructor(readonly options: ClusterOptions) {
    this.rng = new RngStreams(options.seed);
    const network = options.link === undefined ? options.network : { ...options.network, link: { ...DEFAULT_LINK, ...options.link } };
    this.network = new Network(this.scheduler, this.rng, network);
    this.telemetry = new Telemetry(this.scheduler, this.rng.stream('span-ids'), {
      traceLevel: options.traceLevel ?? 'info',
      ...(options.retainSpans === undefined ? {} : { retain: options.retainSpans }),
    });
    this.plans = planTopology(options.topology, this.rng.stream('topology'));
    this.hosts = this.plans.map((plan) => this.makeHost(plan));
    this.plans.forEach((p, i) => this.byId.set(p.nodeId, i));
  }

  /**
   * Changes of any host's status so far (starts, stops, wedges, unwedges): while it stays the
   * same, so does every host's status, and with it who runs.
   */
  get statusEpoch(): number {
    return this.statusEpochValue;
  }

  /** Leave a node out of `boot()`; a workload starts it later (mesh growth). */
  deferBoot(nodeId: string): void {
    this.deferred.add(nodeId);
  }

  /** Schedule every node's first start at its boot time. */
  boot(): void {
    for (const [i, plan] of this.plans.entries()) {
      if (this.deferred.has(plan.nodeId)) continue;
      this.bootsPendingValue++;
      this.scheduler.at(this.scheduler.nowMs + plan.bootAtMs, () => {
        this.bootsPendingValue--;
        if (this.hosts[i].status === 'stopped' && this.hosts[i].incarnation === 0) this.hosts[i].start();
      });
    }
  }

  /** Boot starts `boot()` scheduled that have not come yet (deferred nodes are not counted). */
  get bootsPending(): number {
    return this.bootsPendingValue;
  }

  host(nodeId: string): NodeHost {
    const i = this.byId.get(nodeId);
    if (i === undefined) throw new Error(`unknown node ${nodeId}`);
    return this.hosts[i];
  }

  /** The node id of a node name ('' when unknown, e.g. the harness). */
  idOfName(name: string): string {
    this.idByName ??= new Map(this.plans.map((p) => [p.name, p.nodeId]));
    return this.idByName.get(name) ?? '';
  }

  /** True when `nodeId` is a node of this cluster. */
  isNode(nodeId: string): boolean {
    return this.byId.has(nodeId);
  }

  /** The node's position in `plans` (a small integer key for per-sample tables); undefined when not a node. */
  indexOf(nodeId: string): number | undefined {
    return this.byId.get(nodeId);
  }

  plan(nodeId: string): NodePlan {
    return this.plans[this.byId.get(nodeId)!];
  }

  /** The running mesh node of a node; undefined when it is down or the cluster runs another application. */
  app(nodeId: string): MeshNode | undefined {
    return this.host(nodeId).status === 'stopped' ? undefined : this.apps.get(nodeId);
  }

  /** `app` of the node at position `index` of `plans` (for checks that walk every node). */
  appAt(index: number): MeshNode | undefined {
    return this.hosts[index].status === 'stopped' ? undefined : this.apps.get(this.plans[index].nodeId);
  }

  /** Plans of nodes whose process is up (running or wedged), in plan order. */
  livePlans(): NodePlan[] {
    return this.plans.filter((p, i) => this.hosts[i].status !== 'stopped');
  }

  /** Plans of nodes whose process is running (not wedged), in plan order. */
  runningPlans(): NodePlan[] {
    return this.plans.filter((p, i) => this.hosts[i].status === 'running');
  }

  /**
   * Kill a node as a failure workload does: `crash` (peers learn as the network's `deadPeer`
   * model says) or `vanish` (the host is gone: always silent).
   */
  kill(nodeId: string, mode: FailureMode): void {
    this.host(nodeId).kill(mode);
  }

  /** Plans of every node subscribed to `meshId`, in plan order. */
  subscribers(meshId: string): NodePlan[] {
    return [...(this.byTopic().get(meshId) ?? [])];
  }

  /** Every plan under each of its topics, filed in one pass when first asked (a layout of 1,024 meshes asks for each). */
  private byTopic(): ReadonlyMap<string, readonly NodePlan[]> {
    this.subscribersByMesh ??= plansByTopic(this.plans);
    return this.subscribersByMesh;
  }

  /** All topics (mesh ids) of the cluster, sorted. */
  meshIds(): string[] {
    this.meshIdList ??= [...new Set(this.plans.flatMap((p) => p.meshIds))].sort();
    return [...this.meshIdList];
  }

  nameOf(nodeId: string): string {
    const i = this.byId.get(nodeId);
    return i === undefined ? nodeId.slice(0, 8) : this.plans[i].name;
  }

  private makeHost(plan: NodePlan): NodeHost {
    const config: MeshNodeConfig = {
      ...MESH_NODE_DEFAULTS,
      ...this.options.node,
      profile: this.options.profile ?? MESH_NODE_DEFAULTS.profile,
      variant: this.options.variantOf?.(plan) ?? {},
    };
    const identity = { nodeId: plan.nodeId, name: plan.name, role: plan.role, meshId: plan.meshId };
    const specOf = (s: SeedPlan): SeedSpec => ({ nodeId: this.plans[s.index].nodeId, meshIds: s.meshIds });
    const seeds = plan.seeds.map(specOf);
    const custom = this.options.app;
    // The mesh node is one application among any: hosted through the same factory interface.
    const factory: AppFactory =
      custom !== undefined
        ? (ctx) => custom(ctx, plan)
        : (ctx) => {
            const fallback = fallbackSeeds(this.plans, this.byTopic(), plan, config.variant.disableSeedTopUp !== true).map(specOf);
            const restarted = ctx.incarnation > 1;
            const app = new MeshNode(ctx, {
              meshIds: plan.meshIds,
              seeds: restarted ? [...seeds, ...fallback] : seeds,
              ...(restarted || fallback.length === 0 ? {} : { rejoinSeeds: fallback }),
              config,
              deliveries: this.deliveries,
            });
            this.apps.set(plan.nodeId, app);
            return app;
          };
    return new NodeHost(
      { scheduler: this.scheduler, network: this.network, telemetry: this.telemetry, rng: this.rng, statusChanged: () => void this.statusEpochValue++ },
      identity,
      factory,
      { diskCapacityBytes: this.options.diskCapacityBytes },
    );
  }
}
