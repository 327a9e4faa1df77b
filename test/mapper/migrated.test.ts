import { describe, expect, it } from 'vitest';
import type { PlannedEvent } from '../../src/domain.js';
import { NOTHING_MIGRATED, foldEvents, lifetimeEffect } from '../../src/mapper/migrated.js';

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
