/**
 * The chaos battery (SPEC §6): one named scenario per primitive setting, each the default
 * layout with one chaos event after the mesh has formed; the event's detection must pass and,
 * after revert and the heal window, the liveness checks must hold.
 */
import { addChaos, chaosExtension, type ChaosConfig } from '../primitives/engine.js';
import type { ParamValue, PrimitiveName } from '../primitives/types.js';
import type { Scenario } from '../scenario/scenario.js';
import { DEFAULT_TOPOLOGY } from '../scenario/topology.js';

/** When battery events fire: the default mesh has formed and digests have flowed. */
export const BATTERY_EVENT_AT_MS = 20_000;

export function batteryScenario(
  name: string,
  primitive: PrimitiveName,
  overrides: Readonly<Record<string, ParamValue>> = {},
  durationMs = 90_000,
  description = `one ${primitive} on the default layout at ${BATTERY_EVENT_AT_MS / 1000} s; its detection must pass and the mesh heal`,
): Scenario {
  return {
    name,
    description,
    topology: DEFAULT_TOPOLOGY,
    durationMs,
    extensions: [chaosExtension({ events: [{ atMs: BATTERY_EVENT_AT_MS, primitive, overrides }] })],
  };
}

/** A copy of `base` with `config` chaos added (e.g. `--chaos 3`), to the chaos `base` already has if any (one engine per run). */
export function withChaos(base: Scenario, config: ChaosConfig, name = base.name): Scenario {
  return { ...base, name, extensions: addChaos(base.extensions ?? [], config) };
}

/** The named battery; parameters are the primitives' override keys. */
const BATTERY: Scenario[] = [
  batteryScenario('kill-node', 'kill_node'),
  batteryScenario('restart-node', 'restart_node'),
  batteryScenario('burst-kill-3', 'burst_kill', { count: 3 }),
  batteryScenario('burst-kill-5', 'burst_kill', { count: 5 }),
  batteryScenario('wedge-node-2s', 'wedge_node', { durationMs: 2_000 }),
  batteryScenario('wedge-node-5s', 'wedge_node', { durationMs: 5_000 }),
  batteryScenario('disk-full', 'disk_full'),
  batteryScenario('partition-pair', 'partition_pair'),
  batteryScenario('partition-subset', 'partition_subset'),
  batteryScenario('flap-link', 'flap_link'),
  batteryScenario('firewall-inbound', 'firewall_inbound'),
  batteryScenario('clock-skew-5s', 'clock_skew', { skewMs: 5_000 }),
  batteryScenario('clock-skew-60s', 'clock_skew', { skewMs: 60_000 }),
  batteryScenario('nat-shift', 'nat_shift'),
  batteryScenario('slow-link-100ms', 'slow_link', { latencyMs: 100 }),
  batteryScenario('slow-link-500ms', 'slow_link', { latencyMs: 500 }),
  batteryScenario('lossy-link-10pct', 'lossy_link', { lossPct: 10 }),
  batteryScenario('lossy-link-25pct', 'lossy_link', { lossPct: 25 }),
];

/** The soak's pool (SPEC §6). */
export const SOAK_POOL: readonly PrimitiveName[] = [
  'burst_kill',
  'clock_skew',
  'disk_full',
  'kill_node',
  'lossy_link',
  'nat_shift',
  'restart_node',
  'slow_link',
  'wedge_node',
];

/** Soak: one primitive from the 9-primitive pool every 10 s, 15 % flake budget (SPEC §6). */
export function soakScenario(name: string, durationMs: number, flakeBudgetPct = 15): Scenario {
  return {
    name,
    description: `a primitive from the 9-primitive pool every 10 s for ${durationMs / 60_000} min on the default layout, roles kept alive, ${flakeBudgetPct} % flake budget`,
    topology: DEFAULT_TOPOLOGY,
    durationMs,
    extensions: [chaosExtension({ soak: { pool: SOAK_POOL, intervalMs: 10_000 }, flakeBudgetPct })],
  };
}

const SOAKS: Scenario[] = [soakScenario('chaos-soak-9prim-1min', 60_000), soakScenario('chaos-soak-9prim-5min', 300_000)];

/** Battery and soak scenarios. */
export const CHAOS_BATTERY: Scenario[] = [...BATTERY, ...SOAKS];

