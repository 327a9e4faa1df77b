import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mulberry32 } from '../../src/sandbox/rng.js';
import type { RivoCustomerInput } from '../../src/sandbox/index.js';

/**
 * A Yotpo admin CSV export of `count` customers, generated row by row and streamed to disk (never all in memory),
 * with the Rivo store that goes with it derived from the same index. Deterministic per (index, seed).
 *
 * Mix (roughly what a real store looks like, with enough awkwardness that every code path runs):
 *  - 2% unknown to Rivo (unmatched), 1% with an invalid balance, 3% without a Shopify id (matched by email),
 *    2% with an email whose case differs from Rivo's, 5% with store credit, 60% with a VIP tier, 50% with a birthday.
 */

export const CSV_HEADERS = [
  'Email',
  'Customer ID',
  'First Name',
  'Last Name',
  'Points Balance',
  'Points Earned',
  'Credit Balance',
  'VIP Tier',
  'Birthday Month',
  'Birthday Day',
  'Birthday Year',
  'Opted In',
  'Last Seen At',
] as const;

const FIRST = ['Emma', 'Liam', 'Olivia', 'Noah', 'Ava', 'Ethan', 'Mia', 'Lucas', 'Sophia', 'Mason', 'Isla', 'Leo', 'Grace', 'Jack', 'Chloe', 'Owen'];
const LAST = ['Smith', 'Johnson', 'Brown', 'Taylor', 'Wilson', 'Martin', 'Clark', 'Lewis', 'Walker', 'Young', 'King', 'Scott', 'Green', 'Baker'];
const TIERS = ['Bronze', 'Silver', 'Gold', 'Diamond'];
/** The sandbox's Rivo tiers (RIVO_TIERS): Gold is spelled GOLD there, Diamond does not exist. */
const RIVO_TIER_IDS: Record<string, { id: number; name: string }> = { Bronze: { id: 9001, name: 'Bronze' }, Silver: { id: 9002, name: 'Silver' } };
const FIRST_ID = 7_100_000_000_000;

export interface GeneratedCustomer {
  email: string;
  rivoEmail: string;
  shopifyId: number;
  csvShopifyId: string;
  first: string;
  last: string;
  balance: string;
  earned: string;
  credit: string;
  tier: string;
  month: string;
  day: string;
  year: string;
  optIn: string;
  lastSeen: string;
  inRivo: boolean;
  rivoPoints: number;
  rivoTier: string | null;
}

export function customerAt(i: number, seed: number): GeneratedCustomer {
  const r = mulberry32((Math.imul(i + 1, 0x9e3779b1) ^ seed) >>> 0);
  r();
  const first = FIRST[Math.floor(r() * FIRST.length)]!;
  const last = LAST[Math.floor(r() * LAST.length)]!;
  const rivoEmail = `${first}.${last}.${i}@example.com`.toLowerCase();
  const kind = r();
  const email = kind < 0.02 ? rivoEmail.toUpperCase().replace('@EXAMPLE.COM', '@example.com') : rivoEmail;
  const inRivo = !(kind >= 0.02 && kind < 0.04);
  const invalid = kind >= 0.04 && kind < 0.05;
  const noId = kind >= 0.05 && kind < 0.08;
  const shopifyId = FIRST_ID + i;
  const balanceN = Math.floor(r() * 5000);
  const earnedN = balanceN + Math.floor(r() * 3000);
  const hasTier = r() < 0.6;
  const tier = hasTier ? TIERS[Math.floor(r() * TIERS.length)]! : '';
  const hasBirthday = r() < 0.5;
  const month = 1 + Math.floor(r() * 12);
  const day = 1 + Math.floor(r() * 28);
  const year = r() < 0.8 ? String(1950 + Math.floor(r() * 55)) : '';
  const credit = r() < 0.05 ? (Math.floor(r() * 400) * 25 / 100).toFixed(2) : '';
  const rivoPoints = r() < 0.3 ? Math.floor(r() * 200) : 0;
  const rivoTier = r() < 0.2 ? 'Bronze' : null;
  return {
    email,
    rivoEmail,
    shopifyId,
    csvShopifyId: noId ? '' : String(shopifyId),
    first,
    last,
    balance: invalid ? 'N/A' : String(balanceN),
    earned: String(earnedN),
    credit,
    tier,
    month: hasBirthday ? String(month) : '',
    day: hasBirthday ? String(day) : '',
    year: hasBirthday ? year : '',
    optIn: 'true',
    lastSeen: new Date(Date.UTC(2024, 0, 1) + (i % 365) * 86_400_000).toISOString(),
    inRivo,
    rivoPoints,
    rivoTier,
  };
}

function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Writes the export; resolves with the number of bytes written. */
export async function writeCustomersCsv(path: string, count: number, seed = 11): Promise<number> {
  const out = createWriteStream(path, { mode: 0o600 });
  let bytes = 0;
  let buf = `${CSV_HEADERS.join(',')}\n`;
  for (let i = 0; i < count; i++) {
    const c = customerAt(i, seed);
    buf += `${[c.email, c.csvShopifyId, c.first, c.last, c.balance, c.earned, c.credit, c.tier, c.month, c.day, c.year, c.optIn, c.lastSeen].map(csvCell).join(',')}\n`;
    if (buf.length > 1 << 16) {
      bytes += buf.length;
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  bytes += buf.length;
  out.end(buf);
  await once(out, 'finish');
  return bytes;
}

/** The Rivo customer of row `i`, or null when Rivo does not know that customer. */
export function rivoCustomerAt(i: number, seed = 11): RivoCustomerInput | null {
  const c = customerAt(i, seed);
  if (!c.inRivo) return null;
  const tier = c.rivoTier ? RIVO_TIER_IDS[c.rivoTier] : undefined;
  return {
    id: c.shopifyId,
    email: c.rivoEmail,
    first_name: c.first,
    last_name: c.last,
    points_tally: c.rivoPoints,
    lifetime_earnings_tally: c.rivoPoints,
    vip_tier: tier ?? null,
    dob: null,
  };
}
