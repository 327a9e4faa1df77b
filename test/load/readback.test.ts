import { afterEach, describe, expect, it } from 'vitest';
import { statement } from '../../src/ledger/statements.js';
import type { RivoApi } from '../../src/rivo/api.js';
import { expectMigratedExactly, expectNoKeyTwice, harness, population, statuses, type Customer, runLoad, type Harness } from './harness.js';

/**
 * Issue 11, item 3: a read-back must prove the listing complete before it concludes "absent". Rivo here serves at
 * most 7 events a page (whatever per_page asked), in either order, and each customer has many events besides ours,
 * so our keys sit beyond the first page; answers to writes are dropped after Rivo committed them.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const run = runLoad;

/** Customer activity in Rivo (an order earning 5, a refund taking it back): net zero points, +5 lifetime each. */
function activity(x: Harness, c: Customer, n: number): void {
  for (let i = 0; i < n; i++) {
    x.sb.rivo.createEvent({ customer_identifier: c.rivoId, source: 'manual', points_amount: 5, internal_note: 'order', skip_email: true }, new Date());
    x.sb.rivo.createEvent({ customer_identifier: c.rivoId, source: 'manual', points_amount: -5, internal_note: 'refund', skip_email: true }, new Date());
  }
  c.before.lifetime_earnings_tally = (c.before.lifetime_earnings_tally ?? 0) + 5 * n;
}

/** The client, with customer activity landing right after every write: our keys end up buried among other events. */
function busyRivo(x: Harness): RivoApi {
  const rivo = x.rivo;
  const spy = Object.create(rivo) as typeof rivo;
  const byRivoId = new Map(x.customers.map((c) => [c.rivoId, c]));
  const after = (ids: string[]) => {
    for (const id of new Set(ids)) activity(x, byRivoId.get(id)!, 6);
  };
  spy.createEventsBatch = async (events, profile) => {
    try {
      return await rivo.createEventsBatch(events, profile);
    } finally {
      after(events.map((e) => e.customer_identifier));
    }
  };
  spy.createEvent = async (event) => {
    try {
      return await rivo.createEvent(event);
    } finally {
      after([event.customer_identifier]);
    }
  };
  return spy;
}

describe('read-back completeness: a listing capped at 7 a page, answers dropped after commit', () => {
  for (const order of ['newest_first', 'oldest_first'] as const) {
    for (const sendMode of ['batch', 'single'] as const) {
      it(`${order}, ${sendMode}: exact, no key twice`, async () => {
        h = await harness(population(10), { rivo: { sendMode }, refuseNegativeBelowZero: false });
        h.sb.rivo.behaviour.perPageCap = 7;
        h.sb.rivo.behaviour.order = order;
        for (const c of h.customers) activity(h, c, 5);
        h.sb.failNext('rivo', 6, 'lostAnswer');
        const summary = await run(h, { rivo: busyRivo(h) });
        expectNoKeyTwice(h.sb);
        // Whatever could not be proven absent is held, never resent: a second run settles it.
        const again = summary.exitCode === 0 ? summary : await run(h);
        expect(again.exitCode).toBe(0);
        expectNoKeyTwice(h.sb);
        expectMigratedExactly(h);
        expect(summary.settled.found, 'lost answers were found by read-back, beyond the first page').toBeGreaterThan(0);
      });
    }
  }

  it('a listing that hides a confirmed key holds the customer: nothing is resent, the reason is recorded', async () => {
    h = await harness(population(3), { refuseNegativeBelowZero: false });
    const [c] = h.customers;
    // The first write lands; the second write's answer is lost. Rivo then lists every event but one of ours.
    h.sb.failNext('rivo', 1, 'lostAnswer');
    const rivo = h.rivo;
    const spy = Object.create(rivo) as typeof rivo;
    spy.listEventsPage = async (id, page, perPage) => {
      const p = await rivo.listEventsPage(id, page, perPage);
      return { ...p, events: p.events.filter((e) => !(e.internalNote ?? '').includes(':earned:')) };
    };
    const summary = await run(h, { rivo: spy, maxAttempts: 2 });
    expect(summary.exitCode).not.toBe(0);
    expect(summary.settled.held).toBeGreaterThan(0);
    const held = statement(h.db, "SELECT customer_key, last_error FROM events WHERE status = 'uncertain'").all() as { customer_key: string; last_error: string }[];
    expect(held.length).toBeGreaterThan(0);
    expect(held[0]!.last_error).toMatch(/held, not resent: listing incomplete/);
    expect(held.map((r) => r.customer_key)).toContain(c!.key);
    expectNoKeyTwice(h.sb);
    // The listing tells the truth again: the held writes are found, not resent.
    const after = await run(h);
    expect(after.exitCode).toBe(0);
    expectMigratedExactly(h);
    expect(statuses(h.db).uncertain ?? 0).toBe(0);
  });
});
