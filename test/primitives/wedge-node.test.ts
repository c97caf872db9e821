/**
 * WedgeNode. Goal: slow is not dead — while a node is wedged for less than the idle timeout
 * nobody disconnects it, drops it from a view or prunes its digest, and after the unwedge it
 * heartbeats again and delivers a fresh probe; the detector goes red (failed_assertion) when
 * the transport's idle timeout is shorter than the wedge, so peers declare the slow node dead.
 * Method: the `wedge-node-2s` and `wedge-node-5s` battery scenarios over two seeds each, then
 * `wedge-node-5s` on a network with a 3 s idle timeout (keep-alive 1 s).
 */
import { describe, expect, it } from 'vitest';
import { expectGreen, explain, runChaos } from '../support/chaos.js';

describe('wedge_node', () => {
  it('wedge-node-2s', () => {
    for (const run of expectGreen('wedge-node-2s', ['1', '2'], ['mesh.heartbeat', 'mesh.probe.delivered'])) {
      expect(run.events[0].params).toEqual({ durationMs: 2_000 });
      expect(run.events[0].revertedAtMs).toBe(run.events[0].atMs + 2_000);
    }
  });

  it('wedge-node-5s', () => {
    for (const run of expectGreen('wedge-node-5s', ['1', '2'], ['mesh.heartbeat', 'mesh.probe.delivered'])) {
      const e = run.events[0];
      expect(e.params).toEqual({ durationMs: 5_000 });
      // Catching up is judged after the unwedge.
      expect(e.waitedMs).toBeGreaterThan(5_000);
      expect(e.evidence.some((s) => s.startsWith(`${e.targets[0]}:mesh.probe.delivered`))).toBe(true);
    }
  });

  it('wedge-node-5s goes red when the idle timeout is shorter than the wedge (slow taken for dead)', () => {
    const run = runChaos('wedge-node-5s', '1', undefined, { network: { idleTimeoutMs: 3_000, keepAliveMs: 1_000 } });
    expect(run.events[0].verdict, explain(run)).toBe('failed_assertion');
    expect(run.events[0].message).toMatch(/treated slow .* as dead: mesh\.peer\.disconnected/);
    expect(run.report.verdict).toBe('fail');
  });
});
