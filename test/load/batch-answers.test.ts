import { afterEach, describe, expect, it } from 'vitest';
import { getCustomer } from '../../src/ledger/customers.js';
import { replanRejected } from '../../src/ledger/events.js';
import { statement } from '../../src/ledger/statements.js';
import { readBatchAnswer } from '../../src/rivo/batch-answer.js';
import { MODELLED_PROFILE, UNMEASURED_PROFILE } from '../../src/rivo/profile.js';
import { expectMigratedExactly, expectNoKeyTwice, expectUntouched, harness, population, statuses, runLoad, type Harness } from './harness.js';

/**
 * Issue 11, items 4 and 5: batch answers are read item by item (2xx and 4xx alike), and a customer whose debit is
 * refused after its additions landed never ends above target silently.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const run = runLoad;

const problems = (x: Harness) => statement(x.db, 'SELECT customer_key, event_key, kind, detail FROM problems ORDER BY id').all() as Record<string, string>[];

describe('batch answers, item by item', () => {
  it.each(['partial', 'atomic'] as const)('a 200 listing a failed item (%s store): the failed one is rejected, the others end exact', async (batchMode) => {
    const specs = population(9);
    // Customer 5 owes a subtraction Rivo refuses (it would take the balance below zero).
    specs[4] = { points: 10, balance: 0, lifetimeEarned: 0, credit: -5000 };
    h = await harness(specs, { batchMode });
    h.sb.rivo.behaviour.batchItemErrorsIn2xx = true;
    const bad = h.customers[4]!;
    const summary = await run(h);
    expect(summary.exitCode).toBe(3);
    expect(summary.rejected).toEqual([expect.objectContaining({ customerKey: bad.key, reason: expect.stringMatching(/200.*cannot be negative/) })]);
    expect(getCustomer(h.db, bad.key)!.state).toBe('rejected');
    expectUntouched(h, bad);
    expectMigratedExactly(h, (c) => c !== bad);
    // Nothing the ledger calls done is missing from Rivo.
    const done = statement(h.db, "SELECT key FROM events WHERE status = 'done' AND kind = 'points'").pluck().all() as string[];
    const inRivo = new Set(h.sb.rivo.allEvents().map((e) => e.internal_note));
    for (const k of done) expect([...inRivo].some((n) => n?.includes(`[${k}]`)), k).toBe(true);
  });

  it('an atomic 422 naming one item: on a store measured atomic the others are planned again at once, no read-back', async () => {
    const specs = population(6);
    specs[2] = { points: 10, balance: 0, lifetimeEarned: 0, credit: -5000 };
    h = await harness(specs, { batchMode: 'atomic' });
    const bad = h.customers[2]!;
    const summary = await run(h, { profile: { ...UNMEASURED_PROFILE, batchAtomicity: 'atomic' } });
    expect(summary.exitCode).toBe(3);
    expect(summary.settled.found + summary.settled.absent).toBe(0);
    expectUntouched(h, bad);
    expectMigratedExactly(h, (c) => c !== bad);
  });

  it('reads data and errors from 2xx and 4xx bodies; a plain 201 is applied; unnamed items are unknown', () => {
    const sent = ['a', 'b', 'c'].map((k) => ({
      customer_identifier: '1',
      source: 'manual' as const,
      points_amount: 1,
      internal_note: `Migrated [y2r:m1:0123456789abcdef:earned:${k === 'a' ? 0 : k === 'b' ? 1 : 2}]`,
      skip_email: true as const,
    }));
    const ev = (i: number, id: string) => ({ id, attributes: { id, points_diff: 1, internal_note: `ops@x: ${sent[i]!.internal_note}` } });
    expect(readBatchAnswer(201, {}, sent, UNMEASURED_PROFILE)!.items.map((i) => i.outcome)).toEqual(['applied', 'applied', 'applied']);
    expect(readBatchAnswer(200, { data: [ev(0, '7'), ev(2, '9')], errors: [{ index: 1, status: 422, detail: 'nope' }] }, sent, UNMEASURED_PROFILE)!.items).toEqual([
      { outcome: 'applied', eventId: '7' },
      { outcome: 'refused', reason: 'Rivo 200 422 nope' },
      { outcome: 'applied', eventId: '9' },
    ]);
    expect(readBatchAnswer(201, { data: [ev(0, '7')] }, sent, UNMEASURED_PROFILE)!.items.map((i) => i.outcome)).toEqual(['applied', 'unknown', 'unknown']);
    expect(readBatchAnswer(422, { errors: [{ index: 1, detail: 'x' }] }, sent, UNMEASURED_PROFILE)!.items.map((i) => i.outcome)).toEqual(['unknown', 'refused', 'unknown']);
    expect(readBatchAnswer(422, { errors: [{ index: 1, detail: 'x' }] }, sent, { ...MODELLED_PROFILE, batchAtomicity: 'atomic' })!.items.map((i) => i.outcome)).toEqual([
      'not_applied',
      'refused',
      'not_applied',
    ]);
    expect(readBatchAnswer(422, { errors: ['bad'] }, sent, UNMEASURED_PROFILE)).toBeNull();
  });
});

describe('a debit refused after its additions landed (half-applied pair)', () => {
  /** Customers owing earned +L and spent −(L−B), on a store that accepts debits below zero (one batch per customer). */
  const pairs = () => population(8).map((s, i) => ({ ...s, balance: 100 + i, lifetimeEarned: 400 + i, credit: undefined }));

  for (const sendMode of ['batch', 'single'] as const)
    it(`${sendMode}: refused once, the debit is sent again once the earn is confirmed, and the customer ends exact`, async () => {
      h = await harness(pairs(), { rivo: { sendMode }, batchMode: 'partial', refuseNegativeBelowZero: false });
      const victim = h.customers[3]!;
      const spent = victim.events.find((e) => e.role === 'spent')!.key;
      let refusals = 0;
      h.sb.rivo.refuseEvent = (e) => (e.internalNote?.includes(spent) && refusals++ === 0 ? 'refused by the store' : undefined);
      const summary = await run(h, { profile: MODELLED_PROFILE });
      expect(refusals).toBe(2);
      expect(summary.exitCode).toBe(0);
      expect(summary.completions).toBe(1);
      expectMigratedExactly(h);
      expect(problems(h)).toEqual([expect.objectContaining({ customer_key: victim.key, event_key: spent, kind: 'half_applied' })]);
    });

  it('refused again: the customer is held rejected, the surplus named in status and a problem row; retry sends only that debit, once', async () => {
    h = await harness(pairs(), { batchMode: 'partial', refuseNegativeBelowZero: false });
    const victim = h.customers[1]!;
    const spent = victim.events.find((e) => e.role === 'spent')!;
    h.sb.rivo.refuseEvent = (e) => (e.internalNote?.includes(spent.key) ? 'refused by the store' : undefined);
    const summary = await run(h, { profile: MODELLED_PROFILE });
    expect(summary.exitCode).toBe(3);
    expect(summary.overTarget).toBe(1);
    const state = getCustomer(h.db, victim.key)!;
    expect(state.state).toBe('rejected');
    expect(state.state_reason).toMatch(new RegExp(`above target by ${-spent.pointsAmount} points`));
    expect(problems(h).map((p) => p.kind)).toEqual(['half_applied', 'over_target']);
    expectNoKeyTwice(h.sb);
    expectMigratedExactly(h, (c) => c !== victim);
    expect(statuses(h.db).rejected).toBe(1);
    // retry: the refused debit goes back in the queue; its earn is confirmed, so only the debit is sent, once.
    const tries = () => h!.sb.rivo.allEvents().length;
    const before = tries();
    expect(replanRejected(h.db, victim.key)).toBe(1);
    const again = await run(h, { profile: MODELLED_PROFILE });
    expect(again.exitCode).toBe(3);
    expect(tries()).toBe(before);
    expect(getCustomer(h.db, victim.key)!.state).toBe('rejected');
    expectNoKeyTwice(h.sb);
  });

  it('unmeasured store checking each batch item against the balance before the batch (answering 200 with per-item errors): the earn lands first, so the debit is never refused', async () => {
    h = await harness(
      pairs().map((s) => ({ ...s, points: 0 })),
      { batchMode: 'partial' },
    );
    h.sb.rivo.behaviour.batchChecksAgainstStart = true;
    h.sb.rivo.behaviour.batchItemErrorsIn2xx = true;
    const summary = await run(h);
    expect(summary.exitCode).toBe(0);
    expect(summary.rejected).toEqual([]);
    expectMigratedExactly(h);
  });
});
