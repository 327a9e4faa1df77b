import { describe, expect, it } from 'vitest';
import { validateRecord } from '../../src/extract/validate.js';
import { planCustomer } from '../../src/mapper/rules.js';
import { decideExpiry } from '../../src/rivo/expiry.js';
import { aCustomer, aMapping, aPlanInput } from './builders.js';

/** NOW is 2024-05-01T12:00:00.000Z (builders.ts). */
const roles = (events: { role: string; pointsAmount: number; expiresAt?: string | null }[]) => events.map((e) => [e.role, e.pointsAmount, e.expiresAt ?? null]);

describe('the earn event carries points_expire_at when told to', () => {
  it('lifetime strategy: the earned event carries it, the spent event does not', () => {
    const plan = planCustomer(aPlanInput({ customer: aCustomer({ pointsBalance: 455, pointsEarned: 850, pointsExpireAt: '2025-01-31T00:00:00.000Z' }), sendExpiry: true }));
    expect(roles(plan.events)).toEqual([
      ['earned', 850, '2025-01-31T00:00:00.000Z'],
      ['spent', -395, null],
    ]);
    expect(plan.notes).toEqual([]);
  });

  it('balance strategy: the positive balance event carries it; a negative one (set mode) does not', () => {
    const up = planCustomer(aPlanInput({ customer: aCustomer({ pointsBalance: 300, pointsEarned: 300, pointsExpireAt: '2025-01-31T00:00:00.000Z' }), mapping: aMapping({ strategy: 'balance' }), sendExpiry: true }));
    expect(roles(up.events)).toEqual([['balance', 300, '2025-01-31T00:00:00.000Z']]);
    const down = planCustomer(
      aPlanInput({
        customer: aCustomer({ pointsBalance: 100, pointsEarned: 100, pointsExpireAt: '2025-01-31T00:00:00.000Z' }),
        rivo: { id: '1001', email: 'ann@example.com', pointsTally: 400, lifetimeTally: 400, creditsCents: 0, tierId: null, tierName: null, dob: null, loyaltyStatus: null },
        mapping: aMapping({ strategy: 'balance', mode: 'set' }),
        sendExpiry: true,
      }),
    );
    expect(roles(down.events)).toEqual([['balance', -300, null]]);
  });

  it('not sent when the decision says no (the default), and the events are the same otherwise', () => {
    const customer = aCustomer({ pointsBalance: 455, pointsEarned: 850, pointsExpireAt: '2025-01-31T00:00:00.000Z' });
    const off = planCustomer(aPlanInput({ customer }));
    expect(roles(off.events)).toEqual([
      ['earned', 850, null],
      ['spent', -395, null],
    ]);
    expect(off.notes).toEqual([]);
  });

  it('a past date is not sent, and the plan says so', () => {
    const plan = planCustomer(aPlanInput({ customer: aCustomer({ pointsBalance: 10, pointsEarned: 10, pointsExpireAt: '2024-04-30T00:00:00.000Z' }), sendExpiry: true }));
    expect(roles(plan.events)).toEqual([['earned', 10, null]]);
    expect(plan.notes).toEqual(['points_expire_at 2024-04-30T00:00:00.000Z is already past: expires_at not sent']);
  });

  it('an unreadable date is a note naming the field, whether or not dates are sent', () => {
    for (const sendExpiry of [true, false]) {
      const plan = planCustomer(aPlanInput({ customer: aCustomer({ pointsBalance: 10, pointsEarned: 10, pointsExpireAt: '31/01/2025' }), sendExpiry }));
      expect(roles(plan.events)).toEqual([['earned', 10, null]]);
      expect(plan.notes).toEqual(['points_expire_at "31/01/2025" is not a date: no expiry carried for this customer']);
    }
  });
});

describe('extraction reads points_expire_at', () => {
  const ctx = { source: 'api' as const, position: () => 'pos-1' };
  const base = { email: 'ann@example.com', points_balance: 10, points_earned: 20 };

  it('a date is stored as an ISO instant; none is null; neither warns', () => {
    expect(validateRecord({ ...base, points_expire_at: '2025-01-31' }, ctx)).toMatchObject({ record: { pointsExpireAt: '2025-01-31T00:00:00.000Z' }, warnings: [] });
    expect(validateRecord({ ...base, points_expire_at: null }, ctx)).toMatchObject({ record: { pointsExpireAt: null }, warnings: [] });
    expect(validateRecord(base, ctx)).toMatchObject({ record: { pointsExpireAt: null }, warnings: [] });
  });

  it('an invalid date is a warning naming the record and the field; the record stays valid and keeps the text', () => {
    const { record, warnings } = validateRecord({ ...base, points_expire_at: 'soon' }, ctx);
    expect(record.invalidReason).toBeNull();
    expect(record.pointsBalance).toBe(10);
    expect(record.pointsExpireAt).toBe('soon');
    expect(warnings).toEqual(['customer "ann@example.com": points_expire_at not carried: "soon" is not a date']);
    const odd = validateRecord({ ...base, points_expire_at: { at: 1 } }, ctx);
    expect(odd.record.invalidReason).toBeNull();
    expect(odd.warnings).toEqual(['customer "ann@example.com": points_expire_at not carried: {"at":1} is not a date']);
  });

  it('records without an expiry keep the values hash they had before the field existed', () => {
    const a = validateRecord(base, ctx).record.valuesHash;
    const b = validateRecord({ ...base, points_expire_at: '' }, ctx).record.valuesHash;
    const c = validateRecord({ ...base, points_expire_at: '2025-01-31' }, ctx).record.valuesHash;
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });
});

describe('decideExpiry: the one switch', () => {
  it.each([
    ['auto', 'accepted', true],
    ['auto', 'ignored', false],
    ['auto', 'refused', false],
    ['auto', 'unknown', false],
    ['send', 'refused', true],
    ['send', 'unknown', true],
    ['off', 'accepted', false],
  ] as const)('%s on a store where expires_at is %s: send %s', (setting, expiresAt, send) => {
    expect(decideExpiry(setting, { expiresAt }).send).toBe(send);
  });
});
