import { describe, expect, it } from 'vitest';
import { AWKWARD_KINDS, generateShop, RIVO_TIERS, YOTPO_TIERS } from '../../src/sandbox/index.js';
import { mulberry32, Random } from '../../src/sandbox/rng.js';

const norm = (e: string) => e.trim().toLowerCase();

describe('rng', () => {
  it('mulberry32 is deterministic and in [0,1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(new Set(xs).size).toBeGreaterThan(990);
  });

  it('int covers both ends', () => {
    const r = new Random(3);
    const seen = new Set(Array.from({ length: 500 }, () => r.int(1, 4)));
    expect([...seen].sort()).toEqual([1, 2, 3, 4]);
  });
});

describe('generateShop', () => {
  it('is deterministic: same seed, same shop; another seed, another shop', () => {
    const a = generateShop({ customers: 300, seed: 11, awkward: 0.3 });
    const b = generateShop({ customers: 300, seed: 11, awkward: 0.3 });
    const c = generateShop({ customers: 300, seed: 12, awkward: 0.3 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a.yotpoCustomers)).not.toBe(JSON.stringify(c.yotpoCustomers));
  });

  it('makes exactly `customers` Yotpo records with unique raw emails', () => {
    for (const n of [0, 1, 7, 100, 333]) {
      const shop = generateShop({ customers: n, seed: 5, awkward: 0.4 });
      expect(shop.yotpoCustomers).toHaveLength(n);
      expect(new Set(shop.yotpoCustomers.map((r) => r.email)).size).toBe(n);
    }
  });

  it('with awkward=0 every customer is normal and matched by id and email', () => {
    const shop = generateShop({ customers: 200, seed: 2, awkward: 0 });
    expect(Object.keys(shop.cases)).toHaveLength(0);
    const rivoById = new Map(shop.rivoCustomers.map((c) => [String(c.id), c]));
    for (const r of shop.yotpoCustomers) {
      const riv = rivoById.get(String(r.third_party_id));
      expect(riv?.email).toBe(r.email);
      expect(Number.isInteger(r.points_balance)).toBe(true);
      expect(r.points_balance as number).toBeGreaterThan(0);
      expect(r.points_earned as number).toBeGreaterThanOrEqual(r.points_balance as number);
      expect(r.opt_in).toBe(true);
    }
    // Some normal customers already hold points in Rivo; some never earned (lifetime null).
    expect(shop.rivoCustomers.some((c) => c.points_tally > 0)).toBe(true);
    expect(shop.rivoCustomers.some((c) => c.lifetime_earnings_tally === null)).toBe(true);
    expect(shop.rivoCustomers.some((c) => c.credits_tally !== '0.0')).toBe(true);
    // Rivo-only customers exist, and Rivo lists by ascending id.
    expect(shop.rivoCustomers.length).toBe(210);
    const ids = shop.rivoCustomers.map((c) => c.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  describe('at customers=500 awkward=0.3', () => {
    const shop = generateShop({ customers: 500, seed: 1, awkward: 0.3 });
    const labelled = Object.entries(shop.cases);
    const withLabel = (l: string) => labelled.filter(([, ls]) => ls.includes(l as never)).map(([email]) => email);
    const record = (email: string) => shop.yotpoCustomers.find((r) => r.email === email)!;
    const rivoById = new Map(shop.rivoCustomers.map((c) => [c.id, c]));
    const rivoByEmail = new Map(shop.rivoCustomers.map((c) => [c.email.toLowerCase(), c]));

    it('every awkward kind appears, at about the configured share', () => {
      for (const kind of AWKWARD_KINDS) expect(withLabel(kind).length, kind).toBeGreaterThan(0);
      const awkwardRecords = labelled.length;
      expect(awkwardRecords).toBeGreaterThanOrEqual(140);
      expect(awkwardRecords).toBeLessThanOrEqual(160);
    });

    it('labels say what the records are', () => {
      for (const email of withLabel('email_case')) {
        expect(email).not.toBe(email.toLowerCase());
        expect(rivoByEmail.get(norm(email))?.email).toBe(email.toLowerCase());
      }
      for (const email of withLabel('email_spaces')) {
        expect(email).not.toBe(email.trim());
        expect(rivoByEmail.has(norm(email))).toBe(true);
      }
      for (const email of withLabel('no_shopify_id')) expect(record(email).third_party_id ?? null).toBeNull();
      for (const email of withLabel('thirty_party_id')) {
        const r = record(email);
        expect('third_party_id' in r).toBe(false);
        expect(rivoById.has(Number(r.thirty_party_id))).toBe(true);
      }
      for (const email of withLabel('unmatched')) {
        const r = record(email);
        expect(rivoById.has(Number(r.third_party_id))).toBe(false);
        expect(rivoByEmail.has(norm(email))).toBe(false);
      }
      expect(withLabel('invalid_negative').every((e) => (record(e).points_balance as number) < 0)).toBe(true);
      expect(withLabel('invalid_fractional').every((e) => !Number.isInteger(record(e).points_balance))).toBe(true);
      expect(withLabel('invalid_string').every((e) => typeof record(e).points_balance === 'string')).toBe(true);
      expect(withLabel('invalid_null').every((e) => record(e).points_balance === null)).toBe(true);
      expect(withLabel('invalid_missing').every((e) => !('points_balance' in record(e)))).toBe(true);
      expect(withLabel('invalid_balance').length).toBe(
        ['invalid_negative', 'invalid_fractional', 'invalid_string', 'invalid_null', 'invalid_missing'].reduce((n, k) => n + withLabel(k).length, 0),
      );
      for (const e of withLabel('lifetime_below_balance')) expect(record(e).points_earned as number).toBeLessThan(record(e).points_balance as number);
      for (const e of withLabel('huge_balance')) expect(record(e).points_balance).toBe(50_000_000);
      for (const e of withLabel('non_member')) expect(record(e).opt_in).toBe(false);
      for (const e of withLabel('tier_case')) expect(record(e).vip_tier_name).toBe('Gold');
      for (const e of withLabel('tier_missing')) expect(record(e).vip_tier_name).toBe('Diamond');
      for (const e of withLabel('birthday_no_year')) {
        expect(record(e).birthday_year).toBeNull();
        expect(record(e).birthday_month).toBeGreaterThan(0);
        expect(record(e).birth_day).toBeGreaterThan(0);
      }
      for (const e of withLabel('birthday_none')) expect([record(e).birthday_month, record(e).birth_day]).toEqual([null, null]);
      for (const e of withLabel('store_credit')) expect(record(e).credit_balance).toMatch(/^\d+\.\d\d$/);
      for (const e of withLabel('zero_balance')) expect(record(e).points_balance).toBe(0);
      for (const e of withLabel('unicode_name')) expect(`${record(e).first_name}${record(e).last_name}`).toMatch(/[^\x00-\x7f]/);
    });

    it('conflicts come in pairs that resolve to one Rivo customer', () => {
      const resolve = (email: string) => {
        const r = record(email);
        const id = r.third_party_id ?? r.thirty_party_id;
        return id ? rivoById.get(Number(id))?.id : rivoByEmail.get(norm(email))?.id;
      };
      const conflicts = withLabel('conflict');
      expect(conflicts.length).toBe(2 * (withLabel('conflict_same_id').length / 2 + withLabel('conflict_email_case').length / 2));
      const byTarget = new Map<number | undefined, string[]>();
      for (const e of conflicts) byTarget.set(resolve(e), [...(byTarget.get(resolve(e)) ?? []), e]);
      expect(byTarget.has(undefined)).toBe(false);
      for (const pair of byTarget.values()) expect(pair).toHaveLength(2);
    });

    it('tiers: Rivo spells Gold differently and has no Diamond', () => {
      expect(shop.yotpoTiers.map((t) => t.name)).toEqual(YOTPO_TIERS.map((t) => t.name));
      expect(shop.rivoTiers.map((t) => t.name)).toEqual(RIVO_TIERS.map((t) => t.name));
      expect(shop.rivoTiers.some((t) => t.name === 'GOLD')).toBe(true);
      expect(shop.rivoTiers.some((t) => t.name.toLowerCase() === 'diamond')).toBe(false);
    });
  });
});
