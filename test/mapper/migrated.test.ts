import { describe, expect, it } from 'vitest';
import type { PlannedEvent } from '../../src/domain.js';
import { NOTHING_MIGRATED, foldEvents, inWriteOrder, lifetimeEffect, rivoShows } from '../../src/mapper/migrated.js';

const ev = (over: Partial<PlannedEvent>): PlannedEvent => ({
  key: 'k',
  kind: 'points',
  role: 'balance',
  generation: 0,
  pointsAmount: 0,
  creditsCents: 0,
  value: null,
  appliedAt: null,
  internalNote: '',
  externalNote: null,
  ...over,
});
const modelled = { negativeEventsLowerLifetime: false };
const lowering = { negativeEventsLowerLifetime: true };

describe('foldEvents', () => {
  it('nothing folds to nothing', () => {
    expect(foldEvents([], modelled)).toEqual(NOTHING_MIGRATED);
  });

  it.each([
    ['modelled Rivo: only positive amounts raise lifetime', modelled, { net: 455, earned: 850 }],
    ['negative events lower lifetime: lifetime is the net', lowering, { net: 455, earned: 455 }],
  ] as const)('%s', (_name, model, expected) => {
    const out = foldEvents([ev({ role: 'earned', pointsAmount: 850 }), ev({ role: 'spent', pointsAmount: -395 })], model);
    expect(out).toMatchObject({ ...expected, generations: 0 });
  });

  it('sums credit and keeps the latest tier and dob by generation, whatever the input order', () => {
    const out = foldEvents(
      [
        ev({ kind: 'tier', role: 'tier', generation: 2, value: 't-silver' }),
        ev({ kind: 'tier', role: 'tier', generation: 0, value: 't-gold' }),
        ev({ kind: 'birthday', role: 'birthday', generation: 1, value: '1990-06-28' }),
        ev({ kind: 'birthday', role: 'birthday', generation: 0, value: '2000-06-28' }),
        ev({ role: 'credit', creditsCents: 250 }),
        ev({ role: 'credit', creditsCents: -50, generation: 1 }),
      ],
      modelled,
    );
    expect(out).toEqual({ earned: 0, net: 0, creditsCents: 200, tierSet: 't-silver', dobSet: '1990-06-28', generations: 2 });
  });

  it('rollback events count in the sums but not in the generations of migration events', () => {
    const out = foldEvents([ev({ role: 'earned', pointsAmount: 100 }), ev({ role: 'rollback', generation: 3, pointsAmount: -100 })], modelled);
    expect(out).toEqual({ ...NOTHING_MIGRATED, earned: 100, net: 0, generations: 0 });
  });

  it('continues from a start', () => {
    const start = foldEvents([ev({ role: 'earned', pointsAmount: 10 })], modelled);
    expect(foldEvents([ev({ role: 'balance', pointsAmount: -4, generation: 1 })], modelled, start)).toMatchObject({ net: 6, earned: 10, generations: 1 });
    expect(start.net).toBe(10); // not mutated
  });

  it.each([
    [5, modelled, 5],
    [-5, modelled, 0],
    [-5, lowering, -5],
  ] as const)('lifetimeEffect(%i)', (amount, model, expected) => {
    expect(lifetimeEffect(amount, model)).toBe(expected);
  });
});

describe('the one write order (plan, verify and rollback)', () => {
  const at = (t: string) => `2025-01-0${t}T00:00:00.000Z`;
  it('the write made last wins, whatever the generations say', () => {
    const out = foldEvents(
      [
        { ...ev({ kind: 'birthday', role: 'birthday', generation: 0, value: '2000-05-17' }), at: at('2') },
        { ...ev({ kind: 'birthday', role: 'birthday', generation: 1, value: '2000-06-18' }), at: at('1') },
      ],
      modelled,
    );
    expect(out.dobSet).toBe('2000-05-17');
  });

  it('on the same instant a rollback comes after what it undoes, then the higher generation', () => {
    const events = [
      { role: 'rollback' as const, generation: 0, at: at('3'), name: 'restore' },
      { role: 'tier' as const, generation: 1, at: at('3'), name: 'g1' },
      { role: 'tier' as const, generation: 0, at: at('3'), name: 'g0' },
    ];
    expect(inWriteOrder(events).map((e) => e.name)).toEqual(['g0', 'g1', 'restore']);
  });

  it('an event not written yet comes after every written one', () => {
    const events = [
      { role: 'tier' as const, generation: 5, at: undefined, name: 'planned' },
      { role: 'tier' as const, generation: 0, at: at('1'), name: 'done' },
    ];
    expect(inWriteOrder(events).map((e) => e.name)).toEqual(['done', 'planned']);
  });
});

describe('rivoShows', () => {
  it('adds the fold to Rivo as first observed; a lifetime Rivo never reported stays null while nothing raised it', () => {
    const before = { points: 100, lifetime: null, creditsCents: 50, tierId: 't1', dob: null };
    expect(rivoShows(before, NOTHING_MIGRATED)).toEqual(before);
    const folded = foldEvents([ev({ role: 'earned', pointsAmount: 30, creditsCents: 25 }), ev({ kind: 'tier', role: 'tier', value: 't2' })], modelled);
    expect(rivoShows(before, folded)).toEqual({ points: 130, lifetime: 30, creditsCents: 75, tierId: 't2', dob: null });
  });
});
