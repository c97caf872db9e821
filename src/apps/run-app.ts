/**
 * Runs a node application users bring (docs/byo-node.md) on the simulated world, the way the
 * mesh node runs: each node is a process (start, kill, restart, wedge) with a network endpoint
 * (QUIC-like connections over lossy, partitionable links), a monotonic and a wall clock, a
 * data dir that survives restarts, and timers that die with the process. The battery's chaos
 * primitives hit it through their levers (app-faults.ts); actions are the user's stimulus at
 * given virtual times. The result is data — the trace (typed span query, digest) and what each
 * fault did — for the user's own assertions. Deterministic for a seed: no wall clock, no real
 * timers, no ambient randomness (the app gets `ctx.rng`).
 */
import type { ProcessStatus } from '../primitives/types.js';
import { chaosWorldOf } from '../primitives/world.js';
import { Cluster } from '../scenario/cluster.js';
import type { NodePlan } from '../scenario/topology.js';
import type { LinkState, NetworkConfig } from '../sim/network/index.js';
import type { NodeApp, NodeContext } from '../sim/node-host.js';
import { assert } from '../sim/assert.js';
import type { SpanQuery, SpanRecord } from '../sim/telemetry/index.js';
import { AppFaults, planAppFaults, type AppFault, type AppFaultReport } from './app-faults.js';
import { integerProblem, MeshsimInputError } from '../io/input-error.js';

/** What an application learns about its node and the run when it starts. */
export interface AppNodeInfo {
  readonly index: number;
  readonly nodeId: string;
  readonly name: string;
  /** Up to two earlier nodes to join through (the layout's seeds), node ids; none for the first. */
  readonly seeds: readonly string[];
  /** Every node of the run in boot order, node ids (itself included). */
  readonly nodes: readonly string[];
}

/** Makes a node's application; called on every (re)start of its process. */
export type AppMaker<A extends NodeApp> = (ctx: NodeContext, node: AppNodeInfo) => A;

/** The running simulation as actions see it. */
export interface AppSim<A extends NodeApp> {
  nowMs(): number;
  readonly nodes: readonly AppNodeInfo[];
  /** The running application of a node (by index or name); undefined while its process is down. */
  app(node: number | string): A | undefined;
  status(node: number | string): ProcessStatus;
  readonly spans: SpanQuery;
}

/** Something to do at a virtual time, e.g. tell a node to broadcast. */
export interface AppAction<A extends NodeApp> {
  readonly atMs: number;
  readonly run: (sim: AppSim<A>) => void;
}

export interface AppRunInput<A extends NodeApp> {
  /** A non-negative integer (or its decimal string). */
  readonly seed: number | string;
  /** Number of nodes, 1 to 10,000. */
  readonly nodes: number;
  readonly app: AppMaker<A>;
  /** Virtual time to run, ms (integer, at most 24 h). */
  readonly durationMs: number;
  /** Nodes start this far apart, ms. Default 50. */
  readonly bootSpacingMs?: number;
  /** Network timers and dead-peer model (SPEC §3, §10.2). Default DEFAULT_NETWORK_CONFIG. */
  readonly network?: Partial<NetworkConfig>;
  /** Default link of every node pair (latency, jitter, loss, bandwidth). Default DEFAULT_LINK. */
  readonly link?: Partial<LinkState>;
  /** Data dir capacity per node, bytes. Default 1 MiB. */
  readonly diskCapacityBytes?: number;
  /** Default 'info': spans emitted with level 'trace' are dropped. */
  readonly traceLevel?: 'info' | 'trace';
  /** Node role name (in node names and resources). Default 'node'. */
  readonly role?: string;
  readonly faults?: readonly AppFault[];
  readonly actions?: readonly AppAction<A>[];
}

export interface AppRunResult<A extends NodeApp> {
  readonly seed: string;
  readonly virtualMs: number;
  readonly events: number;
  /** The run stopped early on its event budget (a runaway application), instead of hanging. */
  readonly budgetExceeded: boolean;
  readonly spans: number;
  readonly spansByName: Record<string, number>;
  readonly traceDigest: string;
  readonly faults: readonly AppFaultReport[];
  readonly nodes: readonly (AppNodeInfo & { readonly status: ProcessStatus })[];
  /** The whole trace, for assertions. */
  readonly query: SpanQuery;
  readonly records: readonly SpanRecord[];
  /** A node's application at the end (undefined when down). */
  app(node: number | string): A | undefined;
}

const NODES_MAX = 10_000;
const DURATION_MS_MAX = 86_400_000;
/** Guess: ~10× what the example flood node needs per node and virtual second. */
const EVENTS_PER_NODE_SECOND = 20_000;

/** Thrown for bad input, with one line naming the problem. */
export class AppRunError extends MeshsimInputError {
  constructor(message: string) {
    super(message);
    this.name = 'AppRunError';
  }
}

const INPUT_FIELDS: readonly string[] = ['seed', 'nodes', 'app', 'durationMs', 'bootSpacingMs', 'network', 'link', 'diskCapacityBytes', 'traceLevel', 'role', 'faults', 'actions'];

export function runApp<A extends NodeApp>(input: AppRunInput<A>): AppRunResult<A> {
  if (typeof input !== 'object' || input === null) throw new AppRunError('runApp takes one object { seed, nodes, app, durationMs, … }');
  const unknown = Object.keys(input).find((k) => !INPUT_FIELDS.includes(k));
  if (unknown !== undefined) throw new AppRunError(`${JSON.stringify(unknown)} is no field of runApp's input (${INPUT_FIELDS.join(', ')})`);
  const seed = seedOf(input.seed);
  checkInt('nodes', input.nodes, 1, NODES_MAX);
  checkInt('durationMs', input.durationMs, 1, DURATION_MS_MAX);
  if (typeof input.app !== 'function') throw new AppRunError('app must be a function (ctx, node) => your node\'s application');
  for (const [i, action] of (input.actions ?? []).entries()) {
    if (typeof action?.run !== 'function') throw new AppRunError(`actions[${i}].run must be a function (sim) => void`);
  }
  const running = new Map<string, A>();
  let infos: AppNodeInfo[] = [];
  const cluster = new Cluster({
    seed,
    topology: { meshes: [{ meshId: 'app', roles: [[input.role ?? 'node', input.nodes]] }], bridges: 0, observer: false, bootSpacingMs: input.bootSpacingMs },
    traceLevel: input.traceLevel ?? 'info',
    network: input.network,
    link: input.link,
    diskCapacityBytes: input.diskCapacityBytes,
    app: (ctx, plan) => {
      assert(infos[plan.index]?.nodeId === plan.nodeId, `node ${plan.name} started before the run knew its nodes`);
      const app = input.app(ctx, infos[plan.index]);
      if (typeof app !== 'object' || app === null) throw new AppRunError(`app returned ${app === null ? 'null' : typeof app} for ${plan.name}, not a node application (an object with onIncoming and stop)`);
      running.set(plan.nodeId, app);
      return app;
    },
  });
  infos = cluster.plans.map((p) => infoOf(p, cluster.plans));
  const planOf = (node: number | string): NodePlan => {
    const plan = typeof node === 'number' ? cluster.plans[node] : cluster.plans.find((p) => p.name === node);
    if (plan === undefined) throw new AppRunError(`no node ${JSON.stringify(node)}`);
    return plan;
  };
  const appOf = (node: number | string): A | undefined => {
    const plan = planOf(node);
    return cluster.host(plan.nodeId).status === 'stopped' ? undefined : running.get(plan.nodeId);
  };
  const planned = planAppFaults(input.faults ?? [], cluster.plans, input.durationMs);
  if (!planned.ok) throw new AppRunError(planned.error);
  let faults: AppFaults | null = null;
  const world = chaosWorldOf(cluster, { probe: () => null, isFaulted: (id) => faults?.isFaulted(id) ?? false, isProtected: () => false });
  faults = new AppFaults(world, cluster.telemetry);
  const sim: AppSim<A> = { nowMs: () => cluster.scheduler.nowMs, nodes: infos, app: appOf, status: (n) => cluster.host(planOf(n).nodeId).status, spans: cluster.telemetry.query };
  for (const [i, action] of (input.actions ?? []).entries()) {
    checkInt(`actions[${i}].atMs`, action.atMs, 0, input.durationMs);
    cluster.scheduler.at(action.atMs, () => action.run(sim));
  }
  cluster.boot();
  faults.schedule(planned.planned);
  const budget = Math.ceil((input.durationMs / 1000 + 1) * input.nodes * EVENTS_PER_NODE_SECOND);
  const ran = cluster.scheduler.runFor(input.durationMs, { events: budget });
  const tel = cluster.telemetry;
  return {
    seed,
    virtualMs: ran.nowMs,
    events: ran.events,
    budgetExceeded: !ran.ok,
    spans: tel.recordCount,
    spansByName: Object.fromEntries(tel.countsByName()),
    traceDigest: tel.traceDigest(),
    faults: faults.reports(),
    nodes: infos.map((info) => ({ ...info, status: cluster.host(info.nodeId).status })),
    query: tel.query,
    records: tel.records,
    app: appOf,
  };
}

function infoOf(plan: NodePlan, plans: readonly NodePlan[]): AppNodeInfo {
  return {
    index: plan.index,
    nodeId: plan.nodeId,
    name: plan.name,
    seeds: plan.seeds.map((s) => plans[s.index].nodeId),
    nodes: plans.map((p) => p.nodeId),
  };
}

function seedOf(seed: number | string): string {
  const text = String(seed);
  if (!/^\d{1,20}$/.test(text) || (typeof seed === 'number' && !Number.isSafeInteger(seed))) throw new AppRunError(`seed must be a non-negative integer, got ${JSON.stringify(seed)}`);
  return text.replace(/^0+(?=\d)/, '');
}

function checkInt(field: string, value: number, min: number, max: number): void {
  const problem = integerProblem(value, field, min, max);
  if (problem !== null) throw new AppRunError(problem);
}
