/**
 * The ledger of deliveries (src/mesh/delivery-ledger.ts) as a unit. Goal: a repeat is reported
 * per reader, never across readers; readers added after a message was first noted get their own
 * bit; a message is forgotten only once no reader delivered it for more than the retention, and
 * forgetting passes run at most every 5 s. Method: direct calls with virtual times.
 */
import { describe, expect, it } from 'vitest';
import { DELIVERED_RETENTION_MS, DeliveryLedger } from '../src/mesh/delivery-ledger.js';

describe('delivery ledger', () => {
  it('reports a repeat for the reader that delivered before, not for the others', () => {
    const l = new DeliveryLedger();
    const readers = Array.from({ length: 20 }, () => l.addReader());
    expect(readers).toEqual([...Array(20).keys()]);
    expect(readers.map((r) => l.record(r, 'm', 1_000))).toEqual(readers.map(() => false));
    expect(readers.map((r) => l.record(r, 'm', 1_001))).toEqual(readers.map(() => true));
    expect(l.record(3, 'n', 1_002)).toBe(false);
    expect(readers.map((r) => l.delivered(r, 'n'))).toEqual(readers.map((r) => r === 3));
  });

  it('gives a reader added after a message was noted a bit of its own', () => {
    const l = new DeliveryLedger();
    for (let i = 0; i < 8; i++) l.addReader();
    l.record(7, 'm', 0); // the record has one byte
    const late = l.addReader(); // reader 8: past that byte
    expect(l.delivered(late, 'm')).toBe(false);
    expect(l.record(late, 'm', 1)).toBe(false);
    expect(l.record(late, 'm', 2)).toBe(true);
    expect([l.delivered(7, 'm'), l.delivered(0, 'm')]).toEqual([true, false]);
  });

  it('forgets a message once nobody delivered it for more than the retention, at most every 5 s', () => {
    const l = new DeliveryLedger();
    const [r0, r1] = [l.addReader(), l.addReader()];
    l.record(r0, 'a', 0);
    l.record(r0, 'b', 0);
    l.record(r1, 'b', 10_000); // b stays while r1's delivery is young
    l.forget(DELIVERED_RETENTION_MS); // exactly 120 s: kept
    expect([l.lastDeliveryMs('a'), l.lastDeliveryMs('b')]).toEqual([0, 10_000]);
    l.forget(DELIVERED_RETENTION_MS + 4_999); // within 5 s of the last pass: no pass
    expect(l.size).toBe(2);
    l.forget(DELIVERED_RETENTION_MS + 5_000);
    expect([l.lastDeliveryMs('a'), l.delivered(r0, 'b')]).toEqual([undefined, true]);
    l.forget(DELIVERED_RETENTION_MS + 10_001);
    expect(l.size).toBe(0);
    expect(l.record(r0, 'b', 200_000)).toBe(false); // forgotten: a new delivery, not a repeat
  });
});
