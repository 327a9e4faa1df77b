import { describe, expect, it } from 'vitest';
import { daysInMonth, isLeapYear, normaliseDob, sameDob } from '../../src/util/dates.js';
import { formatCents, moreOrLessMoney } from '../../src/util/money.js';

describe('formatCents', () => {
  it.each([
    [0, '0.00'],
    [5, '0.05'],
    [-5, '-0.05'],
    [1250, '12.50'],
    [-1205, '-12.05'],
    [123456789, '1234567.89'],
    [Number.MAX_SAFE_INTEGER, '90071992547409.91'],
  ])('%d -> %s', (cents, text) => expect(formatCents(cents)).toBe(text));

  it('never shows a float artefact or -0', () => {
    expect(formatCents(10 + 20)).toBe('0.30');
    expect(formatCents(-0)).toBe('0.00');
  });

  it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60])('refuses %s (not a whole number of cents)', (v) => expect(() => formatCents(v)).toThrow(RangeError));

  it('says a difference in words', () => {
    expect(moreOrLessMoney(250)).toBe('2.50 more');
    expect(moreOrLessMoney(-5)).toBe('0.05 less');
  });
});

describe('calendar dates', () => {
  it.each([
    [2, 2000, 29],
    [2, 1900, 28],
    [2, 2024, 29],
    [2, 2023, 28],
    [2, null, 29],
    [4, 2023, 30],
    [12, 2023, 31],
  ] as const)('month %d of %s has %d days', (m, y, d) => expect(daysInMonth(m, y)).toBe(d));

  it('leap years: every 4th, not every 100th, every 400th', () => {
    expect([1600, 1700, 1996, 2000, 2100].map(isLeapYear)).toEqual([true, false, true, true, false]);
  });

  it.each([
    ['2000-05-17', '2000-05-17'],
    ['2000-05-17T00:00:00Z', '2000-05-17'],
    [' 2000-05-17 10:00 ', '2000-05-17'],
    ['', null],
    ['   ', null],
    [null, null],
    ['2001-02-29', '2001-02-29'], // not a date: kept as the text it is
    ['17/05/2000', '17/05/2000'],
  ] as const)('normaliseDob(%j) = %j', (v, out) => expect(normaliseDob(v)).toBe(out));

  it('compares birthdays as calendar dates', () => {
    expect(sameDob('2000-05-17', '2000-05-17T10:00:00.000Z')).toBe(true);
    expect(sameDob(null, '')).toBe(true);
    expect(sameDob('2000-05-17', '2000-05-18')).toBe(false);
    expect(sameDob('2000-05-17', null)).toBe(false);
    expect(sameDob('2001-02-29T00:00:00Z', '2001-02-29')).toBe(false); // not dates: compared as text
  });
});
