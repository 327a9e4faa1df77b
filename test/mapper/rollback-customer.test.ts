import { describe, expect, it } from 'vitest';
import { parseKey } from '../../src/mapper/keys.js';
import { lastWritten, planCustomerRollback, type RollbackLedgerEvent } from '../../src/mapper/rollback.js';
import { MIGRATION_ID, MIGRATION_NAME, NOW } from './builders.js';

const model = { negativeEventsLowerLifetime: false };
const T1 = '2024-04-01T10:00:00.000Z';
const T2 = '2024-04-02T10:00:00.000Z';

function row(over: Partial<RollbackLedgerEvent>): RollbackLedgerEvent {
  return { kind: 'points', role: 'earned', generation: 0, pointsAmount: 0, creditsCents: 0, value: null, status: 'done', rivoId: 'r-1', at: T1, ...over };
}

const plan = (rows: RollbackLedgerEvent[], before: { tier?: string | null; dob?: string | null } = {}, over: { statuses?: string[]; generation?: number } = {}) =>
  planCustomerRollback({
    customer: { key: 'cust-1', rivo_tier_before: before.tier ?? null, rivo_dob_before: before.dob ?? null },
    events: rows,
    statuses: over.statuses ?? ['done'],
    migrationName: MIGRATION_NAME,
    migrationId: MIGRATION_ID,
    now: NOW,
    model,
    generation: over.generation ?? 0,
  });

describe('planCustomerRollback: one customer\'s rollback from its ledger rows', () => {
  it('compensates what is in Rivo (done only) and keeps the lifetime the migration added', () => {
    const { plan: p, events } = plan([
      row({ role: 'earned', pointsAmount: 800 }),
      row({ role: 'spent', pointsAmount: -300 }),
      row({ role: 'credit', creditsCents: 250 }),
      row({ role: 'earned', pointsAmount: 999, status: 'uncertain' }),
    ]);
    expect(events.map((e) => [e.kind, e.role, e.pointsAmount, e.creditsCents])).toEqual([['points', 'rollback', -500, -250]]);
    expect(p).toMatchObject({ customerKey: 'cust-1', rivoId: 'r-1', points: -500, creditsCents: -250, restoreTier: null, restoreDob: null, notRestored: [], lifetimeKept: 800 });
  });

  it('a preview counts the writes of unknown outcome as landed', () => {
    const { plan: p } = plan([row({ pointsAmount: 800 }), row({ pointsAmount: 200, status: 'uncertain' })], {}, { statuses: ['in_flight', 'uncertain', 'done'] });
    expect(p.points).toBe(-1000);
  });

  it('restores the tier and birthday the customer had before, under keys derived from the rollback\'s own', () => {
    const { plan: p, events } = plan(
      [row({ pointsAmount: 100 }), row({ kind: 'tier', role: 'tier', value: 't-gold' }), row({ kind: 'birthday', role: 'birthday', value: '1990-04-07' })],
      { tier: 't-bronze', dob: '1985-01-02' },
    );
    expect(p.restoreTier).toBe('t-bronze');
    expect(p.restoreDob).toBe('1985-01-02');
    const [points, tier, dob] = events;
    expect(points!.key).toMatch(/^y2r:m1:[0-9a-f]{16}:rollback:0$/);
    expect(tier).toMatchObject({ kind: 'tier', role: 'rollback', generation: 0, value: 't-bronze', pointsAmount: 0, key: `${points!.key}:tier` });
    expect(dob).toMatchObject({ kind: 'birthday', role: 'rollback', value: '1985-01-02', key: `${points!.key}:birthday` });
    expect(tier!.internalNote).toBe(`Restore the value held before the Yotpo migration [${points!.key}:tier]`);
    // Not a key a note listing should pick up as an event of its own.
    expect(parseKey(tier!.key)).toBeNull();
  });

  it('a restoration key does not depend on whether there are points to compensate', () => {
    const withPoints = plan([row({ pointsAmount: 100 }), row({ kind: 'tier', role: 'tier', value: 't-gold' })], { tier: 't-bronze' }).events;
    const without = plan([row({ kind: 'tier', role: 'tier', value: 't-gold' })], { tier: 't-bronze' }).events;
    expect(without).toHaveLength(1);
    expect(without[0]!.key).toBe(withPoints[1]!.key);
  });

  it('a value the customer did not have before cannot be cleared: said, never sent', () => {
    const { plan: p, events } = plan([row({ kind: 'tier', role: 'tier', value: 't-gold' })], { tier: null });
    expect(events).toEqual([]);
    expect(p.notRestored).toEqual(["tier: the customer had none before the migration and Rivo's API cannot clear it (now t-gold)"]);
  });

  it('nothing to restore when the migration set the value the customer already had, or a rollback already put it back', () => {
    expect(plan([row({ kind: 'tier', role: 'tier', value: 't-bronze' })], { tier: 't-bronze' }).events).toEqual([]);
    const restored = plan(
      [row({ kind: 'tier', role: 'tier', value: 't-gold', at: T1 }), row({ kind: 'tier', role: 'rollback', value: 't-bronze', at: T2 })],
      { tier: 't-bronze' },
      { generation: 1 },
    );
    expect(restored.events).toEqual([]);
  });

  it('a second rollback (generation 1) gets new keys', () => {
    const first = plan([row({ pointsAmount: 100 })]).events[0]!.key;
    const second = plan([row({ pointsAmount: 100 })], {}, { generation: 1 }).events[0]!.key;
    expect(second).not.toBe(first);
    expect(second).toMatch(/:rollback:1$/);
  });
});

describe('lastWritten: the value Rivo holds as far as the ledger knows', () => {
  it('the last write that reached Rivo, by when it landed', () => {
    const rows = [row({ kind: 'tier', role: 'tier', value: 'b', at: T2 }), row({ kind: 'tier', role: 'tier', value: 'a', at: T1 })];
    expect(lastWritten(rows, 'tier', ['done'])).toEqual({ value: 'b', byMigration: true });
  });

  it('a restoration made at the same moment as the write it undoes comes after it', () => {
    const rows = [row({ kind: 'tier', role: 'rollback', value: 'before', at: T1 }), row({ kind: 'tier', role: 'tier', value: 'gold', at: T1 })];
    expect(lastWritten(rows, 'tier', ['done'])).toEqual({ value: 'before', byMigration: false });
  });

  it('only the statuses that count; none written by the migration: null', () => {
    expect(lastWritten([row({ kind: 'tier', role: 'tier', value: 'g', status: 'planned' })], 'tier', ['done'])).toBeNull();
    expect(lastWritten([row({ kind: 'tier', role: 'rollback', value: 'g' })], 'tier', ['done'])).toBeNull();
    expect(lastWritten([row({ kind: 'tier', role: 'tier', value: 'g', status: 'uncertain' })], 'tier', ['uncertain', 'done'])).toEqual({ value: 'g', byMigration: true });
  });
});
