import { describe, expect, it } from 'vitest';
import { findKeyInNote } from '../../src/mapper/keys.js';
import { foldEvents } from '../../src/mapper/migrated.js';
import { planRollback } from '../../src/mapper/rollback.js';
import { planCustomer } from '../../src/mapper/rules.js';
import { MIGRATION_ID, MIGRATION_NAME, NOW, aCustomer, aMapping, aPlanInput, migratedSoFar } from './builders.js';

const model = { negativeEventsLowerLifetime: false };
const rollback = (migrated = migratedSoFar(), over: Partial<Parameters<typeof planRollback>[0]> = {}) =>
  planRollback({ migrated, customerKey: 'cust-1', migrationName: MIGRATION_NAME, migrationId: MIGRATION_ID, generation: 0, now: NOW, model, ...over });

describe('planRollback', () => {
  it.each([
    ['points and credit', migratedSoFar({ net: 455, earned: 850, creditsCents: 250, generations: 0 }), [[-455, -250]]],
    ['points only', migratedSoFar({ net: 455, earned: 850, generations: 0 }), [[-455, 0]]],
    ['credit only', migratedSoFar({ creditsCents: 250, generations: 0 }), [[0, -250]]],
    ['a negative net (set mode) is given back', migratedSoFar({ net: -400, earned: 300, generations: 0 }), [[400, 0]]],
    ['net zero (earned and spent cancel out): nothing', migratedSoFar({ net: 0, earned: 120, generations: 0 }), []],
    ['nothing posted: nothing', migratedSoFar(), []],
  ] as const)('%s', (_name, migrated, expected) => {
    const { events } = rollback(migrated);
    expect(events.map((e) => [e.pointsAmount, e.creditsCents])).toEqual(expected);
    for (const e of events) {
      expect(e).toMatchObject({ kind: 'points', role: 'rollback', generation: 0, appliedAt: NOW, externalNote: null });
      expect(e.key.endsWith(':rollback:0')).toBe(true);
      expect(findKeyInNote(e.internalNote, e.key)).toBe(true);
    }
  });

  it.each([
    ['lifetime cannot be lowered', migratedSoFar({ net: 455, earned: 850, generations: 0 }), model, /stays 850 above/],
    ['giving back a negative net raises lifetime too', migratedSoFar({ net: -400, earned: 300, generations: 0 }), model, /stays 700 above/],
    ['no lifetime note when nothing raised it', migratedSoFar({ creditsCents: 5, generations: 0 }), model, null],
    ['negative events lower lifetime: nothing left', migratedSoFar({ net: 455, earned: 455, generations: 0 }), { negativeEventsLowerLifetime: true }, null],
  ] as const)('notes: %s', (_name, migrated, m, pattern) => {
    const { notes } = rollback(migrated, { model: m });
    const lifetime = notes.filter((n) => n.includes('lifetime'));
    if (pattern) expect(lifetime.join('\n')).toMatch(pattern);
    else expect(lifetime).toEqual([]);
  });

  it('says the tier and birthday stay', () => {
    const { notes } = rollback(migratedSoFar({ tierSet: 't-gold', dobSet: '2000-06-28', generations: 0 }));
    expect(notes).toEqual(expect.arrayContaining([expect.stringContaining('t-gold'), expect.stringContaining('2000-06-28')]));
  });

  it('undoes a real plan, and a second rollback owes nothing', () => {
    const plan = planCustomer(aPlanInput({ customer: aCustomer({ pointsBalance: 455, pointsEarned: 850, creditCents: 99 }) }));
    const migrated = foldEvents(plan.events, model);
    const first = rollback(migrated);
    const after = foldEvents(first.events, model, migrated);
    expect(after).toMatchObject({ net: 0, creditsCents: 0, earned: 850, generations: 0 });
    expect(rollback(after, { generation: 1 }).events).toEqual([]);
  });

  it('a later rollback gets a new key', () => {
    const m = migratedSoFar({ net: 5, generations: 0 });
    expect(rollback(m).events[0]!.key).not.toBe(rollback(m, { generation: 1 }).events[0]!.key);
  });

  it('uses the given notes', () => {
    const { events } = rollback(migratedSoFar({ net: 5, generations: 0 }), { internalNote: 'Undo', externalNote: 'Sorry' });
    expect(events[0]!.internalNote).toMatch(/^Undo \[y2r:/);
    expect(events[0]!.externalNote).toBe('Sorry');
  });

  it('after a rollback, planning again re-migrates with fresh keys', () => {
    const input = aPlanInput({ customer: aCustomer({ pointsBalance: 100, pointsEarned: 100 }), mapping: aMapping() });
    const p1 = planCustomer(input);
    const m1 = foldEvents(p1.events, model);
    const m2 = foldEvents(rollback(m1).events, model, m1);
    const p2 = planCustomer({ ...input, migrated: m2 });
    expect(p2.events.map((e) => [e.role, e.pointsAmount])).toEqual([['balance', 100]]);
    expect(p2.events[0]!.generation).toBe(1);
  });
});
