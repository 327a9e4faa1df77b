import type { Db } from '../db/open.js';
import type { HistoryItem } from '../history/items.js';
import { pluckStatement, statement } from './statements.js';

/**
 * Every write of the history lookup (migration 010): one Yotpo history per customer, stored as it is read so a
 * killed run resumes with the customers not looked up yet, and the planner's per-customer history status.
 */

export type LookupStatus = 'found' | 'not_found' | 'unreadable' | 'failed';

export interface LookupResult {
  status: LookupStatus;
  /** Why a lookup is not `found` (the item problems of an unreadable one, one per line). */
  reason: string | null;
  /** The readable items (for `unreadable`, those that passed; the planner replays none of them). */
  items: readonly HistoryItem[];
}

export interface StoredLookup {
  customerKey: string;
  valuesHash: string;
  status: LookupStatus;
  reason: string | null;
  lookedUpAt: string;
  items: HistoryItem[];
}

/**
 * Who needs a lookup: valid customers up to `maxSeq` with nothing of theirs possibly in Rivo (a customer with posted
 * events gets deltas, never a replay), whose lookup is missing, failed, or was read for other values. `skipZero` and
 * `skipNonMembers`: customers the skip rules leave out are not looked up (nothing of theirs is sent).
 */
function needsLookupSql(opts: { skipZero: boolean; skipNonMembers: boolean }): string {
  return `FROM customers c LEFT JOIN history_lookups h ON h.customer_key = c.key
     WHERE c.state <> 'invalid' AND c.seq <= ?
       AND (h.customer_key IS NULL OR h.status = 'failed' OR h.values_hash <> c.values_hash)
       AND NOT EXISTS (SELECT 1 FROM events e WHERE e.customer_key = c.key AND e.status IN ('in_flight','uncertain','done'))
       ${opts.skipZero ? "AND NOT (coalesce(c.points_balance, 0) = 0 AND coalesce(c.points_earned, 0) = 0 AND coalesce(c.credit_cents, 0) = 0)" : ''}
       ${opts.skipNonMembers ? 'AND coalesce(c.opted_in, 1) <> 0' : ''}`;
}

export interface LookupScope {
  maxSeq: number;
  skipZero: boolean;
  skipNonMembers: boolean;
}

export function countNeedingLookup(db: Db, scope: LookupScope): number {
  return pluckStatement(db, `SELECT count(*) ${needsLookupSql(scope)}`).get(scope.maxSeq) as number;
}

/** Whether this customer still needs a lookup (the planner waits for it rather than plan without its history). */
export function needsLookup(db: Db, scope: LookupScope, customerKey: string): boolean {
  return !!statement(db, `SELECT 1 ${needsLookupSql(scope)} AND c.key = ?`).get(scope.maxSeq, customerKey);
}

/** The next customers to look up, after `afterSeq`, in listing order. */
export function nextNeedingLookup(db: Db, scope: LookupScope, afterSeq: number, limit: number): { key: string; seq: number; email: string | null; valuesHash: string }[] {
  return statement(db, `SELECT c.key, c.seq, c.email, c.values_hash AS valuesHash ${needsLookupSql(scope)} AND c.seq > ? ORDER BY c.seq LIMIT ?`).all(
    scope.maxSeq,
    afterSeq,
    limit,
  ) as { key: string; seq: number; email: string | null; valuesHash: string }[];
}

/**
 * Stores one customer's lookup, replacing an earlier one. The customer's unsent plan (made without this history, or
 * with an older one) is cancelled and marked for re-planning in the same transaction, so the loader can never send
 * a plan the history has overtaken; nothing sent is touched (customers with posted events are never looked up).
 */
export function recordLookup(db: Db, customerKey: string, valuesHash: string, result: LookupResult, at = new Date().toISOString()): void {
  db.transaction(() => {
    statement(db, 'DELETE FROM history_items WHERE customer_key = ?').run(customerKey);
    statement(
      db,
      `INSERT INTO history_lookups (customer_key, values_hash, status, reason, item_count, looked_up_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(customer_key) DO UPDATE SET values_hash = excluded.values_hash, status = excluded.status, reason = excluded.reason,
         item_count = excluded.item_count, looked_up_at = excluded.looked_up_at`,
    ).run(customerKey, valuesHash, result.status, result.reason, result.items.length, at);
    const insert = statement(
      db,
      `INSERT INTO history_items (customer_key, idx, created_at, date, action, action_name, points, status, completed_at, raw_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const i of result.items) insert.run(customerKey, i.idx, i.createdAt, i.date, i.action, i.actionName, i.points, i.status, i.completedAt, i.rawJson);
    withdrawUnsentPlan(db, customerKey, at);
  })();
}

/**
 * A customer the planner cannot plan yet because its history is not read: a plan made earlier without it (a dry run
 * with history off) must not go out meanwhile. Its unsent events are cancelled and it is marked for re-planning.
 */
export function awaitHistory(db: Db, customerKey: string): void {
  db.transaction(() => withdrawUnsentPlan(db, customerKey, new Date().toISOString()))();
}

/** Only while nothing of the customer's may be in Rivo (a replay is only ever a first plan). */
function withdrawUnsentPlan(db: Db, customerKey: string, at: string): void {
  if (statement(db, "SELECT 1 FROM events WHERE customer_key = ? AND status IN ('in_flight','uncertain','done') LIMIT 1").get(customerKey)) return;
  statement(db, "UPDATE events SET status = 'cancelled', updated_at = ? WHERE customer_key = ? AND status = 'planned'").run(at, customerKey);
  statement(db, 'UPDATE customers SET planned_hash = NULL WHERE key = ?').run(customerKey);
}

interface ItemRow {
  idx: number;
  created_at: string | null;
  date: string | null;
  action: string | null;
  action_name: string | null;
  points: number;
  status: string | null;
  completed_at: string | null;
  raw_json: string;
}

/** A customer's stored lookup with its items in Yotpo's order; null when never looked up. */
export function storedLookup(db: Db, customerKey: string): StoredLookup | null {
  const h = statement(db, 'SELECT * FROM history_lookups WHERE customer_key = ?').get(customerKey) as
    | { customer_key: string; values_hash: string; status: LookupStatus; reason: string | null; looked_up_at: string }
    | undefined;
  if (!h) return null;
  const rows = statement(db, 'SELECT * FROM history_items WHERE customer_key = ? ORDER BY idx').all(customerKey) as ItemRow[];
  return {
    customerKey,
    valuesHash: h.values_hash,
    status: h.status,
    reason: h.reason,
    lookedUpAt: h.looked_up_at,
    items: rows.map((r) => ({
      idx: r.idx,
      createdAt: r.created_at,
      date: r.date,
      action: r.action,
      actionName: r.action_name,
      points: r.points,
      status: r.status ?? '',
      completedAt: r.completed_at,
      rawJson: r.raw_json,
    })),
  };
}

/** The planner's outcome for the customer: `replayed (N events)`, `fallback: <reason>`, or null (history off). */
export function setHistoryStatus(db: Db, customerKey: string, status: string | null): void {
  statement(db, 'UPDATE customers SET history_status = ? WHERE key = ?').run(status, customerKey);
}

export function historyStatusOf(db: Db, customerKey: string): string | null {
  return (pluckStatement(db, 'SELECT history_status FROM customers WHERE key = ?').get(customerKey) as string | null | undefined) ?? null;
}

/** Counts by lookup status (for plan.json and the dry run). */
export function lookupCounts(db: Db): Record<LookupStatus, number> {
  const out: Record<LookupStatus, number> = { found: 0, not_found: 0, unreadable: 0, failed: 0 };
  for (const r of statement(db, 'SELECT status, count(*) AS n FROM history_lookups GROUP BY status').all() as { status: LookupStatus; n: number }[]) out[r.status] = r.n;
  return out;
}
