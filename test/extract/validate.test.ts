import { describe, expect, it } from 'vitest';
import { positionalKey, recordKey } from '../../src/extract/record-key.js';
import { validateRecord } from '../../src/extract/validate.js';
import { customer } from './helpers.js';

const ctx = { source: 'api' as const, position: () => positionalKey('api:recent', 'off100', 7), now: new Date('2026-01-01T00:00:00Z') };
const v = (raw: unknown, extra: Partial<typeof ctx> & { earnedExpected?: boolean } = {}) => validateRecord(raw, { ...ctx, ...extra });

describe('validateRecord: points', () => {
  it.each([
    [455, 455],
    ['455', 455],
    [' 455 ', 455],
    [0, 0],
    ['12.0', 12],
    [1e12, 1e12],
  ])('accepts points_balance %j as %d', (value, expected) => {
    const { record } = v(customer(1, { points_balance: value }));
    expect(record.invalidReason).toBeNull();
    expect(record.pointsBalance).toBe(expected);
  });

  it.each([
    ['abc', 'points_balance: "abc" is not a whole number'],
    ['N/A', 'points_balance: "N/A" is not a whole number'],
    ['', 'points_balance: missing'],
    [null, 'points_balance: missing'],
    [undefined, 'points_balance: missing'],
    [-5, 'points_balance: -5 is negative'],
    ['-5', 'points_balance: "-5" is negative'],
    [12.5, 'points_balance: 12.5 is not a whole number'],
    ['12.25', 'points_balance: "12.25" is not a whole number'],
    [1e12 + 1, 'points_balance: 1000000000001 is absurd'],
    [Number.MAX_SAFE_INTEGER + 2, 'points_balance: 9007199254740992 is absurd'],
    ['99999999999999999999', 'points_balance: "99999999999999999999" is absurd'],
    [true, 'points_balance: true is not a whole number'],
    [{ n: 1 }, 'points_balance: {"n":1} is not a whole number'],
  ])('rejects points_balance %j, naming the record, field and value', (value, reason) => {
    const raw = customer(1, { points_balance: value });
    if (value === undefined) delete raw.points_balance;
    const { record } = v(raw);
    expect(record.invalidReason).toContain('customer "customer1@example.com": ');
    expect(record.invalidReason).toContain(reason);
    expect(record.pointsBalance).toBeNull();
    // The rest of the record is still read: the report needs who it is.
    expect(record.email).toBe('customer1@example.com');
    expect(record.thirdPartyId).toBe('7000000000001');
  });

  it('checks points_earned the same way and lists every problem', () => {
    const { record } = v(customer(2, { points_balance: 'x', points_earned: -1 }));
    expect(record.invalidReason).toBe('customer "customer2@example.com": points_balance: "x" is not a whole number; points_earned: -1 is negative');
  });

  it('lets a source without lifetime points leave points_earned empty instead of invalid', () => {
    const raw = customer(3);
    delete raw.points_earned;
    expect(v(raw).record.invalidReason).toContain('points_earned: missing');
    const { record } = v(raw, { earnedExpected: false });
    expect(record.invalidReason).toBeNull();
    expect(record.pointsEarned).toBeNull();
  });
});

describe('validateRecord: store credit', () => {
  it.each([
    ['12.50', 1250],
    ['0.1', 10],
    ['7', 700],
    ['19.99', 1999],
    ['12.500', 1250],
    [12.5, 1250],
    ['', null],
    [null, null],
    ['0.29', 29], // 0.29 * 100 is 28.999999999999996 in floating point
    ['1234567.89', 123456789],
  ])('reads credit_balance %j as %j cents, exactly', (value, cents) => {
    const { record } = v(customer(1, { credit_balance: value }));
    expect(record.invalidReason).toBeNull();
    expect(record.creditCents).toBe(cents);
  });

  it.each([
    ['12.345', 'credit_balance: "12.345" has more than 2 decimals'],
    ['-3.00', 'credit_balance: "-3.00" is negative'],
    ['$5', 'credit_balance: "$5" is not an amount'],
    ['abc', 'credit_balance: "abc" is not an amount'],
    ['.', 'credit_balance: "." is not an amount'],
    [0.1 + 0.2, 'credit_balance: 0.30000000000000004 has more than 2 decimals'],
  ])('makes credit_balance %j invalid', (value, reason) => {
    const { record } = v(customer(1, { credit_balance: value }));
    expect(record.invalidReason).toContain(reason);
    expect(record.creditCents).toBeNull();
  });
});

describe('validateRecord: identity and key', () => {
  it('keys by the email as given, trimmed, case preserved; email_norm is lower case', () => {
    const { record } = v(customer(1, { email: '  John.Doe@Example.COM\t' }));
    expect(record.key).toBe('John.Doe@Example.COM');
    expect(record.email).toBe('John.Doe@Example.COM');
    expect(record.emailNorm).toBe('john.doe@example.com');
  });

  it('makes a record without email invalid, keyed by third_party_id, else by position', () => {
    const a = v(customer(1, { email: '  ' })).record;
    expect(a.key).toBe('tpid:7000000000001');
    expect(a.invalidReason).toBe('record tpid:7000000000001: email: missing');
    const raw = customer(2, { third_party_id: null });
    delete raw.email;
    const b = v(raw).record;
    expect(b.key).toBe('pos:api:recent:off100:7');
    expect(b.invalidReason).toBe('record pos:api:recent:off100:7: email: missing');
  });

  it('reads the misspelled thirty_party_id twin, and numbers as text', () => {
    const raw = customer(1);
    delete raw.third_party_id;
    raw.thirty_party_id = 7977878356070;
    expect(v(raw).record.thirdPartyId).toBe('7977878356070');
    const both = v(customer(1, { third_party_id: '1', thirty_party_id: '2' }));
    expect(both.record.thirdPartyId).toBe('1');
    expect(both.warnings.join()).toContain('differ');
  });

  it('stores a record that is not an object as invalid, with its positional key', () => {
    const { record } = v('oops');
    expect(record.key).toBe('pos:api:recent:off100:7');
    expect(record.invalidReason).toContain('the record is not an object: "oops"');
    expect(record.rawJson).toBe('"oops"');
  });

  it('recordKey prefers email, then tpid, then position', () => {
    expect(recordKey({ email: ' a@b ', thirdPartyId: '1' }, () => 'p')).toBe('a@b');
    expect(recordKey({ email: null, thirdPartyId: ' 1 ' }, () => 'p')).toBe('tpid:1');
    expect(recordKey({ email: '', thirdPartyId: null }, () => 'p')).toBe('p');
  });
});

describe('validateRecord: values that must not block points', () => {
  it.each([
    [{ birthday_month: 13, birth_day: 1 }, 'birthday_month: 13 is not a month'],
    [{ birthday_month: 2, birth_day: 30 }, 'birth_day: 30 is not a day of month 2'],
    [{ birthday_month: 2, birth_day: 29, birthday_year: 2023 }, 'birth_day: 29 is not a day of month 2 in 2023'],
    [{ birthday_month: 'June', birth_day: 1 }, 'birthday_month: "June" is not a whole number'],
    [{ birthday_month: 6, birth_day: 1.5 }, 'birth_day: 1.5 is not a whole number'],
  ])('drops a bad birthday %j, keeps the record valid, and says so', (bday, warning) => {
    const { record, warnings } = v(customer(1, { birthday_year: null, ...bday }));
    expect(record.invalidReason).toBeNull();
    expect(record.pointsBalance).toBe(101);
    expect([record.birthdayMonth, record.birthDay, record.birthdayYear]).toEqual([null, null, null]);
    expect(warnings.join('\n')).toContain('customer "customer1@example.com": birthday dropped');
    expect(warnings.join('\n')).toContain(warning);
  });

  it('keeps month and day when only the year is implausible; keeps 29 Feb without a year', () => {
    const a = v(customer(1, { birthday_month: 6, birth_day: 28, birthday_year: 1066 }));
    expect([a.record.birthdayMonth, a.record.birthDay, a.record.birthdayYear]).toEqual([6, 28, null]);
    expect(a.warnings.join()).toContain('birthday year dropped');
    const b = v(customer(1, { birthday_month: 2, birth_day: 29, birthday_year: null }));
    expect([b.record.birthdayMonth, b.record.birthDay]).toEqual([2, 29]);
    expect(b.warnings).toEqual([]);
  });

  it('reads opt-in from booleans and yes/no text; an unreadable one is dropped with a warning', () => {
    expect(v(customer(1, { opt_in: 'Yes' })).record.optedIn).toBe(true);
    expect(v(customer(1, { opt_in: 'false' })).record.optedIn).toBe(false);
    const odd = v(customer(1, { opt_in: 'maybe' }));
    expect(odd.record.optedIn).toBeNull();
    expect(odd.record.invalidReason).toBeNull();
    expect(odd.warnings.join()).toContain('opt_in dropped: "maybe" is not yes or no');
  });

  it('takes the latest activity date', () => {
    const { record } = v(customer(1, { last_seen_at: '2025-03-01T10:00:00Z', last_purchase_at: '2025-05-01T10:00:00.000Z' }));
    expect(record.lastActivityAt).toBe('2025-05-01T10:00:00.000Z');
  });
});

describe('validateRecord: values hash and raw JSON', () => {
  it('changes when a migrated value changes, not when something unmigrated does', () => {
    const base = v(customer(1)).record.valuesHash;
    expect(v(customer(1)).record.valuesHash).toBe(base);
    expect(v(customer(1, { last_seen_at: '2025-01-01T00:00:00Z', first_name: 'Other' })).record.valuesHash).toBe(base);
    for (const change of [
      { points_balance: 999 },
      { points_earned: 999 },
      { credit_balance: '1.00' },
      { vip_tier_name: 'Silver' },
      { birthday_month: 9 },
      { opt_in: false },
      { third_party_id: '42' },
      { email: 'other@example.com' },
    ])
      expect(v(customer(1, change)).record.valuesHash, JSON.stringify(change)).not.toBe(base);
  });

  it('stores the raw record as received', () => {
    const raw = customer(1, { points_balance: '455', extra_field: { nested: true } });
    expect(JSON.parse(v(raw).record.rawJson)).toEqual(raw);
  });
});
