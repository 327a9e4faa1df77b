import { describe, expect, it } from 'vitest';
import type { RivoCustomerSnapshot } from '../../src/domain.js';
import { compareWithRivo, expectedFor, sameDob, type CustomerBefore, type ExpectedValues, type LedgerEntry } from '../../src/verify/expected.js';

const before = (over: Partial<CustomerBefore> = {}): CustomerBefore => ({
  pointsBefore: 100,
  lifetimeBefore: 400,
  creditsBefore: 500,
  tierBefore: 't-silver',
  dobBefore: null,
  ...over,
});

let n = 0;
const ev = (over: Partial<LedgerEntry>): LedgerEntry => ({
  key: `k${++n}`,
  kind: 'points',
  role: 'earned',
  status: 'done',
  generation: 0,
  pointsAmount: 0,
  creditsCents: 0,
  value: null,
  doneAt: '2025-01-01T00:00:00.000Z',
  ...over,
});

const DEFAULT = { negativeEventsLowerLifetime: false };
const LOWERS = { negativeEventsLowerLifetime: true };

type Row = {
  name: string;
  before?: Partial<CustomerBefore>;
  events: Partial<LedgerEntry>[];
  rules?: typeof DEFAULT;
  expect: Partial<ExpectedValues>;
};

const cases: Row[] = [
  { name: 'no events: Rivo as it was', events: [], expect: { points: 100, lifetime: 400, lifetimeOtherModel: 400, credits: 500, tierId: 't-silver', dob: null, eventKeys: [] } },
  {
    name: 'earned + spent, default model: the negative event leaves lifetime alone',
    events: [{ role: 'earned', pointsAmount: 1000 }, { role: 'spent', pointsAmount: -300 }],
    expect: { points: 800, lifetime: 1400, lifetimeOtherModel: 1100 },
  },
  {
    name: 'earned + spent, negative events lower lifetime',
    events: [{ role: 'earned', pointsAmount: 1000 }, { role: 'spent', pointsAmount: -300 }],
    rules: LOWERS,
    expect: { points: 800, lifetime: 1100, lifetimeOtherModel: 1400 },
  },
  {
    name: 'lifetime unknown before counts from 0',
    before: { lifetimeBefore: null },
    events: [{ pointsAmount: 250 }],
    expect: { points: 350, lifetime: 250, lifetimeUnknownBefore: true },
  },
  {
    name: 'rollback events count for points and credit (all roles); under the default model a negative rollback keeps lifetime',
    events: [
      { role: 'earned', pointsAmount: 1000 },
      { role: 'credit', creditsCents: 2500 },
      { role: 'rollback', pointsAmount: -1000, creditsCents: -2500, doneAt: '2025-02-01T00:00:00.000Z' },
    ],
    expect: { points: 100, credits: 500, lifetime: 1400, lifetimeOtherModel: 400 },
  },
  {
    name: 'rollback under the lowering model brings lifetime back',
    events: [
      { role: 'earned', pointsAmount: 1000 },
      { role: 'rollback', pointsAmount: -1000, doneAt: '2025-02-01T00:00:00.000Z' },
    ],
    rules: LOWERS,
    expect: { points: 100, lifetime: 400 },
  },
  {
    name: 'rejected and cancelled events never reached Rivo',
    events: [{ pointsAmount: 1000 }, { pointsAmount: 50, status: 'rejected' }, { pointsAmount: 70, status: 'cancelled' }],
    expect: { points: 1100, doneEvents: 1 },
  },
  {
    name: 'tier: the latest done tier event wins; tier and birthday events carry no key',
    events: [
      { kind: 'tier', role: 'tier', value: 't-gold', doneAt: '2025-01-01T00:00:00.000Z' },
      { kind: 'tier', role: 'rollback', value: 't-silver', doneAt: '2025-03-01T00:00:00.000Z' },
      { kind: 'tier', role: 'tier', generation: 1, value: 't-platinum', doneAt: '2025-02-01T00:00:00.000Z' },
    ],
    expect: { tierId: 't-silver', eventKeys: [] },
  },
  {
    name: 'tier: without a tier event, the tier before',
    events: [{ kind: 'tier', role: 'tier', value: 't-gold', status: 'rejected' }],
    expect: { tierId: 't-silver' },
  },
  {
    name: 'dob: the latest done birthday event, else the dob before',
    before: { dobBefore: '1990-01-01' },
    events: [
      { kind: 'birthday', role: 'birthday', value: '2000-05-17', doneAt: '2025-01-02T00:00:00.000Z' },
      { kind: 'birthday', role: 'birthday', generation: 1, value: '2000-06-18', doneAt: '2025-01-01T00:00:00.000Z' },
    ],
    expect: { dob: '2000-05-17' },
  },
  { name: 'dob before kept', before: { dobBefore: '1990-01-01' }, events: [], expect: { dob: '1990-01-01' } },
];

describe('expectedFor', () => {
  it.each(cases)('$name', (c) => {
    const result = expectedFor(before(c.before), c.events.map(ev), c.rules ?? DEFAULT);
    expect(result.checkable).toBe(true);
    if (result.checkable) expect(result.expected).toMatchObject(c.expect);
  });

  it('lists the keys of done points events only', () => {
    const r = expectedFor(
      before(),
      [ev({ key: 'a', pointsAmount: 5 }), ev({ key: 'b', pointsAmount: 5, status: 'rejected' }), ev({ key: 'c', kind: 'tier', value: 'x' }), ev({ key: 'd', creditsCents: 9 })],
      DEFAULT,
    );
    expect(r.checkable && r.expected.eventKeys).toEqual(['a', 'd']);
  });

  it.each([
    [['planned'], /1 event not settled yet \(1 planned\)/],
    [['uncertain', 'in_flight', 'done'], /2 events not settled yet \(1 in flight, 1 uncertain\)/],
  ] as const)('a customer with events %j is not checked', (statuses, reason) => {
    const r = expectedFor(before(), statuses.map((status) => ev({ status, pointsAmount: 10 })), DEFAULT);
    expect(r).toEqual({ checkable: false, reason: expect.stringMatching(reason) });
  });

  it('is not checkable without the Rivo values before', () => {
    expect(expectedFor(before({ pointsBefore: null }), [], DEFAULT)).toMatchObject({ checkable: false, reason: /not recorded/ });
  });
});

const snapshot = (over: Partial<RivoCustomerSnapshot> = {}): RivoCustomerSnapshot => ({
  id: '1',
  email: null,
  pointsTally: 800,
  lifetimeTally: 1400,
  creditsCents: 500,
  tierId: 't-silver',
  tierName: 'Silver',
  dob: null,
  loyaltyStatus: 'member',
  ...over,
});

const expectedOf = (events: Partial<LedgerEntry>[], rules = DEFAULT, b: Partial<CustomerBefore> = {}): ExpectedValues => {
  const r = expectedFor(before(b), events.map(ev), rules);
  if (!r.checkable) throw new Error(r.reason);
  return r.expected;
};
const earnedSpent = [{ role: 'earned' as const, pointsAmount: 1000 }, { role: 'spent' as const, pointsAmount: -300 }];

describe('compareWithRivo', () => {
  it('matches when every value is as expected', () => {
    const c = compareWithRivo(expectedOf(earnedSpent), snapshot(), DEFAULT);
    expect(c).toMatchObject({ matches: true, differences: [], otherLifetimeModel: false });
  });

  it('says what differs and by how much', () => {
    const c = compareWithRivo(expectedOf(earnedSpent), snapshot({ pointsTally: 700, creditsCents: 1750, tierId: 't-gold', tierName: 'Gold', dob: '2000-01-01' }), DEFAULT, (id) =>
      id === 't-silver' ? 'Silver' : null,
    );
    expect(c.matches).toBe(false);
    expect(c.differences.map((d) => d.text)).toEqual([
      'points: expected 800, Rivo has 700 (100 points fewer)',
      'store credit: expected 5.00, Rivo has 17.50 (12.50 more)',
      'tier: expected "Silver" (id t-silver), Rivo has "Gold" (id t-gold)',
      'birthday: expected none, Rivo has 2000-01-01',
    ]);
  });

  it.each([
    {
      name: 'configured "negative keeps lifetime", Rivo lowered it',
      rules: DEFAULT,
      actualLifetime: 1100,
      hint: /negative events DO lower lifetime.*set `mapping\.negativeEventsLowerLifetime` to true/,
    },
    {
      name: 'configured "negative lowers lifetime", Rivo kept it',
      rules: LOWERS,
      actualLifetime: 1400,
      hint: /negative events do NOT lower lifetime.*set `mapping\.negativeEventsLowerLifetime` to false/,
    },
  ])('pilot check: $name → names the rule to change', ({ rules, actualLifetime, hint }) => {
    const c = compareWithRivo(expectedOf(earnedSpent, rules), snapshot({ lifetimeTally: actualLifetime }), rules);
    expect(c.otherLifetimeModel).toBe(true);
    expect(c.differences).toHaveLength(1);
    expect(c.differences[0]!.field).toBe('lifetime');
    expect(c.differences[0]!.text).toMatch(hint);
  });

  it('a lifetime difference that fits neither model gets no model hint', () => {
    const c = compareWithRivo(expectedOf(earnedSpent), snapshot({ lifetimeTally: 1234 }), DEFAULT);
    expect(c.otherLifetimeModel).toBe(false);
    expect(c.differences[0]!.text).toBe('lifetime: expected 1400, Rivo has 1234 (166 points fewer)');
  });

  it('without negative events both models agree, so a lifetime difference is never blamed on the model', () => {
    const e = expectedOf([{ pointsAmount: 1000 }]);
    expect(e.lifetime).toBe(e.lifetimeOtherModel);
    expect(compareWithRivo(e, snapshot({ pointsTally: 1100, lifetimeTally: 1000 }), DEFAULT).otherLifetimeModel).toBe(false);
  });

  it('does not compare lifetime when Rivo reports none and had none before; does when it had one', () => {
    const unknown = expectedOf([{ pointsAmount: 10 }], DEFAULT, { lifetimeBefore: null });
    const c = compareWithRivo(unknown, snapshot({ pointsTally: 110, lifetimeTally: null }), DEFAULT);
    expect(c.matches).toBe(true);
    expect(c.notes).toEqual(['lifetime not compared: Rivo reports none for this customer']);
    const known = expectedOf([{ pointsAmount: 10 }]);
    expect(compareWithRivo(known, snapshot({ pointsTally: 110, lifetimeTally: null }), DEFAULT).differences[0]!.text).toMatch(/lifetime: expected 410, Rivo has none/);
  });

  it('compares tiers by id, birthdays by calendar date', () => {
    const e = expectedOf([{ kind: 'birthday', role: 'birthday', value: '2000-05-17' }], DEFAULT);
    expect(compareWithRivo(e, snapshot({ pointsTally: 100, lifetimeTally: 400, tierName: 'renamed tier', dob: '2000-05-17T00:00:00Z' }), DEFAULT).matches).toBe(true);
    expect(sameDob('2000-05-17', '2000-05-18')).toBe(false);
    expect(sameDob(null, '')).toBe(true);
  });
});
