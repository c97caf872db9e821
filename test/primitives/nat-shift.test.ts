/**
 * NatShift. Goal: after a node's address is remapped, its old connections die (idle timeout)
 * and new ones form at the new address; it has neighbours again and probes flow both ways. The
 * detector goes red when the mesh cannot re-form, and when nothing was shifted at all.
 * Method: the `nat-shift` battery scenario over two seeds; then the same with lost peers not
 * reported to the overlay (`disablePeerDown`: dead neighbours stay in the active views, so the
 * victim never gets new ones); then the detector pointed at a shift that was never applied.
 */
import { describe, expect, it } from 'vitest';
import { natShift } from '../../src/primitives/nat-shift.js';
import { expectGreen, explain, runChaos } from '../support/chaos.js';
import { runUnappliedDetector } from '../support/chaos-clocks.js';

describe('nat_shift', () => {
  it('nat-shift', () => {
    expectGreen('nat-shift', ['1', '2'], ['mesh.peer.disconnected', 'mesh.peer.connected']);
  });

  it('nat-shift goes red when lost peers are not reported to the overlay', () => {
    const run = runChaos('nat-shift', '1', { disablePeerDown: true }, { liveness: false });
    expect(run.events[0].verdict, explain(run)).toBe('failed_timeout');
    expect(run.report.verdict).toBe('fail');
  });

  it('nat-shift goes red when the shift was never applied (no old path dies)', () => {
    const out = runUnappliedDetector('nat-shift', '2', natShift);
    expect(out.fault).not.toBeNull();
    expect(out.verdict?.result).toBe('failed_timeout');
  });
});
