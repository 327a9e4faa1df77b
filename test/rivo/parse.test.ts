import { describe, expect, it } from 'vitest';
import { centsToDecimal, decimalToCents, parseCustomer, parseEvent, singleResource } from '../../src/rivo/parse.js';

describe('decimalToCents', () => {
  it.each([
    ['25.0', 2500],
    ['25.00', 2500],
    ['2.4', 240],
    ['0.07', 7],
    ['-12.5', -1250],
    ['12', 1200],
    ['.5', 50],
    ['0.005', 1],
    ['19.99', 1999],
    [19.99, 1999],
    [0.1, 10],
    [-0.3, -30],
    ['0', 0],
    ['-0.00', 0],
  ] as const)('%s -> %d cents', (input, cents) => {
    expect(decimalToCents(input)).toBe(cents);
  });

  it.each(['', 'abc', '1,5', '1.2.3', '-', null, undefined, Number.NaN])('refuses %s', (input) => {
    expect(decimalToCents(input)).toBeNull();
  });
});

describe('centsToDecimal', () => {
  it.each([
    [1250, '12.50'],
    [5, '0.05'],
    [-5, '-0.05'],
    [0, '0.00'],
    [-123456, '-1234.56'],
  ])('%d -> %s', (cents, text) => {
    expect(centsToDecimal(cents)).toBe(text);
    expect(decimalToCents(text)).toBe(cents);
  });

  it('refuses fractional cents', () => {
    expect(() => centsToDecimal(1.5)).toThrow(/whole cents/);
  });
});

describe('resources', () => {
  it('reads the JSON:API envelope and the `customer` shape some Rivo integrations use', () => {
    const a = singleResource({ data: { type: 'customer', id: '7', attributes: { points_tally: 3, credits_tally: '1.0' } } });
    expect(parseCustomer(a!, '/x')).toMatchObject({ id: '7', pointsTally: 3, creditsCents: 100, lifetimeTally: null });
    const b = singleResource({ customer: { customer_id: 8, points_tally: 150, credits_tally: '25.0', lifetime_earnings_tally: null, vip_tier: null, dob: null } });
    expect(parseCustomer(b!, '/x')).toMatchObject({ id: '8', pointsTally: 150, creditsCents: 2500 });
  });

  it('takes the signed points_diff, falling back to points_amount only when there is no diff', () => {
    expect(parseEvent({ id: 1, points_amount: 40, points_diff: -40, credits_diff: -1.5 }, '/x')).toMatchObject({ pointsDiff: -40, creditsDiffCents: -150 });
    expect(parseEvent({ id: 2, points_amount: 40 }, '/x')).toMatchObject({ pointsDiff: 40, creditsDiffCents: 0 });
  });

  it('refuses a customer without id or with a fractional tally', () => {
    expect(() => parseCustomer({ points_tally: 1 }, '/x')).toThrow(/without an id/);
    expect(() => parseCustomer({ id: 1, points_tally: 1.5 }, '/x')).toThrow(/points_tally/);
  });
});
