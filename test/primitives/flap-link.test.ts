/**
 * FlapLink. Goal: a link that goes down and up repeatedly causes no reconnect storm between its
 * ends and the mesh ends connected; and the detector goes red on a storm. Method: the
 * `flap-link` battery scenario over two seeds; then a network whose idle and dial timeouts are
 * short enough that every down really drops the connection — green with the real node, red
 * with a node variant that re-dials a lost peer at once and after every failed dial.
 */
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../src/scenario/scenario.js';
import { expectGreen, explain, runChaos } from '../support/chaos.js';

/** Every 3 s down outlives the connection (idle 1.5 s) and any dial in it (dial timeout 250 ms). */
const HARSH_NETWORK: Partial<Scenario> = { network: { keepAliveMs: 500, idleTimeoutMs: 1_500, dialTimeoutMs: 250 } };

describe('flap_link', () => {
  it('flap-link', () => {
    expectGreen('flap-link', ['1', '2'], ['mesh.probe.delivered']);
  });

  it('flap-link stays within the dial bound when every down drops the connection', () => {
    const run = runChaos('flap-link', '1', undefined, HARSH_NETWORK);
    expect(run.events[0].verdict, explain(run)).toBe('passed');
  });

  it('flap-link goes red when lost peers are re-dialled without backoff', () => {
    const run = runChaos('flap-link', '1', { redialLostPeers: true }, HARSH_NETWORK);
    expect(run.events[0].verdict, explain(run)).toBe('failed_assertion');
    expect(run.events[0].message).toMatch(/reconnect storm/);
    expect(run.report.verdict).toBe('fail');
  });
});
