/**
 * Settings a scenario may combine that make the protocols misbehave by design, said before the
 * run so that its verdict is read with them in mind (`meshsim run` prints each as a note). Pure:
 * no IO; nothing here changes the run.
 */
import { PLUMTREE_DEFAULTS } from '../protocol/plumtree-types.js';
import { DEFAULT_LINK } from '../sim/network/index.js';
import { MESH_NODE_DEFAULTS } from '../mesh/config.js';
import { DEFAULT_HEAL_WINDOW_MS, type Scenario } from './scenario.js';

/**
 * One line per setting that works against another. Plumtree's second graft timeout is how long
 * a node waits for the answer to a Graft before it asks the next advertiser, and after the last
 * one it gives the message up (`mesh.plumtree.gave_up`): shorter than a round trip on the link,
 * no Graft can be answered in time. The defaults (40 ms) were made for a LAN; random layouts at
 * 400 ms a hop gave up thousands of messages a run, and their probes went undelivered, while
 * graft timeouts above the round trip passed the same runs.
 */
export function settingsAdvice(scenario: Scenario): string[] {
  const link = { ...DEFAULT_LINK, ...scenario.link };
  const roundTripMs = 2 * (link.latencyMs + link.jitterMs);
  const graftTimeout2Ms = scenario.node?.topic?.plumtree?.graftTimeout2Ms ?? PLUMTREE_DEFAULTS.graftTimeout2Ms;
  const out: string[] = [];
  if (graftTimeout2Ms < roundTripMs) {
    out.push(
      `node.plumtree.graftTimeout2Ms (${graftTimeout2Ms} ms) is shorter than a round trip on the network's link (${roundTripMs} ms): ` +
        'a Graft cannot be answered before the next advertiser is asked, and lazy repair gives messages up (mesh.plumtree.gave_up); ' +
        'set graftTimeout1Ms and graftTimeout2Ms above the round trip',
    );
  }
  // The full profile re-merges a split overlay when a node has not heard a seed's digest for the
  // staleness TTL: its next seed check then joins through that seed. A heal window shorter than
  // that closes before a split that outlived the main phase can mend (random layouts with a 60 s
  // TTL and a 30 s window under chaos: an overlay split in two through the window). Said only of
  // runs with chaos (the engine's extension, found as `addChaos` finds it), which split overlays.
  const chaos = (scenario.extensions ?? []).some((e) => 'chaosConfigs' in e);
  const profile = scenario.profile ?? MESH_NODE_DEFAULTS.profile;
  const ttlMs = scenario.node?.stalenessTtlMs ?? MESH_NODE_DEFAULTS.stalenessTtlMs;
  const checkMs = scenario.node?.seedCheckIntervalMs ?? MESH_NODE_DEFAULTS.seedCheckIntervalMs;
  const healMs = scenario.healWindowMs ?? DEFAULT_HEAL_WINDOW_MS;
  if (chaos && profile === 'full' && scenario.liveness !== false && healMs < ttlMs + checkMs) {
    out.push(
      `healWindowMs (${healMs} ms) is shorter than the staleness TTL + seed check (${ttlMs + checkMs} ms): ` +
        'a split overlay re-merges only once a seed\'s digest has gone unheard for the TTL, and the window may close first',
    );
  }
  return out;
}
