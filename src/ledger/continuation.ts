import { getMeta, type Db } from '../db/open.js';
import { setCustomerState } from './customers.js';
import { pluckStatement, statement } from './statements.js';
import type { CustomerRow } from './types.js';

/**
 * A customer already migrated keeps its migration when its Yotpo email changes (issue 11, item 6).
 *
 * The record key is the email (extract/record-key.ts), so an edited email reads as a new record. It *continues* an
 * earlier record when the earlier one has events in Rivo, is linked to it by the Shopify id (both carry the same
 * `third_party_id`) or by an `identityMap` entry (the new record is mapped to the Rivo customer the earlier one was
 * migrated to), and the latest complete Yotpo pass no longer holds the earlier key. Then the new record's values are
 * read into the earlier customer's row (same key, same event keys, same ledger), the new key becomes an alias of it
 * for every later extraction, and the change arrives as a delta. While the pass is still under way, nobody can tell
 * an edit from two records for one person: the new record waits, unplanned.
 */

/** Meta: the extraction pass under way or last finished (its start time), and the last pass that reached the end. */
export const EXTRACT_PASS = 'extract_pass';
export const EXTRACT_PASS_DONE = 'extract_pass_done';

export type Continuation =
  | { kind: 'none' }
  /** The earlier record may still be in Yotpo: the pass has not ended. */
  | { kind: 'wait'; of: CustomerRow }
  /** Both records are in Yotpo: two records for one person, the usual conflict rules apply. */
  | { kind: 'both_present'; of: CustomerRow }
  | { kind: 'continues'; of: CustomerRow; via: 'third_party_id' | 'identity_map' };

/** Normalised once per identity map, not once per record (a million records meet the same map). */
const normalisedMaps = new WeakMap<object, Map<string, string>>();

/** The identityMap target of a record (by Shopify id first, then email, case-insensitively), or null. */
function explicitTarget(row: Pick<CustomerRow, 'third_party_id' | 'email'>, identityMap: Readonly<Record<string, string>>): string | null {
  let map = normalisedMaps.get(identityMap);
  if (!map) {
    map = new Map(Object.entries(identityMap).map(([k, v]) => [k.trim().toLowerCase(), v.trim()] as const));
    normalisedMaps.set(identityMap, map);
  }
  for (const k of [row.third_party_id, row.email]) {
    const v = typeof k === 'string' && k.trim() !== '' ? map.get(k.trim().toLowerCase()) : undefined;
    if (v !== undefined) return v.toLowerCase() === 'skip' ? null : v;
  }
  return null;
}

const POSTED = "EXISTS (SELECT 1 FROM events e WHERE e.customer_key = c.key AND e.status IN ('in_flight','uncertain','done'))";

/** What the new record `row` (nothing posted for it) continues, if anything. */
export function findContinuation(db: Db, row: CustomerRow, identityMap: Readonly<Record<string, string>>): Continuation {
  let of: CustomerRow | undefined;
  let via: 'third_party_id' | 'identity_map' = 'third_party_id';
  const tpid = row.third_party_id?.trim() || null;
  if (tpid)
    of = statement(db, `SELECT c.* FROM customers c WHERE c.third_party_id = ? AND c.key <> ? AND ${POSTED} ORDER BY c.seq LIMIT 1`).get(tpid, row.key) as
      | CustomerRow
      | undefined;
  if (!of) {
    const target = explicitTarget(row, identityMap);
    if (target) {
      of = statement(db, `SELECT c.* FROM customers c WHERE c.rivo_id = ? AND c.key <> ? AND ${POSTED} ORDER BY c.seq LIMIT 1`).get(target, row.key) as
        | CustomerRow
        | undefined;
      via = 'identity_map';
    }
  }
  if (!of) return { kind: 'none' };
  const pass = getMeta(db, EXTRACT_PASS);
  // Records stored without pass stamps (no extraction has stamped this DB): presence cannot be told, so the safe side.
  if (pass === null) return { kind: 'both_present', of };
  if (getMeta(db, EXTRACT_PASS_DONE) !== pass) return { kind: 'wait', of };
  // A row read by an older version has no pass: treat it as present (the safe side: a conflict, never a credit).
  if (of.seen_pass === null || of.seen_pass === undefined || of.seen_pass === pass) return { kind: 'both_present', of };
  return { kind: 'continues', of, via };
}

/**
 * Reads the new record into the customer it continues and removes the new row (nothing was ever posted for it; its
 * unsent plan goes with it). The customer goes back to `pending` with its ledger intact: the planner plans the delta.
 */
export function mergeContinuation(db: Db, newKey: string, intoKey: string, reason: string): void {
  db.transaction(() => {
    const posted = pluckStatement(db, "SELECT count(*) FROM events WHERE customer_key = ? AND status IN ('in_flight','uncertain','done')").get(newKey) as number;
    if (posted > 0) throw new Error(`customer ${newKey} has events in Rivo: it cannot be merged into ${intoKey}`);
    statement(
      db,
      `UPDATE customers SET (source, email, email_norm, third_party_id, first_name, last_name, points_balance, points_earned, credit_cents,
         tier_name, birthday_month, birth_day, birthday_year, opted_in, last_activity_at, points_expire_at, raw_json, values_hash, invalid_reason, extracted_at, seen_pass) =
       (SELECT source, email, email_norm, third_party_id, first_name, last_name, points_balance, points_earned, credit_cents,
         tier_name, birthday_month, birth_day, birthday_year, opted_in, last_activity_at, points_expire_at, raw_json, values_hash, invalid_reason, extracted_at, seen_pass
        FROM customers WHERE key = ?) WHERE key = ?`,
    ).run(newKey, intoKey);
    for (const table of ['events', 'match_candidates', 'verify_results'])
      statement(db, `DELETE FROM ${table} WHERE customer_key = ?`).run(newKey);
    statement(db, 'UPDATE customer_aliases SET customer_key = ? WHERE customer_key = ?').run(intoKey, newKey);
    statement(db, 'DELETE FROM customers WHERE key = ?').run(newKey);
    statement(
      db,
      'INSERT INTO customer_aliases (record_key, customer_key, reason, at) VALUES (?, ?, ?, ?) ON CONFLICT(record_key) DO UPDATE SET customer_key = excluded.customer_key, reason = excluded.reason, at = excluded.at',
    ).run(newKey, intoKey, reason, new Date().toISOString());
    setCustomerState(db, intoKey, 'pending', reason);
  })();
}

/**
 * Another record whose events are (or may be) in Rivo on this Rivo customer, whatever its state today (invalid,
 * held, gone from Yotpo): crediting `key` there would credit one Rivo customer twice.
 */
export function postedByAnotherRecord(db: Db, rivoId: string, key: string): string | null {
  return (
    (pluckStatement(db, "SELECT customer_key FROM events WHERE rivo_id = ? AND customer_key <> ? AND status IN ('in_flight','uncertain','done') LIMIT 1").get(
      rivoId,
      key,
    ) as string | undefined) ?? null
  );
}

/**
 * What a record with no Shopify id and no identityMap entry may be (issue 11, item 6). Nothing links it to the record
 * it was before an email edit, so crediting it could pay one person's points twice: once already under the old email,
 * again under the new one (on whichever Rivo customer the new email finds). When a migrated record of the same name,
 * without a Shopify id either, is gone from the latest complete Yotpo pass, the tool cannot prove the new record is
 * someone else: it holds it (`held`), and while the pass is under way, it waits. The merchant decides with an
 * identityMap entry (to the earlier Rivo customer: the migration continues as a delta; to its own: it is credited).
 */
export type PossibleEdit = { kind: 'none' } | { kind: 'wait'; of: CustomerRow } | { kind: 'held'; of: CustomerRow };

export function possibleEditOf(db: Db, row: CustomerRow, identityMap: Readonly<Record<string, string>>): PossibleEdit {
  const first = row.first_name?.trim().toLowerCase();
  const last = row.last_name?.trim().toLowerCase();
  if (row.third_party_id?.trim() || !first || !last || explicitTarget(row, identityMap) !== null) return { kind: 'none' };
  // Nothing in Rivo yet (a first run, a dry run): nobody can be paid twice, and common names cost no lookups.
  if (!pluckStatement(db, "SELECT 1 FROM events WHERE status IN ('in_flight','uncertain','done') LIMIT 1").get()) return { kind: 'none' };
  const pass = getMeta(db, EXTRACT_PASS);
  // Without pass stamps presence cannot be told; a record read by an older version (no stamp) counts as still in Yotpo.
  if (pass === null) return { kind: 'none' };
  const of = statement(
    db,
    `SELECT c.* FROM customers c WHERE lower(trim(c.first_name)) = ? AND lower(trim(c.last_name)) = ? AND c.key <> ?
       AND coalesce(trim(c.third_party_id), '') = '' AND c.seen_pass IS NOT NULL AND c.seen_pass <> ? AND ${POSTED}
     ORDER BY c.seq LIMIT 1`,
  ).get(first, last, row.key, pass) as CustomerRow | undefined;
  if (!of) return { kind: 'none' };
  // Not in this pass (yet): gone once the pass has reached the end of Yotpo, possibly still to come before that.
  return getMeta(db, EXTRACT_PASS_DONE) === pass ? { kind: 'held', of } : { kind: 'wait', of };
}
