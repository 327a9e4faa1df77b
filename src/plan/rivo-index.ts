import type { Db } from '../db/open.js';
import type { RivoCustomerSnapshot, RivoTier } from '../domain.js';
import type { RivoApi } from '../rivo/api.js';
import { statement } from '../ledger/statements.js';

const CHUNK = 250;

/**
 * Up to this many customers to look up (plan) or read back (verify), one GET each; above it, Rivo's customer list.
 * The store's size is unknown until it is listed, and a listing costs one request per 250 of its customers: 100 GETs
 * are cheaper than listing any store over 25,000 customers, and never cost more than 100 requests, a bounded price
 * for not knowing. One number for both commands, so a pilot's plan and its verify read Rivo the same way.
 */
export const LIST_THRESHOLD = 100;

export type LookupMode = 'list' | 'get';

export function chooseLookup(setting: 'auto' | 'list' | 'get', customersToLookUp: number, threshold: number = LIST_THRESHOLD): LookupMode {
  if (setting !== 'auto') return setting;
  return customersToLookUp <= threshold ? 'get' : 'list';
}

function upsertStatement(db: Db) {
  return statement(
    db,
    `INSERT INTO rivo_customers (id, email_norm, email, points_tally, lifetime, credits_cents, tier_id, tier_name, dob, loyalty_status, seen_at)
     VALUES (@id, @emailNorm, @email, @pointsTally, @lifetimeTally, @creditsCents, @tierId, @tierName, @dob, @loyaltyStatus, @at)
     ON CONFLICT(id) DO UPDATE SET email_norm = excluded.email_norm, email = excluded.email, points_tally = excluded.points_tally,
       lifetime = excluded.lifetime, credits_cents = excluded.credits_cents, tier_id = excluded.tier_id, tier_name = excluded.tier_name,
       dob = excluded.dob, loyalty_status = excluded.loyalty_status, seen_at = excluded.seen_at`,
  );
}

export function normEmail(email: string | null | undefined): string | null {
  const e = email?.trim().toLowerCase();
  return e ? e : null;
}

/** Stores Rivo customers, a chunk per transaction. */
export function storeRivoCustomers(db: Db, customers: RivoCustomerSnapshot[]): void {
  const stmt = upsertStatement(db);
  const at = new Date().toISOString();
  db.transaction(() => {
    for (const c of customers) stmt.run({ ...c, emailNorm: normEmail(c.email), at });
  })();
}

/** Pages through every Rivo customer into `rivo_customers`. Returns how many were seen. */
export async function listAllRivoCustomers(db: Db, rivo: RivoApi, onPage?: (seen: number) => void, signal?: AbortSignal): Promise<number> {
  let chunk: RivoCustomerSnapshot[] = [];
  let seen = 0;
  for await (const c of rivo.listCustomers(CHUNK)) {
    chunk.push(c);
    seen++;
    if (chunk.length >= CHUNK) {
      storeRivoCustomers(db, chunk);
      chunk = [];
      onPage?.(seen);
      if (signal?.aborted) break;
    }
  }
  if (chunk.length) storeRivoCustomers(db, chunk);
  onPage?.(seen);
  statement(db, "INSERT INTO meta (key, value) VALUES ('rivo_listed_at', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(new Date().toISOString());
  return seen;
}

/**
 * Looks one Yotpo customer up in Rivo directly: by Shopify id first, then by email. What is found is stored in
 * `rivo_customers`, so matching reads one table whichever way it was filled.
 */
export async function lookUpOne(db: Db, rivo: RivoApi, thirdPartyId: string | null, email: string | null): Promise<void> {
  const found: RivoCustomerSnapshot[] = [];
  if (thirdPartyId) {
    const c = await rivo.getCustomer(thirdPartyId);
    if (c) found.push(c);
  }
  const e = normEmail(email);
  if (e && !found.some((c) => normEmail(c.email) === e)) {
    const c = await rivo.getCustomer(e);
    if (c) found.push(c);
  }
  if (found.length) storeRivoCustomers(db, found);
}

export function rivoById(db: Db, id: string): RivoCustomerSnapshot | undefined {
  return toSnapshot(statement(db, 'SELECT * FROM rivo_customers WHERE id = ?').get(id) as RivoRow | undefined);
}

/**
 * The stored Rivo customers of our customers with seq in [fromSeq, toSeq], by Rivo id, only those stored at or after
 * `since` (ISO): what a reader that listed Rivo itself may trust as current. One query per range rather than one per
 * customer (verify reads 500 customers at a time).
 */
export function rivoSeenSinceForSeqs(db: Db, fromSeq: number, toSeq: number, since: string): Map<string, RivoCustomerSnapshot> {
  const rows = statement(
    db,
    'SELECT r.* FROM customers c JOIN rivo_customers r ON r.id = c.rivo_id WHERE c.seq BETWEEN ? AND ? AND r.seen_at >= ?',
  ).all(fromSeq, toSeq, since) as RivoRow[];
  return new Map(rows.map((r) => [r.id, toSnapshot(r)!]));
}

/** By normalised email; when Rivo has two customers with one email (it should not), the lowest id, deterministically. */
export function rivoByEmail(db: Db, emailNorm: string): RivoCustomerSnapshot | undefined {
  return toSnapshot(statement(db, 'SELECT * FROM rivo_customers WHERE email_norm = ? ORDER BY id LIMIT 1').get(emailNorm) as RivoRow | undefined);
}

interface RivoRow {
  id: string;
  email: string | null;
  points_tally: number;
  lifetime: number | null;
  credits_cents: number;
  tier_id: string | null;
  tier_name: string | null;
  dob: string | null;
  loyalty_status: string | null;
}

function toSnapshot(r: RivoRow | undefined): RivoCustomerSnapshot | undefined {
  if (!r) return undefined;
  return {
    id: r.id,
    email: r.email,
    pointsTally: r.points_tally,
    lifetimeTally: r.lifetime,
    creditsCents: r.credits_cents,
    tierId: r.tier_id,
    tierName: r.tier_name,
    dob: r.dob,
    loyaltyStatus: r.loyalty_status,
  };
}

export async function refreshTiers(db: Db, rivo: RivoApi): Promise<RivoTier[]> {
  const tiers = await rivo.listTiers();
  db.transaction(() => {
    statement(db, 'DELETE FROM rivo_tiers').run();
    const stmt = statement(db, 'INSERT INTO rivo_tiers (id, name, raw_json) VALUES (?, ?, ?)');
    for (const t of tiers) stmt.run(t.id, t.name, JSON.stringify(t));
  })();
  return tiers;
}
