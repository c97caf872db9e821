/**
 * Who a probe or broadcast is expected at (src/scenario/probes.ts). Goal: the list is exactly the
 * topic's running subscribers when it is sent, and probes share one list while no host's status
 * changes, so a long run's broadcasts hold O(nodes) of lists, not nodes × broadcasts (the metrics
 * keep one set per list). Method: a booted two-mesh cluster; probes seconds apart, then after a
 * kill, a wedge and an unwedge, each list compared with the running subscribers at its send.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../src/scenario/cluster.js';
import { ProbeWorkload } from '../src/scenario/probes.js';
import { standardMesh } from '../src/scenario/topology.js';

function booted(): { cluster: Cluster; probes: ProbeWorkload; running: (meshId: string) => string[] } {
  const cluster = new Cluster({ seed: 'probe-expected', topology: { meshes: [standardMesh('mesh-a', 1), standardMesh('mesh-b', 1)], bridges: 1 } });
  cluster.boot();
  cluster.scheduler.runFor(10_000);
  const running = (meshId: string) => cluster.subscribers(meshId).filter((p) => cluster.host(p.nodeId).status === 'running').map((p) => p.nodeId);
  return { cluster, probes: new ProbeWorkload(cluster), running };
}

describe('probe expected lists', () => {
  it('are shared by the probes of a topic while nobody starts, stops or wedges, seconds apart and across topics', () => {
    const { cluster, probes, running } = booted();
    const a1 = probes.probe('mesh-a')!;
    const b1 = probes.probe('mesh-b')!;
    cluster.scheduler.runFor(3_000);
    const a2 = probes.probe('mesh-a')!;
    const b2 = probes.probe('mesh-b')!;
    expect(a1.sentAtMs).not.toBe(a2.sentAtMs);
    expect(a2.expected).toBe(a1.expected); // the same list, not a copy per probe
    expect(b2.expected).toBe(b1.expected);
    expect([...a1.expected]).toEqual(running('mesh-a'));
    expect([...b1.expected]).toEqual(running('mesh-b'));
    expect(a1.expected).not.toEqual(b1.expected);
  });

  it('are made anew after a kill, a wedge and an unwedge, each the running subscribers of its moment', () => {
    const { cluster, probes, running } = booted();
    const before = probes.probe('mesh-a')!;
    const [victim, wedged] = cluster.subscribers('mesh-a').slice(1, 3).map((p) => p.nodeId);
    cluster.host(victim).kill();
    const afterKill = probes.probe('mesh-a')!;
    expect(afterKill.expected).not.toBe(before.expected);
    expect(afterKill.expected).not.toContain(victim);
    expect([...afterKill.expected]).toEqual(running('mesh-a'));
    cluster.host(wedged).wedge();
    const whileWedged = probes.probe('mesh-a')!;
    expect(whileWedged.expected).not.toContain(wedged);
    expect([...whileWedged.expected]).toEqual(running('mesh-a'));
    cluster.host(wedged).unwedge();
    const afterUnwedge = probes.probe('mesh-a')!;
    expect(afterUnwedge.expected).toContain(wedged);
    expect([...afterUnwedge.expected]).toEqual(running('mesh-a'));
    expect(before.expected).toContain(victim); // an earlier list is left as it was
  });
});
