import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventKey } from '../../src/mapper/keys.js';
import { foldEvents } from '../../src/mapper/migrated.js';
import { planCustomer, splitPoints } from '../../src/mapper/rules.js';
import {
  MIGRATION_ID,
  MIGRATION_NAME,
  NOW,
  TIERS,
  aCustomer,
  aMapping,
  aPlanInput,
  aRivoCustomer,
  migratedSoFar,
  pointsParts,
} from './builders.js';

const model = { negativeEventsLowerLifetime: false };

describe('builders', () => {
  it('aMapping() equals the shipped defaults', () => {
    const defaults = JSON.parse(readFileSync(new URL('../../config/default.json', import.meta.url), 'utf8'));
    expect(aMapping()).toEqual(defaults.mapping);
  });
});

describe('points: first run, mode add, strategy lifetime', () => {
  it.each([
    // name, B, L, expected [role, points, credits], lifetime target, lifetime note expected
    ['L > B: earned +L, spent -(L-B)', 455, 850, [['earned', 850, 0], ['spent', -395, 0]], 850, false],
    ['L = B: earned only', 300, 300, [['earned', 300, 0]], 300, false],
    ['L < B: earned +B, lifetime inexact', 500, 200, [['earned', 500, 0]], 500, true],
    ['B = 0, L > 0: lifetime carried, net zero', 0, 120, [['earned', 120, 0], ['spent', -120, 0]], 120, false],
    ['zero everything: no event', 0, 0, [], 0, false],
  ] as const)('%s', (_name, B, L, expected, lifetime, lifetimeNote) => {
    const plan = planCustomer(aPlanInput({ customer: aCustomer({ pointsBalance: B, pointsEarned: L }) }));
    expect(pointsParts(plan.events)).toEqual(expected);
    expect(plan.target).toEqual({ points: B, lifetime, creditsCents: 0 });
    expect(plan.predicted.pointsTally).toBe(B);
    expect(plan.predicted.lifetimeTally).toBe(lifetime);
    expect(plan.notes.some((n) => n.startsWith(`lifetime in Yotpo (${L}) is below the balance (${B})`))).toBe(lifetimeNote);
    expect(plan.state).toBe(expected.length ? 'pending' : 'nothing_to_migrate');
  });

  it('says exactly what the brief says when L < B', () => {
    const plan = planCustomer(aPlanInput({ customer: aCustomer({ pointsBalance: 500, pointsEarned: 200 }) }));
    expect(plan.notes).toContain('lifetime in Yotpo (200) is below the balance (500): Rivo lifetime will grow by 500');
  });

  it('adds to what the customer already has in Rivo', () => {
    const plan = planCustomer(
      aPlanInput({ customer: aCustomer({ pointsBalance: 455, pointsEarned: 850 }), rivo: aRivoCustomer({ pointsTally: 70, lifetimeTally: 90 }) }),
    );
    expect(plan.predicted.pointsTally).toBe(70 + 455);
    expect(plan.predicted.lifetimeTally).toBe(90 + 850);
  });

  it.each([
    ['stays null when nothing positive is posted', 0, 0, null],
    ['becomes a number when points are posted', 10, 10, 10],
  ])('a null Rivo lifetime %s', (_name, B, L, expected) => {
    const plan = planCustomer(aPlanInput({ customer: aCustomer({ pointsBalance: B, pointsEarned: L }), rivo: aRivoCustomer({ lifetimeTally: null }) }));
    expect(plan.predicted.lifetimeTally).toBe(expected);
  });

  it('fills in keys, notes, dates and generation 0', () => {
    const plan = planCustomer(aPlanInput({ customer: aCustomer({ key: 'k9', pointsBalance: 5, pointsEarned: 9 }) }));
    const earned = plan.events[0]!;
    const key = eventKey({ migrationName: MIGRATION_NAME, migrationId: MIGRATION_ID, customerKey: 'k9', role: 'earned', generation: 0 });
    expect(earned).toEqual({
      key,
      kind: 'points',
      role: 'earned',
      generation: 0,
      pointsAmount: 9,
      creditsCents: 0,
      value: null,
      appliedAt: NOW,
      internalNote: `Migrated from Yotpo [${key}]`,
      externalNote: 'Points carried over from our previous rewards program',
    });
    expect(plan.generation).toBe(0);
  });
});

describe('points: strategy balance and mode set', () => {
  it.each([
    ['balance, L > B: one +B event', { strategy: 'balance' }, 455, 850, 0, [['balance', 455, 0]], 455, 455],
    ['balance, L < B', { strategy: 'balance' }, 500, 200, 0, [['balance', 500, 0]], 500, 500],
    ['balance, B = 0', { strategy: 'balance' }, 0, 850, 0, [], 0, 0],
    ['set, P0 below B: posts B - P0 (lifetime strategy)', { mode: 'set' }, 500, 800, 200, [['earned', 800, 0], ['spent', -500, 0]], 300, 800],
    ['set, P0 above B: negative net, lifetime still carried', { mode: 'set' }, 100, 300, 500, [['earned', 300, 0], ['spent', -700, 0]], -400, 300],
    ['set, P0 above B, L = 0: one negative balance event', { mode: 'set' }, 100, 0, 500, [['balance', -400, 0]], -400, 0],
    ['set, P0 = B: nothing', { mode: 'set' }, 100, 0, 100, [], 0, 0],
    ['set + balance, P0 below B', { mode: 'set', strategy: 'balance' }, 500, 800, 200, [['balance', 300, 0]], 300, 300],
    ['set + balance, P0 above B', { mode: 'set', strategy: 'balance' }, 100, 800, 500, [['balance', -400, 0]], -400, 0],
  ] as const)('%s', (_name, over, B, L, P0, expected, net, lifetime) => {
    const plan = planCustomer(
      aPlanInput({
        customer: aCustomer({ pointsBalance: B, pointsEarned: L }),
        rivo: aRivoCustomer({ pointsTally: P0 }),
        mapping: aMapping(over),
      }),
    );
    expect(pointsParts(plan.events)).toEqual(expected);
    expect(plan.target.points).toBe(net);
    expect(plan.target.lifetime).toBe(lifetime);
    expect(plan.predicted.pointsTally).toBe(P0 + net);
  });

  it('set mode: says when L is below the points to add', () => {
    const plan = planCustomer(
      aPlanInput({ customer: aCustomer({ pointsBalance: 500, pointsEarned: 100 }), rivo: aRivoCustomer({ pointsTally: 200 }), mapping: aMapping({ mode: 'set' }) }),
    );
    expect(plan.notes.some((n) => n.includes('below the points to add (500 - 200 = 300)'))).toBe(true);
    expect(pointsParts(plan.events)).toEqual([['earned', 300, 0]]);
  });
});

describe('points: Rivo where negative events lower lifetime', () => {
  it.each([
    ['L > B: one net event, lifetime note', 455, 850, [['balance', 455, 0]], true],
    ['L = B: one event, no note', 300, 300, [['balance', 300, 0]], false],
    ['zero: nothing', 0, 0, [], false],
  ] as const)('%s', (_name, B, L, expected, note) => {
    const plan = planCustomer(
      aPlanInput({ customer: aCustomer({ pointsBalance: B, pointsEarned: L }), mapping: aMapping({ negativeEventsLowerLifetime: true }) }),
    );
    expect(pointsParts(plan.events)).toEqual(expected);
    expect(plan.predicted.lifetimeTally).toBe(B);
    expect(plan.notes.some((n) => n.includes('negativeEventsLowerLifetime'))).toBe(note);
  });
});

describe('splitPoints', () => {
  it.each([
    [100, 150, [['earned', 150], ['spent', -50]]],
    [150, 100, [['earned', 150]]],
    [100, 100, [['earned', 100]]],
    [-50, 30, [['earned', 30], ['spent', -80]]],
    [50, 0, [['balance', 50]]],
    [-50, -10, [['balance', -50]]],
    [0, 0, []],
    [0, -5, []],
  ] as const)('dN %i, dL %i', (dN, dL, expected) => {
    expect(splitPoints(dN, dL, 'lifetime', model).map((p) => [p.role, p.amount])).toEqual(expected);
  });
});

describe('delta re-runs', () => {
  /** Plan the first run, apply all of it, then plan again with Yotpo's new values. */
  function rerun(first: { B: number; L: number; C?: number }, second: { B: number; L: number; C?: number }, over = {}) {
    const mapping = aMapping(over);
    const p1 = planCustomer(
      aPlanInput({ mapping, customer: aCustomer({ pointsBalance: first.B, pointsEarned: first.L, creditCents: first.C ?? 0 }) }),
    );
    const migrated = foldEvents(p1.events, { negativeEventsLowerLifetime: mapping.negativeEventsLowerLifetime });
    const p2 = planCustomer(
      aPlanInput({ mapping, migrated, customer: aCustomer({ pointsBalance: second.B, pointsEarned: second.L, creditCents: second.C ?? 0 }) }),
    );
    return { p1, p2 };
  }

  it.each([
    ['nothing changed: no events', { B: 455, L: 850 }, { B: 455, L: 850 }, [], false],
    ['earned more, spent none: earned delta', { B: 455, L: 850 }, { B: 555, L: 950 }, [['earned', 100, 0]], false],
    ['earned and spent: earned + spent', { B: 455, L: 850 }, { B: 400, L: 950 }, [['earned', 100, 0], ['spent', -155, 0]], false],
    ['redeemed only (balance down): negative balance event', { B: 455, L: 850 }, { B: 255, L: 850 }, [['balance', -200, 0]], false],
    ['balance-only refund (balance up, lifetime same): balance event, lifetime overshoot', { B: 455, L: 850 }, { B: 500, L: 850 }, [['balance', 45, 0]], true],
    ['earned points removed (lifetime down): balance event, overshoot', { B: 455, L: 850 }, { B: 405, L: 800 }, [['balance', -50, 0]], true],
    ['balance fell to zero', { B: 455, L: 850 }, { B: 0, L: 850 }, [['balance', -455, 0]], false],
    ['credit up', { B: 10, L: 10, C: 500 }, { B: 10, L: 10, C: 750 }, [['credit', 0, 250]], false],
    ['credit down to zero', { B: 10, L: 10, C: 500 }, { B: 10, L: 10, C: 0 }, [['credit', 0, -500]], false],
  ] as const)('%s', (_name, first, second, expected, overshoot) => {
    const { p2 } = rerun(first, second);
    expect(pointsParts(p2.events)).toEqual(expected);
    expect(p2.generation).toBe(1);
    for (const e of p2.events) expect(e.generation).toBe(1);
    expect(p2.predicted.pointsTally).toBe(second.B);
    expect(p2.notes.some((n) => n.includes('more than intended'))).toBe(overshoot);
  });

  it('a delta gets new keys', () => {
    const { p1, p2 } = rerun({ B: 100, L: 100 }, { B: 200, L: 200 });
    expect(p1.events[0]!.role).toBe(p2.events[0]!.role);
    expect(p1.events[0]!.key).not.toBe(p2.events[0]!.key);
    expect(p2.events[0]!.key.endsWith(':earned:1')).toBe(true);
  });

  it('balance strategy: a delta is one balance event', () => {
    const { p2 } = rerun({ B: 100, L: 300 }, { B: 80, L: 400 }, { strategy: 'balance' });
    expect(pointsParts(p2.events)).toEqual([['balance', -20, 0]]);
  });

  it('a partly applied plan owes the rest', () => {
    const p1 = planCustomer(aPlanInput({ customer: aCustomer({ pointsBalance: 455, pointsEarned: 850 }) }));
    const migrated = foldEvents(p1.events.slice(0, 1), model); // the earned event landed, the spent one did not
    const p2 = planCustomer(aPlanInput({ migrated, customer: aCustomer({ pointsBalance: 455, pointsEarned: 850 }) }));
    expect(pointsParts(p2.events)).toEqual([['balance', -395, 0]]);
  });
});

describe('credits', () => {
  it.each([
    ['credit present', {}, 2500, migratedSoFar(), [['credit', 0, 2500]]],
    ['credit zero', {}, 0, migratedSoFar(), []],
    ['credits off', { credits: false }, 2500, migratedSoFar(), []],
    ['credits off after an earlier run posted some: left alone', { credits: false }, 2500, migratedSoFar({ creditsCents: 1000, generations: 0 }), []],
    ['already migrated', {}, 2500, migratedSoFar({ creditsCents: 2500, generations: 0 }), []],
  ] as const)('%s', (_name, over, C, migrated, expected) => {
    const plan = planCustomer(aPlanInput({ customer: aCustomer({ creditCents: C }), mapping: aMapping(over), migrated }));
    expect(pointsParts(plan.events)).toEqual(expected);
    expect(plan.predicted.creditsCents).toBe(expected.length ? C : migrated.creditsCents);
  });

  it('notes store credit that is not migrated', () => {
    const plan = planCustomer(aPlanInput({ customer: aCustomer({ creditCents: 2505 }), mapping: aMapping({ credits: false }) }));
    expect(plan.notes).toContain('store credit of 25.05 not migrated (mapping.credits is off)');
  });

  it('posts credit beside points, each in its own event', () => {
    const plan = planCustomer(aPlanInput({ customer: aCustomer({ pointsBalance: 10, pointsEarned: 10, creditCents: 99 }), rivo: aRivoCustomer({ creditsCents: 1 }) }));
    expect(pointsParts(plan.events)).toEqual([['earned', 10, 0], ['credit', 0, 99]]);
    expect(plan.predicted.creditsCents).toBe(100);
  });
});

describe('tiers', () => {
  const tierEvents = (plan: ReturnType<typeof planCustomer>) => plan.events.filter((e) => e.kind === 'tier').map((e) => e.value);
  it.each([
    ['same name', 'Gold', {}, aRivoCustomer(), migratedSoFar(), ['t-gold'], false],
    ['name in another case and padded', '  gOLD ', {}, aRivoCustomer(), migratedSoFar(), ['t-gold'], false],
    ['via tierMap to a name', 'VIP', { tierMap: { vip: 'silver' } }, aRivoCustomer(), migratedSoFar(), ['t-silver'], false],
    ['via tierMap to an id', 'VIP', { tierMap: { vip: 't-bronze' } }, aRivoCustomer(), migratedSoFar(), ['t-bronze'], false],
    ['tierMap wins over a same-named tier', 'Gold', { tierMap: { gold: 'Silver' } }, aRivoCustomer(), migratedSoFar(), ['t-silver'], false],
    ['unmapped: note, no event', 'Platinum', {}, aRivoCustomer(), migratedSoFar(), [], true],
    ['tierMap to nothing: note, no event', 'VIP', { tierMap: { vip: 'Diamond' } }, aRivoCustomer(), migratedSoFar(), [], true],
    ['Rivo already has it', 'Gold', {}, aRivoCustomer({ tierId: 't-gold', tierName: 'Gold' }), migratedSoFar(), [], false],
    ['already set by an earlier run', 'Gold', {}, aRivoCustomer(), migratedSoFar({ tierSet: 't-gold', generations: 0 }), [], false],
    ['Yotpo tier changed since an earlier run', 'Silver', {}, aRivoCustomer(), migratedSoFar({ tierSet: 't-gold', generations: 0 }), ['t-silver'], false],
    [
      'changed back to what Rivo had before the run that set another',
      'Silver',
      {},
      aRivoCustomer({ tierId: 't-silver', tierName: 'Silver' }),
      migratedSoFar({ tierSet: 't-gold', generations: 0 }),
      ['t-silver'],
      false,
    ],
    ['tiers off', 'Gold', { tiers: false }, aRivoCustomer(), migratedSoFar(), [], false],
    ['no tier in Yotpo', null, {}, aRivoCustomer(), migratedSoFar(), [], false],
    ['blank tier in Yotpo', '  ', {}, aRivoCustomer(), migratedSoFar(), [], false],
  ] as const)('%s', (_name, tierName, over, rivo, migrated, expected, note) => {
    const plan = planCustomer(aPlanInput({ customer: aCustomer({ tierName }), mapping: aMapping(over), rivo, migrated }));
    expect(tierEvents(plan)).toEqual(expected);
    expect(plan.notes.some((n) => n.startsWith('tier '))).toBe(note);
    if (expected.length) {
      expect(plan.predicted.tierName).toBe(TIERS.find((t) => t.id === expected[0])!.name);
      expect(plan.events.find((e) => e.kind === 'tier')).toMatchObject({ role: 'tier', pointsAmount: 0, creditsCents: 0, appliedAt: null });
    }
  });

  it('an ambiguous Rivo tier name is a note', () => {
    const tiers = [...TIERS, { id: 't-gold-2', name: 'GOLD' }];
    const plan = planCustomer(aPlanInput({ customer: aCustomer({ tierName: 'Gold' }), tiers }));
    expect(plan.events).toEqual([]);
    expect(plan.notes.some((n) => n.includes('2 Rivo tiers have that name'))).toBe(true);
  });
});

describe('birthdays', () => {
  const dobs = (plan: ReturnType<typeof planCustomer>) => plan.events.filter((e) => e.kind === 'birthday').map((e) => e.value);
  it.each([
    ['month, day and year', 6, 28, 1990, null, null, ['1990-06-28'], null],
    ['no year: the configured year', 6, 28, null, null, null, ['2000-06-28'], null],
    ['29 Feb without a year', 2, 29, null, null, null, ['2000-02-29'], null],
    ['29 Feb in a leap year', 2, 29, 1996, null, null, ['1996-02-29'], null],
    ['29 Feb in a year that had none: year dropped', 2, 29, 1997, null, null, ['2000-02-29'], 'not a leap year'],
    ['a year in the future: dropped', 6, 28, 2090, null, null, ['2000-06-28'], 'implausible'],
    ['30 Feb: invalid', 2, 30, null, null, null, [], 'not a valid date'],
    ['31 Apr: invalid', 4, 31, 1990, null, null, [], 'not a valid date'],
    ['month 13: invalid', 13, 1, null, null, null, [], 'not a valid date'],
    ['day 0: invalid', 1, 0, null, null, null, [], 'not a valid date'],
    ['month only: incomplete', 6, null, null, null, null, [], 'incomplete'],
    ['none at all: nothing, no note', null, null, null, null, null, [], null],
    ['Rivo already has it', 6, 28, 1990, '1990-06-28', null, [], null],
    ['Rivo has another date: Yotpo wins', 6, 28, 1990, '1985-01-02', null, ['1990-06-28'], null],
    ['no year and Rivo has the same day with a real year: kept', 6, 28, null, '1985-06-28', null, [], null],
    ['already set by an earlier run', 6, 28, null, null, '2000-06-28', [], null],
    ['Yotpo learned the year since an earlier run', 6, 28, 1990, null, '2000-06-28', ['1990-06-28'], null],
  ] as const)('%s', (_name, month, day, year, rivoDob, dobSet, expected, note) => {
    const plan = planCustomer(
      aPlanInput({
        customer: aCustomer({ birthdayMonth: month, birthDay: day, birthdayYear: year }),
        rivo: aRivoCustomer({ dob: rivoDob }),
        migrated: migratedSoFar({ dobSet, generations: dobSet ? 0 : -1 }),
      }),
    );
    expect(dobs(plan)).toEqual(expected);
    if (note) expect(plan.notes.some((n) => n.includes(note))).toBe(true);
    else expect(plan.notes.filter((n) => n.includes('birthday'))).toEqual([]);
    expect(plan.predicted.dob).toBe(expected[0] ?? dobSet ?? rivoDob);
  });

  it('birthdays off', () => {
    const plan = planCustomer(aPlanInput({ customer: aCustomer({ birthdayMonth: 6, birthDay: 28 }), mapping: aMapping({ birthdays: false }) }));
    expect(plan.events).toEqual([]);
  });

  it('29 Feb with an unknown-year setting that is not a leap year is a note', () => {
    const plan = planCustomer(aPlanInput({ customer: aCustomer({ birthdayMonth: 2, birthDay: 29 }), dobUnknownYear: 2001 }));
    expect(plan.events).toEqual([]);
    expect(plan.notes.some((n) => n.includes('dobUnknownYear'))).toBe(true);
  });
});

describe('skip rules', () => {
  const rich = { pointsBalance: 100, pointsEarned: 200, creditCents: 50, tierName: 'Gold', birthdayMonth: 1, birthDay: 2 };
  it.each([
    ['non-member skipped', { skipNonMembers: true }, { ...rich, optedIn: false }, migratedSoFar(), true],
    ['opt-in unknown is not skipped', { skipNonMembers: true }, { ...rich, optedIn: null }, migratedSoFar(), false],
    ['non-member kept when the rule is off', {}, { ...rich, optedIn: false }, migratedSoFar(), false],
    ['all zero skipped', { skipZeroBalance: true }, { tierName: 'Gold' }, migratedSoFar(), true],
    ['zero balance but lifetime: kept under the lifetime strategy', { skipZeroBalance: true }, { pointsEarned: 5 }, migratedSoFar(), false],
    ['zero balance and lifetime but credit: kept', { skipZeroBalance: true }, { creditCents: 5 }, migratedSoFar(), false],
    ['zero balance, lifetime under the balance strategy: skipped', { skipZeroBalance: true, strategy: 'balance' }, { pointsEarned: 5 }, migratedSoFar(), true],
    [
      'zero balance after an earlier run: not skipped, the points are taken back',
      { skipZeroBalance: true },
      {},
      migratedSoFar({ net: 100, earned: 100, generations: 0 }),
      false,
    ],
  ] as const)('%s', (_name, over, customer, migrated, skipped) => {
    const plan = planCustomer(aPlanInput({ customer: aCustomer(customer), mapping: aMapping(over), migrated }));
    if (skipped) {
      expect(plan.events).toEqual([]);
      expect(plan.state).toBe('nothing_to_migrate');
      expect(plan.notes.some((n) => n.startsWith('skipped: '))).toBe(true);
      expect(plan.target).toEqual({ points: migrated.net, lifetime: migrated.earned, creditsCents: migrated.creditsCents });
    } else {
      expect(plan.notes.some((n) => n.startsWith('skipped: '))).toBe(false);
      expect(plan.state).toBe('pending');
    }
  });

  it('zero balance after an earlier run posts the negative delta, and says why', () => {
    const plan = planCustomer(
      aPlanInput({ mapping: aMapping({ skipZeroBalance: true }), migrated: migratedSoFar({ net: 100, earned: 100, generations: 0 }) }),
    );
    expect(pointsParts(plan.events)).toEqual([['balance', -100, 0]]);
    expect(plan.notes.some((n) => n.startsWith('not skipped although'))).toBe(true);
  });
});

describe('applied_at', () => {
  const at = (over: Parameters<typeof aCustomer>[0], appliedAt: 'now' | 'last_activity') => {
    const plan = planCustomer(aPlanInput({ customer: aCustomer({ pointsBalance: 1, pointsEarned: 1, tierName: 'Gold', ...over }), mapping: aMapping({ appliedAt }) }));
    return { points: plan.events.find((e) => e.kind === 'points')!.appliedAt, tier: plan.events.find((e) => e.kind === 'tier')!.appliedAt, notes: plan.notes };
  };
  it.each([
    ['now', 'now', '2023-01-02T03:04:05Z', NOW, false],
    ['last activity', 'last_activity', '2023-01-02T03:04:05Z', '2023-01-02T03:04:05.000Z', false],
    ['last activity missing: now', 'last_activity', null, NOW, true],
    ['last activity unreadable: now', 'last_activity', 'yesterday-ish', NOW, true],
    ['last activity in the future: now', 'last_activity', '2030-01-01T00:00:00Z', NOW, true],
  ] as const)('%s', (_name, appliedAt, lastActivityAt, expected, noted) => {
    const r = at({ lastActivityAt }, appliedAt);
    expect(r.points).toBe(expected);
    expect(r.tier).toBeNull();
    expect(r.notes.some((n) => n.includes('last activity'))).toBe(noted);
  });
});

describe('input checks', () => {
  it.each([
    ['negative balance', { pointsBalance: -1 }],
    ['fractional balance', { pointsBalance: 1.5 }],
    ['NaN lifetime', { pointsEarned: Number.NaN }],
    ['negative credit', { creditCents: -1 }],
  ])('refuses a customer with %s', (_name, over) => {
    expect(() => planCustomer(aPlanInput({ customer: aCustomer(over) }))).toThrow(RangeError);
  });
  it('refuses a now that is not a date', () => {
    expect(() => planCustomer(aPlanInput({ now: 'soon' }))).toThrow(RangeError);
  });
});

describe('state and order', () => {
  it('orders points, credit, tier, birthday', () => {
    const plan = planCustomer(
      aPlanInput({ customer: aCustomer({ pointsBalance: 5, pointsEarned: 9, creditCents: 3, tierName: 'Gold', birthdayMonth: 1, birthDay: 1 }) }),
    );
    expect(plan.events.map((e) => e.role)).toEqual(['earned', 'spent', 'credit', 'tier', 'birthday']);
    expect(plan.state).toBe('pending');
  });
  it('a tier alone makes the customer pending', () => {
    expect(planCustomer(aPlanInput({ customer: aCustomer({ tierName: 'Gold' }) })).state).toBe('pending');
  });
});
