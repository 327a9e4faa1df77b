import { centsToRivo } from './money.js';
import type { Random } from './rng.js';
import type { RivoCustomerAttributes, RivoTierRecord, YotpoRecord } from './types.js';

/**
 * The people of the seeded shop: names, emails, Shopify ids, and a well-formed Yotpo record and Rivo customer for
 * each, drawn from the shop's one random stream (the order of draws is part of what a seed means: do not reorder).
 * `shop.ts` decides which awkward case each person gets.
 */

const FIRST = ['Emma', 'Liam', 'Olivia', 'Noah', 'Ava', 'Ethan', 'Mia', 'Lucas', 'Sophia', 'Mason', 'Isla', 'Leo', 'Grace', 'Jack', 'Chloe', 'Owen'];
const LAST = ['Smith', 'Johnson', 'Brown', 'Taylor', 'Wilson', 'Martin', 'Clark', 'Lewis', 'Walker', 'Young', 'King', 'Scott', 'Green', 'Baker'];
const UNICODE_FIRST = ['Zoë', 'José', 'Łukasz', 'Søren', 'Ángel', 'Chloé', 'Dmitrï', '美咲', 'Οδυσσέας', 'Nguyễn'];
const UNICODE_LAST = ['Müller', 'Ñúñez', 'Øvergård', 'Kowalczyk-Śliwa', "O'Brien", '山田', 'Παπαδόπουλος', 'Đặng', 'Ångström'];
const DOMAINS = ['example.com', 'mail.example.org', 'shop.example.net'];

const EPOCH = Date.UTC(2025, 0, 1);
const DAY = 86_400_000;
const FIRST_SHOPIFY_ID = 6_100_000_000_000;
const ID_STRIDE = 7919;

export interface Person {
  index: number;
  shopifyId: number;
  first: string;
  last: string;
  email: string;
}

export function mixCase(email: string, rng: Random): string {
  const [local = '', domain = ''] = email.split('@');
  const variants = [
    () => `${capitalizeParts(local)}@${domain}`,
    () => `${local}@${domain.toUpperCase()}`,
    () => `${local.toUpperCase()}@${domain}`,
    () => `${capitalizeParts(local)}@${capitalizeParts(domain)}`,
  ];
  const out = rng.pick(variants)();
  // Guarantee a difference even for a local part without letters.
  return out === email ? email.toUpperCase() : out;
}

function capitalizeParts(s: string): string {
  return s.replace(/(^|[.\-_])([a-z])/g, (_, sep: string, c: string) => sep + c.toUpperCase());
}

function slug(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/ł/g, 'l')
    .replace(/ø/g, 'o')
    .replace(/đ/g, 'd')
    .replace(/[^a-z0-9]/g, '');
}

function isoDay(offsetDays: number, rng: Random): string {
  return new Date(EPOCH + offsetDays * DAY + rng.int(0, DAY - 1000)).toISOString();
}

export class Generator {
  private next = 0;

  constructor(
    private readonly rng: Random,
    /** The tier some Rivo customers already hold before the migration (the store's lowest). */
    private readonly baseTier: RivoTierRecord,
  ) {}

  person(unicode: boolean): Person {
    const rng = this.rng;
    const index = this.next++;
    const first = rng.pick(unicode ? UNICODE_FIRST : FIRST);
    const last = rng.pick(unicode ? UNICODE_LAST : LAST);
    const local = `${slug(first) || 'customer'}.${slug(last) || 'shopper'}${index}`;
    return {
      index,
      shopifyId: FIRST_SHOPIFY_ID + index * ID_STRIDE + rng.int(0, ID_STRIDE - 1),
      first,
      last,
      email: `${local}@${rng.pick(DOMAINS)}`,
    };
  }

  setTier(rec: YotpoRecord, name: string): void {
    rec.vip_tier_name = name;
    rec.vip_tier_entry_date = isoDay(-this.rng.int(1, 600), this.rng);
  }

  /** A well-formed Yotpo record; the awkward kinds then bend it. */
  yotpoRecord(p: Person): YotpoRecord {
    const rng = this.rng;
    const balance = rng.int(1, 3000);
    const earned = balance + (rng.chance(0.7) ? rng.int(0, 2500) : 0);
    const tier = rng.chance(0.15) ? null : earned >= 1000 ? 'Silver' : 'Bronze';
    const purchases = rng.int(0, 40);
    const lastSeenDay = -rng.int(0, 700);
    return {
      email: p.email,
      third_party_id: String(p.shopifyId),
      first_name: p.first,
      last_name: p.last,
      phone_number: rng.chance(0.5) ? `+1555${String(rng.int(0, 9_999_999)).padStart(7, '0')}` : null,
      points_balance: balance,
      points_earned: earned,
      credit_balance: null,
      points_expire_at: rng.chance(0.5) ? null : isoDay(rng.int(30, 500), rng),
      vip_tier_name: tier,
      vip_tier_entry_date: tier ? isoDay(-rng.int(1, 600), rng) : null,
      vip_tier_expiration: null,
      birthday_month: rng.int(1, 12),
      birth_day: rng.int(1, 28),
      birthday_year: rng.int(1955, 2005),
      opt_in: true,
      opted_in_at: isoDay(-rng.int(700, 2000), rng),
      total_spend_cents: purchases * rng.int(1500, 12000),
      total_purchases: purchases,
      perks_redeemed: rng.int(0, 6),
      last_purchase_at: purchases > 0 ? isoDay(lastSeenDay - rng.int(0, 60), rng) : null,
      last_seen_at: isoDay(lastSeenDay, rng),
    };
  }

  /** Rivo's view of the same person before the migration; some already hold points, lifetime or credit. */
  rivoCustomer(p: Person): RivoCustomerAttributes {
    const rng = this.rng;
    const points = rng.chance(0.4) ? rng.int(1, 800) : 0;
    let lifetime: number | null;
    if (points > 0) lifetime = points + rng.int(0, 600);
    else lifetime = rng.chance(0.5) ? null : rng.int(0, 400); // null: never earned anything in Rivo
    const tier = rng.chance(0.2) ? this.baseTier : null;
    const orders = rng.int(0, 40);
    return {
      id: p.shopifyId,
      email: p.email,
      first_name: p.first,
      last_name: p.last,
      points_tally: points,
      credits_tally: centsToRivo(rng.chance(0.15) ? rng.int(1, 100) * 50 : 0),
      lifetime_earnings_tally: lifetime,
      loyalty_status: rng.chance(0.9) ? 'member' : 'guest',
      vip_tier: tier ? { id: tier.id, name: tier.name } : null,
      dob: rng.chance(0.2) ? `${rng.int(1955, 2005)}-${pad2(rng.int(1, 12))}-${pad2(rng.int(1, 28))}` : null,
      points_expire_at: null,
      referral_code: referralCode(rng),
      orders_count: orders,
      total_spent: Math.round(orders * rng.int(1500, 12000)) / 100,
    };
  }
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function referralCode(rng: Random): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  let s = '';
  for (let i = 0; i < 17; i++) s += alphabet[rng.int(0, alphabet.length - 1)];
  return s;
}
