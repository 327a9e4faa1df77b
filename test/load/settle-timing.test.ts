import { afterEach, describe, expect, it } from 'vitest';
import { eventsOf, markDone, markInFlight } from '../../src/ledger/events.js';
import { toOutgoing } from '../../src/load/outgoing.js';
import { expectMigratedExactly, harness, keysInRivo, population, runLoad, statuses, type Harness, withSettleDelay } from './harness.js';

/**
 * When uncertain writes are settled (issue 13: resume after a kill). A key found by a read-back is proof whenever it
 * is read, so what Rivo already has is settled at once; only what is not found waits `settleDelayMs` (a slow server
 * may still be applying it) and is read again, and only that second read may conclude absent.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const DELAY = 4000;

describe('settling without waiting for what Rivo already has', () => {
  it('writes in flight at a crash that Rivo applied: settled done by the first read, without waiting settleDelayMs', async () => {
    h = await harness(population(6));
    const [a, b] = h.customers;
    const rows = [a!, b!].flatMap((c) => eventsOf(h!.db, c.key).filter((e) => e.kind === 'points'));
    markInFlight(h.db, rows.map((e) => e.key), 'crashed');
    h.sb.rivo.createBatch(rows.map(toOutgoing), new Date());

    const t0 = Date.now();
    const summary = await runLoad(h, withSettleDelay(h, DELAY));
    const took = Date.now() - t0;
    expect(summary.interruptedAtStart).toBe(rows.length);
    expect(summary.settled).toMatchObject({ found: rows.length, absent: 0, held: 0 });
    expect(took).toBeLessThan(DELAY / 2);
    for (const r of rows) expect(eventsOf(h.db, r.customer_key).find((e) => e.key === r.key)?.status).toBe('done');
    expect(summary.exitCode).toBe(0);
    expectMigratedExactly(h);
  });

  it('a tier update in flight at a crash that Rivo applied: done at once, not resent', async () => {
    h = await harness([{ points: 10, balance: 5, setTier: '9003' }]);
    const c = h.customers[0]!;
    const points = eventsOf(h.db, c.key).filter((e) => e.kind === 'points');
    h.sb.rivo.createBatch(points.map(toOutgoing), new Date());
    markDone(h.db, points.map((e) => ({ key: e.key })));
    const tier = eventsOf(h.db, c.key).find((e) => e.kind === 'tier')!;
    markInFlight(h.db, [tier.key], 'crashed');
    await h.rivo.setVipTier(c.rivoId, '9003');
    const writes = h.sb.stats().rivo.writes;

    const t0 = Date.now();
    const summary = await runLoad(h, withSettleDelay(h, DELAY));
    expect(Date.now() - t0).toBeLessThan(DELAY / 2);
    expect(summary.settled).toMatchObject({ found: 1, absent: 0 });
    expect(h.sb.stats().rivo.writes).toBe(writes);
    expect(eventsOf(h.db, c.key).find((e) => e.key === tier.key)?.status).toBe('done');
    expectMigratedExactly(h);
  });

  it('a write in flight at a crash that never reached Rivo: concluded absent only by the read after the delay, sent once', async () => {
    h = await harness(population(3));
    const c = h.customers[0]!;
    const rows = eventsOf(h.db, c.key).filter((e) => e.kind === 'points');
    markInFlight(h.db, rows.map((e) => e.key), 'crashed');

    const t0 = Date.now();
    const summary = await runLoad(h, withSettleDelay(h, 1500));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(summary.settled).toMatchObject({ found: 0, absent: rows.length });
    expectMigratedExactly(h);
  });
});

describe('a server that applies a write late is never read as "absent" early', () => {
  it('in flight at a crash, applied by Rivo after the first read: found by the read after the delay, never sent twice', async () => {
    h = await harness(population(4));
    const c = h.customers[0]!;
    const rows = eventsOf(h.db, c.key).filter((e) => e.kind === 'points');
    markInFlight(h.db, rows.map((e) => e.key), 'crashed');
    // The crashed run's request is still being applied: it lands 600 ms into the next run.
    const late = setTimeout(() => h!.sb.rivo.createBatch(rows.map(toOutgoing), new Date()), 600);

    try {
      const t0 = Date.now();
      const summary = await runLoad(h, withSettleDelay(h, 1500));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
      expect(summary.settled).toMatchObject({ found: rows.length, absent: 0 });
      for (const r of rows) expect(keysInRivo(h.sb).get(r.key)).toBe(1);
      expect(summary.exitCode).toBe(0);
      expectMigratedExactly(h);
    } finally {
      clearTimeout(late);
    }
  });

  it('the sandbox\'s lateApply fault (no answer, applied later): not concluded absent before settleDelayMs, never sent twice', async () => {
    h = await harness(population(5), { rivo: { sendMode: 'single' } });
    h.sb.setFaults({ lateApplyMs: 700 });
    h.sb.failNext('rivo', 1, 'lateApply');
    const summary = await runLoad(h, withSettleDelay(h, 1500));
    expect(summary.exitCode).toBe(0);
    expect(summary.settled).toMatchObject({ found: 1, absent: 0 });
    expect(statuses(h.db).uncertain ?? 0).toBe(0);
    expectMigratedExactly(h);
  });
});
