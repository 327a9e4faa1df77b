import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  identityMapProblems,
  lookupFromSnapshots,
  normaliseEmail,
  resolveIdentities,
  type Resolution,
} from '../../src/mapper/identity.js';
import { aCustomer, aRivoCustomer } from './builders.js';

const rivo = lookupFromSnapshots([
  aRivoCustomer({ id: '111', email: 'ann@example.com' }),
  aRivoCustomer({ id: '222', email: 'Bob@Example.com ' }),
  aRivoCustomer({ id: '333', email: null }),
]);

const resolveOne = (c: ReturnType<typeof aCustomer>, map: Record<string, string> = {}) => resolveIdentities([c], rivo, map).get(c.key);

describe('normaliseEmail', () => {
  it.each([
    ['  Ann@Example.COM ', 'ann@example.com'],
    ['ann@example.com', 'ann@example.com'],
    ['', null],
    ['   ', null],
    [null, null],
    [undefined, null],
  ])('%j -> %j', (input, expected) => {
    expect(normaliseEmail(input)).toBe(expected);
  });
});

describe('resolveIdentities: one record', () => {
  it.each<[string, Parameters<typeof aCustomer>[0], Resolution['kind'], string | null, string | null]>([
    ['Shopify id known to Rivo', { thirdPartyId: '333', email: 'nobody@example.com' }, 'matched', '333', 'third_party_id'],
    ['Shopify id first, even when the email names another', { thirdPartyId: '222', email: 'ann@example.com' }, 'matched', '222', 'third_party_id'],
    ['Shopify id unknown: falls back to email', { thirdPartyId: '999', email: 'ann@example.com' }, 'matched', '111', 'email'],
    ['no Shopify id: email', { thirdPartyId: null, email: 'ann@example.com' }, 'matched', '111', 'email'],
    ['email with case and spaces', { email: '  ANN@example.Com\t' }, 'matched', '111', 'email'],
    ["Rivo's email with case and spaces", { email: 'bob@example.com' }, 'matched', '222', 'email'],
    ['blank Shopify id: email', { thirdPartyId: '  ', email: 'ann@example.com' }, 'matched', '111', 'email'],
    ['unknown everywhere', { thirdPartyId: '999', email: 'zed@example.com' }, 'unmatched', null, null],
    ['no email, no id', { thirdPartyId: null, email: null }, 'unmatched', null, null],
  ])('%s', (_name, over, kind, rivoId, via) => {
    const r = resolveOne(aCustomer(over))!;
    expect(r.kind).toBe(kind);
    if (r.kind === 'matched') expect([r.rivoId, r.via]).toEqual([rivoId, via]);
    if (r.kind === 'unmatched') expect(r.reason).toMatch(/no /);
  });

  it('an unmatched reason says what was tried', () => {
    const r = resolveOne(aCustomer({ thirdPartyId: '999', email: 'Zed@example.com' }));
    expect(r).toEqual({ kind: 'unmatched', reason: 'no Rivo customer with Shopify id 999 or email zed@example.com (retried on the next run)' });
  });
});

describe('resolveIdentities: several records', () => {
  const a = aCustomer({ key: 'a', email: 'ann@example.com', thirdPartyId: '111' });
  const b = aCustomer({ key: 'b', email: 'ANN@example.com ', thirdPartyId: null });
  const c = aCustomer({ key: 'c', email: 'bob@example.com' });

  it('two records on one Rivo customer: both conflict, naming each other', () => {
    const out = resolveIdentities([a, b, c], rivo, {});
    expect(out.get('a')).toMatchObject({ kind: 'conflict', rivoId: '111', with: ['b'] });
    expect(out.get('b')).toMatchObject({ kind: 'conflict', rivoId: '111', with: ['a'] });
    expect((out.get('a') as { reason: string }).reason).toContain('ANN@example.com');
    expect((out.get('b') as { reason: string }).reason).toContain('ann@example.com');
    expect(out.get('c')).toEqual({ kind: 'matched', rivoId: '222', via: 'email' });
    expect([...out.keys()]).toEqual(['a', 'b', 'c']);
  });

  it('three records: each names the two others', () => {
    const d = aCustomer({ key: 'd', email: null, thirdPartyId: '111' });
    const out = resolveIdentities([a, b, d], rivo, {});
    expect(out.get('d')).toMatchObject({ kind: 'conflict', with: ['a', 'b'] });
    expect((out.get('d') as { reason: string }).reason).toContain('ANN@example.com');
    expect((out.get('b') as { reason: string }).reason).toContain('record d (no email)');
  });

  it.each<[string, Record<string, string>, Record<string, Partial<Resolution>>]>([
    [
      'identityMap gives one record the customer; the other must be mapped too',
      { '111': '111' },
      { a: { kind: 'matched', rivoId: '111', via: 'identity_map' } as Partial<Resolution>, b: { kind: 'conflict', rivoId: '111', with: ['a'] } },
    ],
    [
      'identityMap skips one: the other matches',
      { '111': 'skip' },
      { a: { kind: 'skipped' }, b: { kind: 'matched', rivoId: '111', via: 'email' } as Partial<Resolution> },
    ],
    [
      'identityMap by email in another case: both records carry that email, so both are skipped',
      { 'Ann@Example.com': 'SKIP' },
      { a: { kind: 'skipped' }, b: { kind: 'skipped' } },
    ],
    [
      'identityMap sends one to a customer and skips the other',
      { '111': '111', 'ann@example.com': 'skip' },
      { a: { kind: 'matched', rivoId: '111' } as Partial<Resolution>, b: { kind: 'skipped' } },
    ],
    [
      'identityMap sends the other elsewhere',
      { 'ann@example.com': '333', '111': '111' },
      { a: { kind: 'matched', rivoId: '111' } as Partial<Resolution>, b: { kind: 'matched', rivoId: '333', via: 'identity_map' } as Partial<Resolution> },
    ],
    [
      'identityMap sends both to one customer: still a conflict',
      { '111': '111', 'ann@example.com': '111' },
      { a: { kind: 'conflict', rivoId: '111' }, b: { kind: 'conflict', rivoId: '111' } },
    ],
    [
      'identityMap to a Rivo customer nobody knows: unmatched',
      { '111': '999', 'ann@example.com': 'skip' },
      { a: { kind: 'unmatched' }, b: { kind: 'skipped' } },
    ],
    [
      'identityMap value may be a Rivo email',
      { '111': 'bob@example.com', 'ann@example.com': 'skip' },
      { a: { kind: 'matched', rivoId: '222', via: 'identity_map' } as Partial<Resolution>, b: { kind: 'skipped' } },
    ],
  ])('%s', (_name, map, expected) => {
    const out = resolveIdentities([a, b], rivo, map);
    for (const [key, r] of Object.entries(expected)) expect(out.get(key)).toMatchObject(r);
  });

  it('an explicitly mapped record takes a customer another record matched by id', () => {
    const x = aCustomer({ key: 'x', email: 'x@example.com', thirdPartyId: null });
    const out = resolveIdentities([x, c], rivo, { 'x@example.com': '222' });
    expect(out.get('x')).toEqual({ kind: 'matched', rivoId: '222', via: 'identity_map' });
    expect(out.get('c')).toMatchObject({ kind: 'conflict', rivoId: '222', with: ['x'] });
    expect((out.get('c') as { reason: string }).reason).toContain('x@example.com');
  });

  it('refuses duplicate customer keys', () => {
    expect(() => resolveIdentities([a, a], rivo, {})).toThrow(/twice/);
  });

  it('refuses an identity map that disagrees with itself', () => {
    expect(identityMapProblems({ 'A@x.com': '1', 'a@x.com ': '2' })).toHaveLength(1);
    expect(identityMapProblems({ 'a@x.com': '' })).toHaveLength(1);
    expect(identityMapProblems({ 'A@x.com': '1', 'a@x.com': '1' })).toEqual([]);
    expect(() => resolveIdentities([a], rivo, { 'A@x.com': '1', 'a@x.com': '2' })).toThrow(ConfigError);
  });
});

describe('resolveIdentities properties', () => {
  const emails = ['a@x.com', 'A@X.com ', 'b@x.com', 'c@x.com', null];
  const ids = ['1', '2', '3', null];
  const arbCustomers = fc
    .array(fc.record({ email: fc.constantFrom(...emails), thirdPartyId: fc.constantFrom(...ids) }), { maxLength: 12 })
    .map((rs) => rs.map((r, i) => aCustomer({ key: `k${i}`, ...r })));
  const arbRivo = fc.subarray([
    aRivoCustomer({ id: '1', email: 'a@x.com' }),
    aRivoCustomer({ id: '2', email: 'b@x.com' }),
    aRivoCustomer({ id: '4', email: 'c@x.com' }),
  ]);
  const arbMap = fc.dictionary(fc.constantFrom('a@x.com', 'b@x.com', '1', '2', '3'), fc.constantFrom('1', '2', '4', '9', 'skip'), { maxKeys: 3 });

  it('every record gets one resolution, and no Rivo customer is matched twice', () => {
    fc.assert(
      fc.property(arbCustomers, arbRivo, arbMap, (customers, snapshots, map) => {
        const out = resolveIdentities(customers, lookupFromSnapshots(snapshots), map);
        expect([...out.keys()]).toEqual(customers.map((c) => c.key));
        const matched = [...out.values()].filter((r) => r.kind === 'matched').map((r) => (r as { rivoId: string }).rivoId);
        expect(new Set(matched).size).toBe(matched.length);
        // a conflict always names records that share its Rivo customer
        for (const [key, r] of out) {
          if (r.kind !== 'conflict') continue;
          expect(r.with.length).toBeGreaterThan(0);
          expect(r.with).not.toContain(key);
          for (const other of r.with) expect(out.get(other)).toMatchObject({ rivoId: r.rivoId });
        }
      }),
    );
  });

  it('without an identity map, a Rivo customer is matched by one record or held in conflict for all', () => {
    fc.assert(
      fc.property(arbCustomers, arbRivo, (customers, snapshots) => {
        const out = resolveIdentities(customers, lookupFromSnapshots(snapshots), {});
        const byRivo = new Map<string, Resolution['kind'][]>();
        for (const r of out.values()) if (r.kind === 'matched' || r.kind === 'conflict') byRivo.set(r.rivoId, [...(byRivo.get(r.rivoId) ?? []), r.kind]);
        for (const kinds of byRivo.values()) expect(kinds.length === 1 ? ['matched'] : kinds.filter((k) => k === 'conflict')).toEqual(kinds);
      }),
    );
  });
});
