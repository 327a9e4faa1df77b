import { afterEach, describe, expect, it } from 'vitest';
import { eventsOf, markInFlight, replacePlan } from '../../src/ledger/events.js';
import { load } from '../../src/load/loader.js';
import { toOutgoing } from '../../src/load/outgoing.js';
import { rollback, type RollbackOptions } from '../../src/load/rollback.js';
import { parseKey } from '../../src/mapper/keys.js';
import { asCliAsync } from '../support/exit-codes.js';
import { eventsFor, expectMigratedExactly, expectNoKeyTwice, harness, keysInRivo, population, statuses, type Customer, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const pause = { baseDelayMs: 5, maxDelayMs: 50 };
const loadAll = (x: Harness) => asCliAsync(load({ db: x.db, config: x.config, rivo: x.rivo, migrationId: x.migrationId, roundPause: pause }));
const undo = (x: Harness, over: Partial<RollbackOptions> = {}) =>
  asCliAsync(rollback({ db: x.db, rivo: x.rivo, config: x.config, migrationId: x.migrationId, roundPause: pause, ...over }));

const credits = (s: string) => Math.round(Number(s) * 100);

/** Points and credit back to the before-values; tier and dob back where they had one. Lifetime keeps what was earned. */
function expectRolledBack(x: Harness, c: Customer): void {
  const now = x.sb.rivo.customer(c.rivoId)!;
  expect(now.points_tally, c.key).toBe(c.before.points_tally);
  expect(credits(now.credits_tally), c.key).toBe(credits(c.before.credits_tally));
  if (c.before.vip_tier) expect(now.vip_tier?.id, c.key).toBe(c.before.vip_tier.id);
  if (c.before.dob) expect(now.dob, c.key).toBe(c.before.dob);
  const earned = c.events.filter((e) => e.pointsAmount > 0).reduce((n, e) => n + e.pointsAmount, 0);
  expect(now.lifetime_earnings_tally ?? 0, c.key).toBe((c.before.lifetime_earnings_tally ?? 0) + earned);
}

describe('rollback', () => {
  it('returns points and credit to the before-values, restores tier and birthday, and a second rollback sends nothing', async () => {
    h = await harness(population(20));
    expect((await loadAll(h)).exitCode).toBe(0);
    expectMigratedExactly(h);

    const summary = await undo(h);
    expect(summary.exitCode).toBe(0);
    expect(summary.outcome).toBe('done');
    const migrated = h.customers.filter((c) => c.events.some((e) => e.kind === 'points'));
    const netPoints = migrated.flatMap((c) => c.events).reduce((n, e) => n + e.pointsAmount, 0);
    const netCredits = migrated.flatMap((c) => c.events).reduce((n, e) => n + e.creditsCents, 0);
    expect(summary.planned.points).toBe(-netPoints);
    expect(summary.planned.creditsCents).toBe(-netCredits);
    expect(summary.rolledBack).toEqual({ points: -netPoints, creditsCents: -netCredits });
    for (const c of h.customers) expectRolledBack(h, c);
    // Tier set on a customer that had none before cannot be cleared: said, not hidden.
    const tierNoBefore = h.customers.filter((c) => c.spec.setTier && !c.before.vip_tier);
    const tierWithBefore = h.customers.filter((c) => c.spec.setTier && c.before.vip_tier);
    expect(tierWithBefore.length).toBeGreaterThan(0);
    expect(summary.planned.tiers).toBe(tierWithBefore.length);
    for (const c of tierNoBefore) expect(summary.notRestored).toContainEqual({ customerKey: c.key, what: expect.stringMatching(/^tier:/) });
    expect(summary.lifetime.customers).toBeGreaterThan(0);
    expect(summary.lifetime.note).toMatch(/cannot be lowered/);
    expect(h.sb.stats().rivo.emailsSent).toBe(0);
    expectNoKeyTwice(h.sb);
    // One rollback event per customer, keyed with role rollback and generation 0.
    const rollbackKeys = [...keysInRivo(h.sb).keys()].map(parseKey).filter((k) => k?.role === 'rollback');
    expect(rollbackKeys).toHaveLength(migrated.length);
    expect(rollbackKeys.every((k) => k!.generation === 0)).toBe(true);

    const problems = () => h!.db.prepare("SELECT customer_key FROM problems WHERE kind = 'rollback_not_restored' ORDER BY customer_key").pluck().all();
    const unrestorable = h.customers.filter((c) => (c.spec.setTier && !c.before.vip_tier) || (c.spec.setDob && !c.before.dob)).map((c) => c.key);
    expect(unrestorable.length).toBeGreaterThan(0);
    expect(new Set(problems())).toEqual(new Set(unrestorable));
    const problemCount = problems().length;

    const writes = h.sb.stats().rivo.writes;
    const second = await undo(h);
    expect(second.exitCode).toBe(0);
    expect(second.planned.customers).toBe(0);
    expect(problems()).toHaveLength(problemCount);
    expect(h.sb.stats().rivo.writes).toBe(writes);
    for (const c of h.customers) expectRolledBack(h, c);
  });

  it('without confirmation (dry run) says what it would do and changes nothing', async () => {
    h = await harness(population(8));
    await loadAll(h);
    const before = JSON.stringify(h.db.prepare('SELECT key, status FROM events ORDER BY key').all());
    const writes = h.sb.stats().rivo.requests;
    const preview = await undo(h, { dryRun: true });
    expect(preview.dryRun).toBe(true);
    const owed = h.customers.flatMap((c) => c.events);
    expect(preview.preview).toMatchObject({
      customers: h.customers.length,
      points: -owed.reduce((n, e) => n + e.pointsAmount, 0),
      creditsCents: -owed.reduce((n, e) => n + e.creditsCents, 0),
    });
    expect(h.sb.stats().rivo.requests).toBe(writes);
    expect(JSON.stringify(h.db.prepare('SELECT key, status FROM events ORDER BY key').all())).toBe(before);
  });

  it('is exactly once too: lost answers and 5xx during the rollback never double a compensation', async () => {
    h = await harness(population(16));
    await loadAll(h);
    h.sb.setFaults({ error5xx: 0.1, lostAnswer: 0.2, reset: 0.05, only: ['rivo'] });
    const summary = await undo(h, { maxAttempts: 12 });
    expect(summary.exitCode, JSON.stringify(summary.pending)).toBe(0);
    for (const c of h.customers) expectRolledBack(h, c);
    expectNoKeyTwice(h.sb);
  });

  it('settles an uncertain migration write before compensating it', async () => {
    h = await harness(population(4));
    const c = h.customers[0]!;
    // The crashed load had sent c's points and never heard back; the rollback must count them.
    const rows = eventsOf(h.db, c.key).filter((e) => e.kind === 'points');
    markInFlight(h.db, rows.map((e) => e.key), 'crashed');
    h.sb.rivo.createBatch(rows.map(toOutgoing), new Date());
    const summary = await undo(h);
    expect(summary.exitCode).toBe(0);
    expectRolledBack(h, { ...c, events: c.events.filter((e) => e.kind === 'points') });
    // Planned writes never sent are cancelled, not sent after the rollback: c's remaining ones, and (issue 11) every
    // write of the customers the migration had not reached yet.
    expect(summary.cancelledMigrationEvents).toBe(c.events.filter((e) => e.kind !== 'points').length + h.customers.slice(1).flatMap((x) => x.events).length);
    expect(statuses(h.db).planned ?? 0).toBe(0);
    expect(summary.neverSentCustomers).toBe(3);
  });

  it('a rollback after a re-migration uses a new rollback generation, and the tallies come back again', async () => {
    h = await harness(population(5).map((s) => ({ ...s, setTier: undefined, setDob: undefined })));
    await loadAll(h);
    await undo(h);
    // Re-migrate: generation 1 of the same customers.
    for (const c of h.customers) {
      const events = eventsFor(h.migrationId, c.key, c.spec, 1);
      replacePlan(h.db, c.key, c.rivoId, events, `hash2-${c.key}`, []);
    }
    expect((await loadAll(h)).exitCode).toBe(0);
    const second = await undo(h);
    expect(second.exitCode).toBe(0);
    const rollbackKeys = [...keysInRivo(h.sb).keys()].map(parseKey).filter((k) => k?.role === 'rollback');
    expect(rollbackKeys.map((k) => k!.generation).sort()).toEqual([...Array(5).fill(0), ...Array(5).fill(1)]);
    for (const c of h.customers) {
      const now = h.sb.rivo.customer(c.rivoId)!;
      expect(now.points_tally).toBe(c.before.points_tally);
      expect(credits(now.credits_tally)).toBe(credits(c.before.credits_tally));
    }
    expectNoKeyTwice(h.sb);
  });

  it('a compensation Rivo refuses (the customer spent the points meanwhile) is reported with the reason (exit 3)', async () => {
    h = await harness([{ points: 0, balance: 500 }, { points: 3, balance: 40 }]);
    await loadAll(h);
    // The customer spent 400 of the migrated points in Rivo.
    h.sb.rivo.createEvent({ customer_identifier: h.customers[0]!.rivoId, source: 'manual', points_amount: -400, skip_email: true }, new Date());
    const summary = await undo(h);
    expect(summary.exitCode).toBe(3);
    expect(summary.rejected).toEqual([expect.objectContaining({ customerKey: h.customers[0]!.key, reason: expect.stringMatching(/422/) })]);
    expectRolledBack(h, h.customers[1]!);
  });
});
