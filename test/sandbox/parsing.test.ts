import { describe, expect, it } from 'vitest';
import { BadRequest, parseBody, parseBracketParams } from '../../src/sandbox/http-util.js';
import { centsToFixed2, centsToRivo, decimalToCents } from '../../src/sandbox/money.js';
import { batchItems, isSkipEmail, parseEventInput } from '../../src/sandbox/rivo-events.js';
import { PeakRate, RateLimiter } from '../../src/sandbox/rate-window.js';

const form = (s: string) => parseBracketParams(new URLSearchParams(s).entries());

describe('Rails bracket params', () => {
  it('nests hashes and arrays like Rack', () => {
    expect(form('a=1&b[c]=2&b[d][e]=3&f[]=4&f[]=5')).toEqual({ a: '1', b: { c: '2', d: { e: '3' } }, f: ['4', '5'] });
  });

  it('starts a new array element when the last one already has the key', () => {
    expect(form('e[][x]=1&e[][y]=2&e[][x]=3&e[][y]=4&e[][z]=5')).toEqual({ e: [{ x: '1', y: '2' }, { x: '3', y: '4', z: '5' }] });
  });

  it('decodes values and keys, and refuses type clashes', () => {
    expect(form('points_event%5Bnote%5D=a%20b%2Bc')).toEqual({ points_event: { note: 'a b+c' } });
    expect(() => form('a=1&a[b]=2')).toThrow(BadRequest);
    expect(() => form('a[b]=1&a[]=2')).toThrow(BadRequest);
  });

  it('ignores prototype-polluting keys', () => {
    const out = form('__proto__[x]=1&a[__proto__][y]=2');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.keys(out)).toEqual(['a']);
  });
});

describe('parseBody', () => {
  it('reads JSON and forms by content type, guesses without one', () => {
    expect(parseBody('application/json; charset=utf-8', Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(parseBody('application/x-www-form-urlencoded', Buffer.from('a[b]=1'))).toEqual({ a: { b: '1' } });
    expect(parseBody(undefined, Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(parseBody(undefined, Buffer.from('a=1'))).toEqual({ a: '1' });
    expect(parseBody('application/json', Buffer.from(''))).toEqual({});
    expect(() => parseBody('application/json', Buffer.from('[1]'))).toThrow(BadRequest);
    expect(() => parseBody('application/json', Buffer.from('{'))).toThrow(BadRequest);
  });
});

describe('money', () => {
  it('formats and parses cents exactly', () => {
    expect([2500, 1250, 1234, 0, -50, 5].map(centsToRivo)).toEqual(['25.0', '12.5', '12.34', '0.0', '-0.5', '0.05']);
    expect(centsToFixed2(1250)).toBe('12.50');
    expect(['12.50', 12.5, '-0.25', '3', '1.200', '0.1'].map(decimalToCents)).toEqual([1250, 1250, -25, 300, 120, 10]);
    expect(['1.234', 'abc', '', null, 0.1 + 0.2, '1e3'].map(decimalToCents)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('points event input', () => {
  const now = new Date('2025-05-05T05:05:05.000Z');
  it('treats an empty form value as absent and defaults applied_at to now', () => {
    const r = parseEventInput({ customer_identifier: '1', source: 'manual', points_amount: '7', credits_amount: '', internal_note: '' }, now);
    expect(r.ok && r.value).toEqual(expect.objectContaining({ pointsDiff: 7, creditsDiffCents: 0, internalNote: null, appliedAt: now.toISOString() }));
  });

  it('skip_email is true only for true and "true"', () => {
    expect([true, 'true', ' True ', 'false', '1', 1, undefined, null].map(isSkipEmail)).toEqual([true, true, true, false, false, false, false, false]);
  });

  it('batch items from an array, an index-keyed hash or columns', () => {
    expect(batchItems({ points_events: [{ a: 1 }] })).toEqual([{ a: 1 }]);
    expect(batchItems({ points_events: { 1: { a: 'y' }, 0: { a: 'x' } } })).toEqual([{ a: 'x' }, { a: 'y' }]);
    expect(batchItems({ points_events: { a: ['1', '2'], b: ['3', '4'] } })).toEqual([
      { a: '1', b: '3' },
      { a: '2', b: '4' },
    ]);
    expect(batchItems({})).toBeUndefined();
  });
});

describe('rate windows', () => {
  it('a limiter refuses over the limit and frees slots as time slides', () => {
    const l = new RateLimiter(3, 1000);
    expect([0, 100, 200, 300].map((t) => l.admit(t).allowed)).toEqual([true, true, true, false]);
    expect(l.admit(300).resetMs).toBe(700);
    expect(l.admit(1000).allowed).toBe(true);
    expect(l.admit(1001).allowed).toBe(false);
  });

  it('the peak is the most events in any window', () => {
    const p = new PeakRate(1000);
    for (const t of [0, 10, 20, 1500, 1600, 2400, 2450, 2490]) p.record(t);
    expect(p.peak).toBe(5);
  });
});
