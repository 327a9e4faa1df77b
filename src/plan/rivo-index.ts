import type { Db } from '../db/open.js';
import type { RivoCustomerSnapshot, RivoTier } from '../domain.js';
import { ListingRangeError, type CustomerIdRange, type RivoApi } from '../rivo/api.js';
import { pluckStatement, statement } from '../ledger/statements.js';

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

/**
 * Ranges of Rivo's customer listing read side by side. Each costs a request, so a range holds one page of the
 * customers stored at the last listing: a listing of 20,000 customers took ~2 s a page after another (each page waits
 * on the cursor of the one before, ~25 ms with the sandbox's 10 ms latency) against 0.4 s of the rate budget.
 */
export const LISTING_RANGES_AT_ONCE = 4;

/**
 * Where to cut Rivo's listing into ranges of about `perRange` customers: every `perRange`-th id of the customers
 * stored, in numeric order (ids that are not numbers give none). Only a guide: customers added or gone since only
 * make ranges longer or shorter, since every id falls in exactly one range.
 */
export function listingSplits(db: Db, perRange: number = CHUNK): string[] {
  const ids = pluckStatement(db, "SELECT id FROM rivo_customers WHERE id <> '' AND id NOT GLOB '*[^0-9]*' ORDER BY length(id), id").all() as string[];
  const splits: string[] = [];
  for (let i = perRange - 1; i < ids.length; i += perRange) splits.push(ids[i]!);
  return splits;
}

/**
 * Every Rivo customer, a page at a time, to `onPage` (which returns true to stop). With customers stored from an
 * earlier listing, the listing is read in ranges side by side (`listingSplits`); a store whose cursor is not an id
 * (`ListingRangeError`) is read again in one pass from the start, after `onRestart`. Pages come in no particular
 * order then; each customer comes once per pass.
 */
export async function forEachRivoPage(db: Db, rivo: RivoApi, onPage: (customers: RivoCustomerSnapshot[]) => boolean | void, onRestart?: () => void): Promise<void> {
  const splits = listingSplits(db);
  if (splits.length > 0) {
    try {
      await readRanges(rivo, splits, onPage);
      return;
    } catch (err) {
      if (!(err instanceof ListingRangeError)) throw err;
      onRestart?.();
    }
  }
  let page: RivoCustomerSnapshot[] = [];
  for await (const c of rivo.listCustomers(CHUNK)) {
    page.push(c);
    if (page.length >= CHUNK) {
      const stop = onPage(page);
      page = [];
      if (stop) return;
    }
  }
  if (page.length) onPage(page);
}

async function readRanges(rivo: RivoApi, splits: string[], onPage: (customers: RivoCustomerSnapshot[]) => boolean | void): Promise<void> {
  const ranges: CustomerIdRange[] = splits.map((throughId, i) => ({ afterId: i === 0 ? '0' : splits[i - 1]!, throughId }));
  ranges.push({ afterId: splits[splits.length - 1]!, throughId: null });
  let next = 0;
  let stopped = false;
  let failure: unknown;
  const readOne = async (range: CustomerIdRange) => {
    let page: RivoCustomerSnapshot[] = [];
    for await (const c of rivo.listCustomers(CHUNK, range)) {
      if (stopped) return;
      page.push(c);
      if (page.length >= CHUNK) {
        if (onPage(page)) stopped = true;
        page = [];
      }
    }
    if (page.length && !stopped && onPage(page)) stopped = true;
  };
  const worker = async () => {
    while (!stopped && next < ranges.length) {
      const range = ranges[next++]!;
      try {
        await readOne(range);
      } catch (err) {
        // The first failure is the one reported; the other readers stop at their next customer.
        if (!stopped) failure = err;
        stopped = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LISTING_RANGES_AT_ONCE, ranges.length) }, worker));
  if (failure !== undefined) throw failure;
}

/** Pages through every Rivo customer into `rivo_customers`. Returns how many were seen. */
export async function listAllRivoCustomers(db: Db, rivo: RivoApi, onPage?: (seen: number) => void, signal?: AbortSignal): Promise<number> {
  let seen = 0;
  await forEachRivoPage(
    db,
    rivo,
    (page) => {
      storeRivoCustomers(db, page);
      seen += page.length;
      onPage?.(seen);
      return signal?.aborted;
    },
    () => {
      seen = 0;
    },
  );
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
