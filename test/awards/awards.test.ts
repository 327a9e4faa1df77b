import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  const set = (y: YotpoRecord, balance: number, earned: number, history: object[]) => {
    world.sb.yotpo.setHistory(y.email, history);
    return world.sb.yotpo.update(y.email, { points_balance: balance, points_earned: earned, credit_balance: null });
  };
  return {
    silver: { y: set(a, 500, 800, [item('Create an Account', 100), item('Follow us on Instagram', 50), item('Redeemed a reward', -300, 'CODE-1')]), r: rivoOf(a) },
    reviewer: { y: set(b, 500, 500, [item('Write a review', 200), { ...item('Join our Facebook group', 40), action_name: 'facebook_group_join', completed_at: '2024-03-02T00:00:00.000Z' }, item('Made a purchase', 260)]), r: rivoOf(b) },
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

    // The reports: totals add up with the awards counted; per customer in plan.csv, show and report.html.
    const planJson = JSON.parse(readFileSync(join(w.dir, 'out', 'plan.json'), 'utf8'));
    expect(planJson.checks).toMatchObject({ customersAddUp: true, pointsAddUp: true, creditsAddUp: true });
    expect(planJson.oneTimeActions).toEqual({ awarded: 2, points: 225, pending: 1, already: 1, skipped: 0, refused: 0, uncertain: 0, customers: 3, mapped: 3 });
    const csv = readFileSync(join(w.dir, 'out', 'plan.csv'), 'utf8');
    expect(csv).toContain('awarded: Create an Account +150, Follow us on Instagram +75');
    expect(csv).toMatch(/pending \(not counted\): Write a review until \d{4}-\d{2}-\d{2}; unmapped \(warning: not awarded, can be earned again in Rivo\): facebook_group_join"/);
    expect(csv).toContain('earned before the migration: Follow us on Instagram');
    const shown = await w.cli(['show', silver.y.email]);
    expect(shown.stdout).toContain('  One-time     awarded: Create an Account +150, Follow us on Instagram +75');
    expect(readFileSync(join(w.dir, 'out', 'report.html'), 'utf8')).toContain('<h2>One-time actions</h2>');

    const writes = w.sb.stats().rivo.writes;
    const again = await w.cli(['migrate', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(w.sb.stats().rivo.writes).toBe(writes);
    expect(w.sb.rivo.earning.awards()).toHaveLength(4); // the three of this migration and the one from before
    expectExact(w);
  });
});

/** Only one matched customer has a history: Yotpo balance 500, lifetime 800, Rivo tier Silver (×1.5). */
function one(world: PilotWorld, history: object[], balance = 500, earned = 800): { y: YotpoRecord; r: RivoCustomerAttributes } {
  const want = expectedFor(world.sb);
  const y = world.sb.yotpo.customers().find((c) => c.third_party_id && want.changed.has(Number(c.third_party_id)))!;
  world.sb.rivo.setTier(y.third_party_id!, 9002);
  world.sb.yotpo.setHistory(y.email, history);
  return {
    y: world.sb.yotpo.update(y.email, { points_balance: balance, points_earned: earned, credit_balance: null }),
    r: world.sb.rivo.customer(y.third_party_id!)!,
  };
}

function awardRows(world: PilotWorld): unknown[] {
  const db = new Database(world.db, { readonly: true });
  try {
    return db.prepare('SELECT rule_id, status, points, attempts FROM awards ORDER BY created_at, key').all();
  } finally {
    db.close();
  }
}

describe('an award whose answer is lost', () => {
  it('a lost answer after Rivo applied it: sent again, 409 proves it, the granted points are read back and counted once', async () => {
    w = await pilotWorld({}, { mapping: { oneTimeActions: MAPPING } });
    const c = one(w, [item('Create an Account', 100)]);
    w.sb.failNext('rivo', 1, 'lostAnswer'); // the first write of the run is the award
    const m = await w.cli(['migrate', '--json']);
    expect(m.code, m.stderr).toBe(0);
    expect(w.sb.rivo.earning.awards(c.r.id).map((a) => [a.earning_rule_id, a.points])).toEqual([['rule_signup', 150]]);
    expect(awardRows(w)).toEqual([{ rule_id: 'rule_signup', status: 'awarded', points: 150, attempts: 2 }]);
    expect(eventsOf(w, c.r.id).map((e) => e.points_diff)).toEqual([150, 650, -300]);
    expectExact(w);
  });

  it('a 5xx that applied nothing: sent again, 201, counted from the answer', async () => {
    w = await pilotWorld({}, { mapping: { oneTimeActions: MAPPING } });
    const c = one(w, [item('Follow us on Instagram', 50)]);
    w.sb.rivo.earning.failNext5xx = 1; // the award's own 503 (a queued fault would hit the first request of any kind)
    const m = await w.cli(['migrate', '--json']);
    expect(m.code, m.stderr).toBe(0);
    expect(awardRows(w)).toEqual([{ rule_id: 'rule_instagram', status: 'awarded', points: 75, attempts: 2 }]);
    expect(eventsOf(w, c.r.id).map((e) => e.points_diff)).toEqual([75, 725, -300]);
    expectExact(w);
  });
});

describe('an award that was there before the migration', () => {
  it('first try unanswered, then 409: the award event read back predates our request, so nothing is counted', async () => {
    w = await pilotWorld({}, { mapping: { oneTimeActions: MAPPING } });
    const c = one(w, [item('Create an Account', 100)]);
    // Earned in Rivo an hour before the migration (Silver: 150 points), then the migration's first award gets a 503.
    expect(w.sb.rivo.earning.award('rule_signup', String(c.r.id), new Date(Date.now() - 3_600_000)).status).toBe(201);
    const before = w.sb.rivo.customers();
    w.sb.rivo.earning.failNext5xx = 1;
    const m = await w.cli(['migrate', '--json']);
    expect(m.code, m.stderr).toBe(0);
    expect(awardRows(w)).toEqual([{ rule_id: 'rule_signup', status: 'already', points: null, attempts: 2 }]);
    expect(eventsOf(w, c.r.id).map((e) => e.points_diff)).toEqual([150, 800, -300]);
    expect(tallyDifferences(w.sb, expectedFor(w.sb, before).rivo)).toEqual([]);
  });
});

describe('what is never awarded', () => {
  it('an award that could exceed what the customer is owed is not sent; the migration gives the whole balance', async () => {
    w = await pilotWorld({}, { mapping: { oneTimeActions: MAPPING } });
    // Owed 150: the account rule may grant up to 100 × 2 (mapping.awardMaxMultiplier) = 200.
    const c = one(w, [item('Create an Account', 100)], 150, 150);
    const m = await w.cli(['migrate', '--json']);
    expect(m.code, m.stderr).toBe(0);
    expect(w.sb.rivo.earning.awards()).toEqual([]);
    expect(awardRows(w)).toEqual([{ rule_id: 'rule_signup', status: 'skipped', points: null, attempts: 0 }]);
    expect(eventsOf(w, c.r.id).map((e) => e.points_diff)).toEqual([150]);
    expectExact(w);
  });

  it('a mapped rule Rivo does not have, or cannot award, is a config error before anything is sent (exit 2)', async () => {
    w = await pilotWorld({}, { mapping: { oneTimeActions: { 'Create an Account': 'rule_nope', 'Made a purchase': 'rule_purchase', 'TikTok': 'rule_tiktok' } } });
    one(w, [item('Create an Account', 100)]);
    const m = await w.cli(['migrate', '--json']);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain('mapping.oneTimeActions."Create an Account": Rivo has no earning rule "rule_nope"');
    expect(m.stderr).toContain('mapping.oneTimeActions."Made a purchase": Rivo\'s earning rule rule_purchase ("Make a purchase") is in category purchase');
    expect(m.stderr).toContain('mapping.oneTimeActions."TikTok": Rivo\'s earning rule rule_tiktok ("Follow on TikTok") is inactive');
    expect(w.sb.stats().rivo.writes).toBe(0);
  });

  it('a store whose award path differs: the first award answers 404, the run stops (exit 3) before any points event; the other path then works', async () => {
    w = await pilotWorld({ awardPath: 'customers' }, { mapping: { oneTimeActions: MAPPING } });
    const c = one(w, [item('Create an Account', 100)]);
    const m = await w.cli(['migrate', '--json']);
    expect(m.code, m.stderr).toBe(3);
    expect(m.stderr).toContain('rivo.awardPath');
    expect(w.sb.rivo.allEvents()).toEqual([]);
    expect(w.sb.rivo.earning.awards()).toEqual([]);

    const cfg = JSON.parse(readFileSync(join(w.dir, 'config.json'), 'utf8')) as Record<string, any>;
    writeFileSync(join(w.dir, 'config.json'), JSON.stringify({ ...cfg, rivo: { ...cfg.rivo, awardPath: 'customers' } }));
    const again = await w.cli(['migrate', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(awardRows(w)).toEqual([{ rule_id: 'rule_signup', status: 'awarded', points: 150, attempts: 2 }]);
    expect(eventsOf(w, c.r.id).map((e) => e.points_diff)).toEqual([150, 650, -300]);
    expectExact(w);
  });
});

describe('rollback after awards', () => {
  it('takes back every point the migration gave, awards included, and reports the awards it cannot take back', async () => {
    w = await pilotWorld({}, { mapping: { oneTimeActions: MAPPING } });
    const c = one(w, [item('Create an Account', 100), item('Write a review', 200)], 900, 900);
    const m = await w.cli(['migrate', '--json']);
    expect(m.code, m.stderr).toBe(0);
    expect(w.sb.rivo.customer(c.r.id)!.points_tally).toBe(c.r.points_tally + 900);

    const r = await w.cli(['rollback', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.awardsKept).toEqual({ awarded: 1, pending: 1, customers: 1, uncertain: 0 });
    expect(r.stderr).toContain('One-time action awards cannot be taken back');
    expect(r.stderr).toContain('1 award is pending approval');
    // Points as before the migration; lifetime keeps what was given (the modelled Rivo never lowers it); awards stay.
    expect(w.sb.rivo.customer(c.r.id)).toMatchObject({ points_tally: c.r.points_tally, lifetime_earnings_tally: (c.r.lifetime_earnings_tally ?? 0) + 900 });
    expect(eventsOf(w, c.r.id).map((e) => e.points_diff)).toEqual([150, 750, -900]);
    expect(w.sb.rivo.earning.awards(c.r.id).map((a) => a.status)).toEqual(['approved', 'pending']);
  });
});

describe('awards on a Rivo with faults', () => {
  it('lost answers, 5xx and resets on every kind of request: each action awarded once, counted once, tallies exact', async () => {
    w = await pilotWorld({}, { mapping: { oneTimeActions: MAPPING } });
    const { silver, reviewer, earlier } = cast(w);
    w.sb.setFaults({ error5xx: 0.15, lostAnswer: 0.25, reset: 0.1, only: ['rivo'] });
    let code = -1;
    for (let run = 0; run < 8 && code !== 0; run++) code = (await w.cli(['migrate', '--json'])).code;
    w.sb.setFaults({});
    if (code !== 0) code = (await w.cli(['migrate', '--json'])).code;
    expect(code).toBe(0);
    expectExact(w);
    // In whatever order the faults let them through.
    const byCustomer = (id: number) => w!.sb.rivo.earning.awards(id).map((a) => [a.earning_rule_id, a.status, a.points]).sort();
    expect(byCustomer(silver.r.id)).toEqual([
      ['rule_instagram', 'approved', 75],
      ['rule_signup', 'approved', 150],
    ]);
    expect(byCustomer(reviewer.r.id)).toEqual([['rule_review', 'pending', 200]]);
    expect(byCustomer(earlier.r.id)).toEqual([['rule_instagram', 'approved', 50]]); // the one from before the migration
    // Silver's migration events (ours, by key) add up to 500 − 225 on top of the two awards.
    const ours = eventsOf(w, silver.r.id).filter((e) => /\[y2r:/.test(e.internal_note ?? ''));
    expect(ours.reduce((s, e) => s + e.points_diff, 0)).toBe(275);
  });
});

describe('awards through the separate commands', () => {
  it('extract, plan (lists the actions), load (awards first, re-plans, sends the rest), verify: exact', async () => {
    w = await pilotWorld({}, { mapping: { oneTimeActions: MAPPING } });
    const c = one(w, [item('Create an Account', 100), item('Follow us on Instagram', 50)]);
    expect((await w.cli(['extract', '--json'])).code).toBe(0);
    const p = await w.cli(['plan', '--json']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).toContain('  Create an Account (1 customer): mapped to rule_signup "Create an account"');
    expect(w.sb.stats().rivo.writes).toBe(0);
    const l = await w.cli(['load', '--json']);
    expect(l.code, l.stderr).toBe(0);
    expect(l.stderr).toContain('one-time actions: 1 customers, 2 awarded (225 points counted into the migration)');
    expect(eventsOf(w, c.r.id).map((e) => e.points_diff)).toEqual([150, 75, 575, -300]);
    const v = await w.cli(['verify', '--json']);
    expect(v.code, v.stderr).toBe(0);
    expectExact(w);
  });
});

describe('a lost DB after awards were counted', () => {
  it('adopt finds the awards in Rivo, and migrate on the adopted DB counts them, never gives their points again', async () => {
    w = await pilotWorld({}, { mapping: { oneTimeActions: MAPPING } });
    const { silver, earlier } = cast(w);
    const first = await w.cli(['migrate', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expectExact(w);
    const writes = w.sb.stats().rivo.writes;

    // The DB is lost. A new one refuses to write (the scan finds the migration), adopt takes it over.
    rmSync(w.db, { force: true });
    rmSync(`${w.db}-wal`, { force: true });
    rmSync(`${w.db}-shm`, { force: true });
    const refused = await w.cli(['migrate', '--json']);
    expect(refused.code).toBe(2);
    expect(w.sb.stats().rivo.writes).toBe(writes);
    const adopted = await w.cli(['adopt', '--json']);
    expect(adopted.code, adopted.stderr).toBe(0);
    expect(w.sb.stats().rivo.writes, 'adopt writes nothing').toBe(writes);
    expect(adopted.json.awards).toMatchObject({ counted: 2, countedPoints: 225, earnedBefore: 0 });

    // Before the fix the adopted ledger knew nothing of the awards: silver was owed 225 points again (+225 in Rivo).
    const again = await w.cli(['migrate', '--json']);
    expectExact(w);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(w.sb.rivo.customer(silver.y.third_party_id!)!.points_tally).toBe(silver.r.points_tally + 500);
    // The award the customer earned before the migration is still not counted as the migration's.
    expect(w.sb.rivo.customer(earlier.y.third_party_id!)!.points_tally).toBe(earlier.r.points_tally + 200);
    expect(w.sb.rivo.earning.awards(silver.r.id).map((a) => a.earning_rule_id).sort()).toEqual(['rule_instagram', 'rule_signup']);
  });
});
