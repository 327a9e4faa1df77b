import { centsToFixed2 } from './money.js';
import { Random, deriveSeed } from './rng.js';
import { Generator, mixCase } from './shop-people.js';
import type { RivoCustomerAttributes, RivoTierRecord, YotpoRecord, YotpoTier } from './types.js';

/**
 * The seeded shop both stand-ins start from: Yotpo's customers, Rivo's customers before the migration, both tier
 * lists, and a label for every awkward case so tests can compute the outcome each customer should get. The people
 * themselves (names, ids, well-formed records) come from `shop-people.ts`.
 */

/** One primary kind per awkward Yotpo customer (conflicts take two records). */
export const AWKWARD_KINDS = [
  'email_case', // the Yotpo email differs in case from Rivo's
  'email_spaces', // the Yotpo email has surrounding whitespace
  'no_shopify_id', // third_party_id is null: match by email
  'thirty_party_id', // the id sits in the misspelled twin field
  'unmatched', // Rivo does not know the customer
  'conflict_same_id', // two Yotpo records with one Shopify id
  'conflict_email_case', // two Yotpo records whose emails differ only by case, resolving to one Rivo customer
  'invalid_negative',
  'invalid_fractional',
  'invalid_string',
  'invalid_null',
  'invalid_missing',
  'lifetime_below_balance', // points_earned < points_balance
  'huge_balance', // 50,000,000 points
  'non_member', // opt_in false
  'tier_case', // the Yotpo tier "Gold" is "GOLD" in Rivo
  'tier_missing', // the Yotpo tier "Diamond" does not exist in Rivo
  'birthday_no_year', // month and day only (some on Feb 29)
  'birthday_none',
  'store_credit', // credit_balance like "12.50"
  'zero_balance',
  'unicode_name',
] as const;
export type AwkwardKind = (typeof AWKWARD_KINDS)[number];

/** Labels in `cases`: the kinds, plus group labels that make expectations easy to compute. */
export type CaseLabel = AwkwardKind | 'conflict' | 'invalid_balance' | 'birthday_feb29';

export interface ShopOptions {
  customers?: number;
  seed?: number;
  awkward?: number;
}

export interface GeneratedShop {
  seed: number;
  /** Yotpo records, exactly `customers` of them, in the order Yotpo lists them. */
  yotpoCustomers: YotpoRecord[];
  /** Rivo before the migration, ascending id: the matched customers plus some Rivo-only ones. */
  rivoCustomers: RivoCustomerAttributes[];
  rivoTiers: RivoTierRecord[];
  yotpoTiers: YotpoTier[];
  /** Keyed by the Yotpo record's `email` exactly as served (spaces and case included). Normal customers are absent. */
  cases: Record<string, CaseLabel[]>;
}

export const YOTPO_TIERS: readonly YotpoTier[] = [
  { id: 301, name: 'Bronze', rank: 1, points_needed: 0 },
  { id: 302, name: 'Silver', rank: 2, points_needed: 1000 },
  { id: 303, name: 'Gold', rank: 3, points_needed: 3000 },
  { id: 304, name: 'Diamond', rank: 4, points_needed: 10000 },
];

// Rivo spells one tier differently and lacks another: the tier map has real work to do.
export const RIVO_TIERS: readonly RivoTierRecord[] = [
  { id: 9001, name: 'Bronze', threshold: 0, perks: ['Birthday reward'], rewards: [{ id: 7001, name: '$5 off' }] },
  { id: 9002, name: 'Silver', threshold: 1000, perks: ['Birthday reward', 'Free shipping'], rewards: [{ id: 7002, name: '$10 off' }] },
  {
    id: 9003,
    name: 'GOLD',
    threshold: 3000,
    perks: ['Birthday reward', 'Free shipping', 'Early access'],
    rewards: [{ id: 7003, name: '$20 off' }],
  },
];

interface Unit {
  kind: AwkwardKind | 'normal';
}

export function generateShop(options: ShopOptions = {}): GeneratedShop {
  const count = Math.max(0, Math.floor(options.customers ?? 100));
  const seed = options.seed ?? 1;
  const share = Math.min(1, Math.max(0, options.awkward ?? 0.2));
  const rng = new Random(deriveSeed(seed, 'shop'));
  const g = new Generator(rng, RIVO_TIERS[0] as RivoTierRecord);

  const units = planUnits(count, share, rng);
  const yotpo: YotpoRecord[] = [];
  const rivo: RivoCustomerAttributes[] = [];
  const cases: Record<string, CaseLabel[]> = {};
  const label = (rec: YotpoRecord, ...labels: CaseLabel[]) => {
    cases[rec.email] = [...(cases[rec.email] ?? []), ...labels];
  };

  for (const unit of units) {
    const p = g.person(unit.kind === 'unicode_name');
    const rec = g.yotpoRecord(p);
    const riv = g.rivoCustomer(p);
    let addRivo = true;
    const extra: YotpoRecord[] = [];
    switch (unit.kind) {
      case 'normal':
        break;
      case 'email_case':
        rec.email = mixCase(p.email, rng);
        if (rng.chance(0.5)) {
          rec.third_party_id = null;
          label(rec, 'no_shopify_id');
        }
        break;
      case 'email_spaces':
        rec.email = `${rng.pick([' ', '  ', '\t'])}${p.email}${rng.pick([' ', '', '  '])}`;
        if (rng.chance(0.5)) {
          rec.third_party_id = null;
          label(rec, 'no_shopify_id');
        }
        break;
      case 'no_shopify_id':
        rec.third_party_id = null;
        break;
      case 'thirty_party_id':
        delete rec.third_party_id;
        rec.thirty_party_id = String(p.shopifyId);
        break;
      case 'unmatched':
        addRivo = false;
        break;
      case 'conflict_same_id': {
        const twin = g.yotpoRecord(p);
        twin.email = p.email.replace('@', '.old@');
        extra.push(twin);
        label(twin, 'conflict_same_id', 'conflict');
        label(rec, 'conflict');
        break;
      }
      case 'conflict_email_case': {
        const twin = g.yotpoRecord(p);
        twin.email = mixCase(p.email, rng);
        twin.third_party_id = null;
        extra.push(twin);
        label(twin, 'conflict_email_case', 'conflict', 'no_shopify_id');
        label(rec, 'conflict');
        break;
      }
      case 'invalid_negative':
        rec.points_balance = -rng.int(1, 500);
        label(rec, 'invalid_balance');
        break;
      case 'invalid_fractional':
        rec.points_balance = rng.int(1, 900) + rng.pick([0.5, 0.25, 0.75]);
        label(rec, 'invalid_balance');
        break;
      case 'invalid_string':
        rec.points_balance = rng.pick(['abc', 'N/A', '']);
        label(rec, 'invalid_balance');
        break;
      case 'invalid_null':
        rec.points_balance = null;
        label(rec, 'invalid_balance');
        break;
      case 'invalid_missing':
        delete rec.points_balance;
        label(rec, 'invalid_balance');
        break;
      case 'lifetime_below_balance': {
        const b = rng.int(200, 3000);
        rec.points_balance = b;
        rec.points_earned = b - rng.int(1, b);
        break;
      }
      case 'huge_balance':
        rec.points_balance = 50_000_000;
        rec.points_earned = 50_000_000 + rng.int(0, 5_000_000);
        break;
      case 'non_member':
        rec.opt_in = false;
        rec.opted_in_at = null;
        rec.vip_tier_name = null;
        rec.vip_tier_entry_date = null;
        riv.loyalty_status = 'guest';
        break;
      case 'tier_case':
        g.setTier(rec, 'Gold');
        break;
      case 'tier_missing':
        g.setTier(rec, 'Diamond');
        break;
      case 'birthday_no_year':
        if (rng.chance(0.25)) {
          rec.birthday_month = 2;
          rec.birth_day = 29;
          label(rec, 'birthday_feb29');
        } else {
          rec.birthday_month = rng.int(1, 12);
          rec.birth_day = rng.int(1, 28);
        }
        rec.birthday_year = null;
        break;
      case 'birthday_none':
        rec.birthday_month = null;
        rec.birth_day = null;
        rec.birthday_year = null;
        break;
      case 'store_credit':
        rec.credit_balance = centsToFixed2(rng.int(1, 400) * rng.pick([1, 5, 25, 50]));
        break;
      case 'zero_balance':
        rec.points_balance = 0;
        rec.points_earned = rng.int(0, 800);
        break;
      case 'unicode_name':
        break;
    }
    if (unit.kind !== 'normal') label(rec, unit.kind);
    yotpo.push(rec, ...extra);
    if (addRivo) rivo.push(riv);
  }

  // Customers only Rivo knows (they signed up after Yotpo was switched off).
  const rivoOnly = Math.round(count * 0.05);
  for (let i = 0; i < rivoOnly; i++) rivo.push(g.rivoCustomer(g.person(false)));
  rivo.sort((a, b) => a.id - b.id);

  return {
    seed,
    yotpoCustomers: yotpo,
    rivoCustomers: rivo,
    rivoTiers: RIVO_TIERS.map((t) => structuredClone(t)),
    yotpoTiers: YOTPO_TIERS.map((t) => ({ ...t })),
    cases,
  };
}

/** Normal and awkward units in a shuffled order, summing to exactly `count` records. */
function planUnits(count: number, share: number, rng: Random): Unit[] {
  let awkwardSlots = Math.min(count, Math.round(count * share));
  const units: Unit[] = [];
  const recordsOf = (k: AwkwardKind) => (k === 'conflict_same_id' || k === 'conflict_email_case' ? 2 : 1);
  let cycle: AwkwardKind[] = [];
  while (awkwardSlots > 0) {
    if (cycle.length === 0) cycle = rng.shuffle([...AWKWARD_KINDS]);
    const idx = cycle.findIndex((k) => recordsOf(k) <= awkwardSlots);
    if (idx < 0) {
      cycle = [];
      if (awkwardSlots < 2) cycle = rng.shuffle(AWKWARD_KINDS.filter((k) => recordsOf(k) === 1));
      continue;
    }
    const kind = cycle.splice(idx, 1)[0] as AwkwardKind;
    units.push({ kind });
    awkwardSlots -= recordsOf(kind);
  }
  const awkwardRecords = units.reduce((n, u) => n + (u.kind === 'normal' ? 0 : recordsOf(u.kind)), 0);
  for (let i = awkwardRecords; i < count; i++) units.push({ kind: 'normal' });
  return rng.shuffle(units);
}
