/**
 * Scenario files, version 2 (SPEC §10.3): a JSON object validated field by field into a
 * `Scenario`. Every field is optional except `name` and `topology`; version-1 files (name,
 * description, durationMs, topology, probeIntervalMs, healWindowMs) are a subset and keep
 * working. A problem comes back as one line naming the field (`node.hyparview.activeViewCapacity
 * must be an integer in [1, 64]`); unknown fields are problems, so a typo never falls back to a
 * default. docs/scenario-files.md lists every field with its default, unit and range — the
 * tables below are the one home of those ranges (a test checks the doc against them).
 * Pure: no file reading (the CLI reads), no clocks, no randomness.
 */
import { MESH_NODE_DEFAULTS, NODE_PROFILES, type MeshNodeConfig } from '../mesh/config.js';
import { GOSSIP_CONTENT_MAX_BYTES } from '../protocol/codec.js';
import { HYPARVIEW_DEFAULTS, type HyParViewConfig } from '../protocol/hyparview-types.js';
import { PLUMTREE_DEFAULTS, type PlumtreeConfig } from '../protocol/plumtree-types.js';
import { DEFAULT_LINK, DEFAULT_NETWORK_CONFIG, type DeadPeer, type LinkState, type NetworkConfig } from '../sim/network/index.js';
import {
  FieldProblem, boolean, catchFieldProblem, integer, nameString, number, object, oneOf, rootObject, string, topologyOf,
} from './json-fields.js';
import { runEndsEarly, type Scenario } from './scenario.js';
import type { BroadcastSender, WorkloadEntry } from './workload.js';

/** A scenario reference names a file when it ends in .json or contains a slash; else a registry name. */
export function isScenarioPath(ref: string): boolean {
  return ref.endsWith('.json') || ref.includes('/');
}

/** Largest cluster a file may ask for, observer included. */
export const SCENARIO_NODES_MAX = 1_000_000;
export const SCENARIO_MESHES_MAX = 1_024;
/** Longest phase a file may ask for: one virtual day, ms. */
export const SCENARIO_DURATION_MS_MAX = 86_400_000;
/** Most workload entries, and most broadcasts one entry may send. */
export const WORKLOAD_ENTRIES_MAX = 10_000;
export const WORKLOAD_BROADCASTS_MAX = 1_000_000;
export const DEFAULT_DURATION_MS = 60_000;
const DAY_MS = SCENARIO_DURATION_MS_MAX;

/** [min, max] of an integer field; the unit is in the name. */
type Range = readonly [number, number];

/** `node.hyparview` keys (HyParViewConfig) and their ranges. */
export const HYPARVIEW_RANGES: { readonly [K in keyof HyParViewConfig]: Range } = {
  activeViewCapacity: [1, 64],
  passiveViewCapacity: [0, 1_024],
  activeRandomWalkLength: [1, 32],
  passiveRandomWalkLength: [0, 32],
  shuffleRandomWalkLength: [1, 32],
  shuffleActiveViewCount: [0, 32],
  shufflePassiveViewCount: [0, 64],
  shuffleIntervalMs: [1, DAY_MS],
  neighborRequestTimeoutMs: [1, 600_000],
};

/** `node.plumtree` keys (PlumtreeConfig) and their ranges. */
export const PLUMTREE_RANGES: { readonly [K in keyof PlumtreeConfig]: Range } = {
  graftTimeout1Ms: [1, 600_000],
  graftTimeout2Ms: [1, 600_000],
  dispatchTimeoutMs: [1, 60_000],
  optimizationThreshold: [1, 1_000],
  messageCacheRetentionMs: [1, DAY_MS],
  messageIdRetentionMs: [1, DAY_MS],
  cacheEvictIntervalMs: [1, 600_000],
  maxMessageSizeBytes: [1, GOSSIP_CONTENT_MAX_BYTES],
  pruneRepeatMs: [0, 600_000],
};

type SubstrateKey = Exclude<keyof MeshNodeConfig, 'topic' | 'variant' | 'profile' | 'rejoinFromPeerCache'>;
/** `node.substrate` keys that are switches (true or false), not numbers. */
const SUBSTRATE_SWITCHES = ['rejoinFromPeerCache'] as const;

/** `node.substrate` keys (MeshNodeConfig) and their ranges. */
export const SUBSTRATE_RANGES: { readonly [K in SubstrateKey]: Range } = {
  digestIntervalMs: [1, DAY_MS],
  digestForcedIntervalMs: [1, DAY_MS],
  prunerIntervalMs: [1, DAY_MS],
  stalenessTtlMs: [1, DAY_MS],
  heartbeatIntervalMs: [1, DAY_MS],
  seedRetryBaseMs: [1, DAY_MS],
  seedRetryExponentMax: [0, 30],
  seedRetryMaxMs: [1, DAY_MS],
  seedAttemptsMax: [1, 1_000],
  seedCheckIntervalMs: [1, DAY_MS],
  joinFallbackMs: [0, DAY_MS],
  unusedConnectionGraceMs: [1, DAY_MS],
  unusedConnectionSweepMs: [1, DAY_MS],
  persistIntervalMs: [1, DAY_MS],
  pendingFramesMax: [1, 65_536],
  digestTableMax: [1, 2 * SCENARIO_NODES_MAX],
};

// `acksRestartIdle` is a test double (types.ts), not a file setting.
type NetworkKey = Exclude<keyof NetworkConfig, 'link' | 'deadPeer' | 'acksRestartIdle'>;

/** `network` keys of NetworkConfig and their ranges. */
export const NETWORK_RANGES: { readonly [K in NetworkKey]: Range } = {
  keepAliveMs: [1, DAY_MS],
  idleTimeoutMs: [1, DAY_MS],
  dialTimeoutMs: [1, DAY_MS],
  sendBufferBytes: [1, 1 << 30],
  rtoMinMs: [1, 600_000],
  rtoMaxMs: [1, DAY_MS],
};

/** `network` keys of the default link. `lossPct` may have up to two decimals. */
export const LINK_RANGES = {
  latencyMs: [0, 600_000],
  jitterMs: [0, 600_000],
  lossPct: [0, 100],
  bandwidthBps: [0, 1e12],
} as const;

/** Loss is an integer ratio lossNum / LOSS_DEN (SPEC §3: probabilities as integer ratios). */
const LOSS_DEN = 10_000;

export const DEAD_PEER_MODES: readonly DeadPeer[] = ['silent', 'reset', 'close'];

const ROOT_FIELDS = [
  'name', 'description', 'profile', 'topology', 'bootSpacingMs', 'durationMs', 'healWindowMs', 'probeIntervalMs', 'overlayEveryMs', 'node', 'network', 'workload',
];

export type ScenarioParse = { readonly ok: true; readonly scenario: Scenario } | { readonly ok: false; readonly error: string };

/** Validates a parsed scenario file; never throws for bad input. */
export function parseScenarioJson(value: unknown): ScenarioParse {
  const parsed = catchFieldProblem(() => scenarioOf(value));
  return parsed.ok ? { ok: true, scenario: parsed.value } : parsed;
}

function scenarioOf(value: unknown): Scenario {
  const root = rootObject(value, 'scenario', ROOT_FIELDS);
  const name = nameString(root.name, 'name');
  const description = root.description === undefined ? `scenario file ${name}` : string(root.description, 'description');
  const durationMs = optional(root.durationMs, (v) => integer(v, 'durationMs', 1, SCENARIO_DURATION_MS_MAX)) ?? DEFAULT_DURATION_MS;
  const base = topologyOf(root.topology, { nodesMax: SCENARIO_NODES_MAX, meshesMax: SCENARIO_MESHES_MAX });
  const bootSpacingMs = optional(root.bootSpacingMs, (v) => integer(v, 'bootSpacingMs', 0, 60_000));
  const topology = bootSpacingMs === undefined ? base : { ...base, bootSpacingMs };
  const meshIds = topology.meshes.map((m) => m.meshId);
  const network = optional(root.network, networkOf);
  const scenario: Scenario = { name, description, durationMs, topology };
  const parsed: Scenario = {
    ...scenario,
    ...defined('probeIntervalMs', optional(root.probeIntervalMs, (v) => integer(v, 'probeIntervalMs', 0, SCENARIO_DURATION_MS_MAX))),
    ...defined('healWindowMs', optional(root.healWindowMs, (v) => integer(v, 'healWindowMs', 1, SCENARIO_DURATION_MS_MAX))),
    ...defined('overlayEveryMs', optional(root.overlayEveryMs, (v) => integer(v, 'overlayEveryMs', 0, SCENARIO_DURATION_MS_MAX))),
    ...defined('profile', optional(root.profile, (v) => oneOf(v, 'profile', NODE_PROFILES))),
    ...defined('node', optional(root.node, nodeOf)),
    ...defined('network', network?.config),
    ...defined('link', network?.link),
    ...defined('workload', optional(root.workload, (v) => workloadOf(v, meshIds))),
  };
  const late = runEndsEarly(parsed);
  if (late !== null) throw new FieldProblem(late);
  const cacheless = profileWithoutPeerCache(parsed);
  if (cacheless !== null) throw new FieldProblem(cacheless);
  return parsed;
}

function nodeOf(value: unknown): NonNullable<Scenario['node']> {
  const node = object(value, 'node', ['hyparview', 'plumtree', 'substrate']);
  const hyparview = optional(node.hyparview, (v) => integers<HyParViewConfig>(v, 'node.hyparview', HYPARVIEW_RANGES));
  const plumtree = optional(node.plumtree, (v) => integers<PlumtreeConfig>(v, 'node.plumtree', PLUMTREE_RANGES));
  const substrate = optional(node.substrate, substrateOf) ?? {};
  const hv = { ...HYPARVIEW_DEFAULTS, ...hyparview };
  if (hv.passiveRandomWalkLength > hv.activeRandomWalkLength) {
    throw new FieldProblem('node.hyparview.passiveRandomWalkLength must not exceed activeRandomWalkLength');
  }
  const pt = { ...PLUMTREE_DEFAULTS, ...plumtree };
  if (pt.messageCacheRetentionMs > pt.messageIdRetentionMs) {
    throw new FieldProblem('node.plumtree.messageCacheRetentionMs must not exceed messageIdRetentionMs');
  }
  const sub = { ...MESH_NODE_DEFAULTS, ...substrate };
  if (sub.seedRetryBaseMs > sub.seedRetryMaxMs) throw new FieldProblem('node.substrate.seedRetryBaseMs must not exceed seedRetryMaxMs');
  const topic = { ...defined('hyparview', hyparview), ...defined('plumtree', plumtree) };
  return { ...substrate, ...(hyparview || plumtree ? { topic } : {}) };
}

function networkOf(value: unknown): { config: Partial<NetworkConfig>; link?: Partial<LinkState> } {
  const keys = [...Object.keys(NETWORK_RANGES), ...Object.keys(LINK_RANGES), 'deadPeer'];
  const net = object(value, 'network', keys);
  const config: Record<string, unknown> = {};
  for (const key of Object.keys(NETWORK_RANGES) as NetworkKey[]) {
    if (net[key] !== undefined) config[key] = integer(net[key], `network.${key}`, ...NETWORK_RANGES[key]);
  }
  const merged = { ...DEFAULT_NETWORK_CONFIG, ...config };
  if (merged.rtoMinMs > merged.rtoMaxMs) throw new FieldProblem('network.rtoMinMs must not exceed rtoMaxMs');
  if (net.deadPeer !== undefined) config.deadPeer = oneOf(net.deadPeer, 'network.deadPeer', DEAD_PEER_MODES);
  const link: Partial<LinkState> = {
    ...defined('latencyMs', optional(net.latencyMs, (v) => integer(v, 'network.latencyMs', ...LINK_RANGES.latencyMs))),
    ...defined('jitterMs', optional(net.jitterMs, (v) => integer(v, 'network.jitterMs', ...LINK_RANGES.jitterMs))),
    ...defined('bandwidthBytesPerSec', optional(net.bandwidthBps, (v) => integer(v, 'network.bandwidthBps', ...LINK_RANGES.bandwidthBps))),
    ...lossOf(net.lossPct),
  };
  return { config: config as Partial<NetworkConfig>, ...(Object.keys(link).length > 0 ? { link: { ...DEFAULT_LINK, ...link } } : {}) };
}

function lossOf(value: unknown): Partial<LinkState> {
  if (value === undefined) return {};
  const pct = number(value, 'network.lossPct', ...LINK_RANGES.lossPct);
  const lossNum = Math.round(pct * (LOSS_DEN / 100));
  if (Math.abs(lossNum - pct * (LOSS_DEN / 100)) > 1e-6) throw new FieldProblem('network.lossPct must have at most two decimals');
  return { lossNum, lossDen: LOSS_DEN };
}

function workloadOf(value: unknown, meshIds: readonly string[]): WorkloadEntry[] {
  if (!Array.isArray(value)) throw new FieldProblem('workload must be an array');
  if (value.length > WORKLOAD_ENTRIES_MAX) throw new FieldProblem(`workload has more than ${WORKLOAD_ENTRIES_MAX} entries`);
  return value.map((v: unknown, i: number) => {
    const where = `workload[${i}]`;
    const kind = oneOf(object(v, where, null).kind, `${where}.kind`, ['broadcast', 'failure'] as const);
    return kind === 'broadcast' ? broadcastOf(v, where, meshIds) : failureOf(v, where);
  });
}

function broadcastOf(value: unknown, where: string, meshIds: readonly string[]): WorkloadEntry {
  const e = object(value, where, ['kind', 'sender', 'meshId', 'fromMs', 'everyMs', 'count', 'sizeBytes']);
  const sender: BroadcastSender =
    e.sender === undefined || e.sender === 'random' || e.sender === 'fixed' || e.sender === 'all'
      ? ((e.sender as BroadcastSender | undefined) ?? 'random')
      : { name: nameString(e.sender, `${where}.sender`) };
  const meshId = optional(e.meshId, (v) => nameString(v, `${where}.meshId`));
  if (meshId !== undefined && !meshIds.includes(meshId)) throw new FieldProblem(`${where}.meshId ${JSON.stringify(meshId)} is not a mesh of the topology`);
  const count = optional(e.count, (v) => integer(v, `${where}.count`, 1, WORKLOAD_BROADCASTS_MAX)) ?? 1;
  const everyMs = optional(e.everyMs, (v) => integer(v, `${where}.everyMs`, 1, SCENARIO_DURATION_MS_MAX));
  if (count > 1 && everyMs === undefined) throw new FieldProblem(`${where}.everyMs is required when count > 1`);
  return {
    kind: 'broadcast',
    sender,
    ...defined('meshId', meshId),
    fromMs: integer(e.fromMs, `${where}.fromMs`, 0, SCENARIO_DURATION_MS_MAX),
    everyMs: everyMs ?? 1,
    count,
    ...defined('sizeBytes', optional(e.sizeBytes, (v) => integer(v, `${where}.sizeBytes`, 1, GOSSIP_CONTENT_MAX_BYTES))),
  };
}

function failureOf(value: unknown, where: string): WorkloadEntry {
  const e = object(value, where, ['kind', 'atMs', 'fraction', 'count', 'mode']);
  if ((e.fraction === undefined) === (e.count === undefined)) throw new FieldProblem(`${where} needs exactly one of fraction and count`);
  return {
    kind: 'failure',
    atMs: integer(e.atMs, `${where}.atMs`, 0, SCENARIO_DURATION_MS_MAX),
    ...defined('fraction', optional(e.fraction, (v) => number(v, `${where}.fraction`, 0, 1))),
    ...defined('count', optional(e.count, (v) => integer(v, `${where}.count`, 0, SCENARIO_NODES_MAX))),
    mode: optional(e.mode, (v) => oneOf(v, `${where}.mode`, ['crash', 'vanish'] as const)) ?? 'crash',
  };
}

/** An object of integer fields, each within its range; unknown keys are problems. */
function substrateOf(value: unknown): Partial<Omit<MeshNodeConfig, 'topic' | 'variant' | 'profile'>> {
  const fields = object(value, 'node.substrate', [...Object.keys(SUBSTRATE_RANGES), ...SUBSTRATE_SWITCHES]);
  const numbers = integers<Record<SubstrateKey, number>>(Object.fromEntries(Object.entries(fields).filter(([k]) => k in SUBSTRATE_RANGES)), 'node.substrate', SUBSTRATE_RANGES);
  const switches: Record<string, boolean> = {};
  for (const key of SUBSTRATE_SWITCHES) if (fields[key] !== undefined) switches[key] = boolean(fields[key], `node.substrate.${key}`);
  return { ...numbers, ...switches };
}

function integers<T>(value: unknown, where: string, ranges: { readonly [key: string]: Range }): Partial<T> {
  const fields = object(value, where, Object.keys(ranges));
  const out: Record<string, number> = {};
  for (const key of Object.keys(ranges)) {
    if (fields[key] !== undefined) out[key] = integer(fields[key], `${where}.${key}`, ...ranges[key]);
  }
  return out as Partial<T>;
}

function optional<T>(value: unknown, parse: (v: unknown) => T): T | undefined {
  return value === undefined ? undefined : parse(value);
}

/** `{ [key]: value }` when value is defined, else `{}` (for spreading optional fields). */
function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * Why a Scenario built in code is outside the ranges a scenario file is held to (null when it is
 * not): its phases, topology counts, node settings, network timers and default link. A file
 * gets these checks from its parser; a Scenario object reached the simulator's own asserts
 * (`durationMs: -1` threw an AssertionError from the scheduler) or ran with a negative latency.
 * What only code can say (workloads, extensions, assertions, a node variant) is the code's.
 */
/** Why the scenario asks for a peer cache its profile has none of (null when it does not). */
function profileWithoutPeerCache(s: Scenario): string | null {
  return s.node?.rejoinFromPeerCache === true && s.profile === 'protocol'
    ? 'node.substrate.rejoinFromPeerCache needs profile "full": the protocol profile keeps no peer cache'
    : null;
}

export function scenarioProblem(s: Scenario): string | null {
  const checked = catchFieldProblem(() => checkScenario(s));
  return checked.ok ? null : checked.error;
}

function checkScenario(s: Scenario): void {
  if (typeof s.name !== 'string' || s.name === '') throw new FieldProblem('name must be a non-empty string');
  integer(s.durationMs, 'durationMs', 1, SCENARIO_DURATION_MS_MAX);
  optional(s.healWindowMs, (v) => integer(v, 'healWindowMs', 1, SCENARIO_DURATION_MS_MAX));
  optional(s.probeIntervalMs, (v) => integer(v, 'probeIntervalMs', 0, SCENARIO_DURATION_MS_MAX));
  optional(s.overlayEveryMs, (v) => integer(v, 'overlayEveryMs', 0, SCENARIO_DURATION_MS_MAX));
  optional(s.profile, (v) => oneOf(v, 'profile', NODE_PROFILES));
  const t = s.topology;
  if (typeof t !== 'object' || t === null || !Array.isArray(t.meshes) || t.meshes.length === 0) throw new FieldProblem('topology.meshes must be a non-empty array');
  if (t.meshes.length > SCENARIO_MESHES_MAX) throw new FieldProblem(`topology.meshes has more than ${SCENARIO_MESHES_MAX} meshes`);
  let nodes = integer(t.bridges, 'topology.bridges', 0, SCENARIO_NODES_MAX) + (t.observer === false ? 0 : 1);
  t.meshes.forEach((m, i) => {
    if (!Array.isArray(m?.roles) || m.roles.length === 0) throw new FieldProblem(`topology.meshes[${i}].roles must be a non-empty array of [role, count] pairs`);
    m.roles.forEach((r: unknown, k: number) => {
      nodes += integer(Array.isArray(r) ? r[1] : undefined, `topology.meshes[${i}].roles[${k}] count`, 0, SCENARIO_NODES_MAX);
    });
  });
  if (nodes > SCENARIO_NODES_MAX) throw new FieldProblem(`topology has ${nodes} nodes, more than ${SCENARIO_NODES_MAX}`);
  optional(t.bootSpacingMs, (v) => integer(v, 'topology.bootSpacingMs', 0, 60_000));
  const topic = s.node?.topic;
  if (topic?.hyparview !== undefined) integers<HyParViewConfig>(topic.hyparview, 'node.topic.hyparview', HYPARVIEW_RANGES);
  if (topic?.plumtree !== undefined) integers<PlumtreeConfig>(topic.plumtree, 'node.topic.plumtree', PLUMTREE_RANGES);
  for (const key of Object.keys(SUBSTRATE_RANGES) as SubstrateKey[]) {
    const v = s.node?.[key];
    if (v !== undefined) integer(v, `node.${key}`, ...SUBSTRATE_RANGES[key]);
  }
  for (const key of SUBSTRATE_SWITCHES) {
    const v = s.node?.[key];
    if (v !== undefined) boolean(v, `node.${key}`);
  }
  const cacheless = profileWithoutPeerCache(s);
  if (cacheless !== null) throw new FieldProblem(cacheless);
  for (const key of Object.keys(NETWORK_RANGES) as NetworkKey[]) {
    const v = s.network?.[key];
    if (v !== undefined) integer(v, `network.${key}`, ...NETWORK_RANGES[key]);
  }
  const link = s.link;
  if (link !== undefined) {
    optional(link.latencyMs, (v) => integer(v, 'link.latencyMs', ...LINK_RANGES.latencyMs));
    optional(link.jitterMs, (v) => integer(v, 'link.jitterMs', ...LINK_RANGES.jitterMs));
    optional(link.bandwidthBytesPerSec, (v) => integer(v, 'link.bandwidthBytesPerSec', ...LINK_RANGES.bandwidthBps));
    const den = optional(link.lossDen, (v) => integer(v, 'link.lossDen', 1, Number.MAX_SAFE_INTEGER)) ?? DEFAULT_LINK.lossDen;
    optional(link.lossNum, (v) => integer(v, 'link.lossNum', 0, den));
  }
}
