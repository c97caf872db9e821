/**
 * A peer's redial under chaos (src/mesh/peers.ts, `closeIfDead`). Goal: after a NAT shift, a
 * peer that idled the victim out and dialled it again while the victim's end of their old
 * connection had been silent for less than a keep-alive period and a half still leaves no
 * one-sided link: the victim closes that connection as a dead path, and its views drop the peer
 * as the peer's dropped it. Method: the random layout under chaos that found the bug, run with
 * the rule and with the test double that keeps dead paths (`keepDeadPaths`).
 */
import { describe, expect, it } from 'vitest';
import { parseScenarioJson } from '../src/scenario/scenario-json.js';
import { passedEvent, runRandomChaos, withoutAckIdleRestart } from './support/chaos.js';

// Four meshes of mixed roles, two bridges, the observer; protocol profile.
const PARSED = parseScenarioJson({
  name: 'four-meshes-two-bridges',
  profile: 'protocol',
  topology: {
    meshes: [
      { meshId: 'mesh-a', roles: { gateway: 3, compute: 5, registry: 10, broker: 6 } },
      { meshId: 'mesh-b', roles: { gateway: 3 } },
      { meshId: 'mesh-c', roles: { gateway: 9, compute: 9 } },
      { meshId: 'mesh-d', roles: { gateway: 4, compute: 8, broker: 1 } },
    ],
    bridges: 2,
    observer: true,
  },
  bootSpacingMs: 20,
  durationMs: 120_000,
  healWindowMs: 30_000,
});
if (!PARSED.ok) throw new Error(PARSED.error);
const LAYOUT = PARSED.scenario;

describe('a peer that dials again after idling the victim out', () => {
  // Seed 3921, --chaos 15: bridge-7decfe82 was NAT-shifted at 47.8 s. bridge-fdcd574b's idle
  // timeout ran from the last packet it had heard, earlier than the last the victim heard from
  // it, and it dialled the victim again at 65.7 s, when the victim's end of their connection had
  // been silent 20.6 s: under the 22.5 s after which a silent connection counts as dead.
  it('finds the old connection closed as a dead path, and the run passes', () => {
    const run = runRandomChaos(withoutAckIdleRestart(LAYOUT), 15, '3921');
    const { cluster } = run;
    const shift = passedEvent(run, (e) => e.primitive === 'nat_shift' && e.targets[0] === 'bridge-7decfe82');
    expect(shift.atMs).toBe(47_798);
    const closed = cluster.telemetry.query.find({ name: 'mesh.peer.disconnected', node: 'bridge-7decfe82', attrs: { cause: 'dead-path' } });
    const other = cluster.idOfName('bridge-fdcd574b');
    const close = closed.find((s) => s.attrs.peerId === other);
    expect(close?.startMs).toBe(65_749);
  });

  it('with dead paths kept (keepDeadPaths) the victim holds the bridge where the bridge no longer holds it, and the run fails', () => {
    // Without the protocol profile's stranded rejoin too: it rejoins the stranded bridge through a seed.
    const run = runRandomChaos(withoutAckIdleRestart(LAYOUT), 15, '3921', { keepDeadPaths: true, disableStrandedRejoin: true });
    expect(run.report.verdict).toBe('fail');
    const messages = run.report.violations.map((v) => `${v.check}: ${v.message}`);
    expect(messages).toContain('views-symmetric: mesh-b: bridge-7decfe82 → bridge-fdcd574b is not returned');
  });
});
