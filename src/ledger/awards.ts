import { createHash } from 'node:crypto';
import type { Db } from '../db/open.js';
import { customerHash, KEY_PREFIX } from '../mapper/keys.js';
import { setCustomerState } from './customers.js';
import { pluckStatement, statement } from './statements.js';

/**
 * The ledger of one-time action awards (migration 011 `awards`). Every transition of an award is here:
 *
 *   (none) ─intent─► in_flight ─201 approved─► awarded (points counted)
 *                              ─201 pending──► pending  (reported, not counted)
 *                              ─409 first try► already  (earned before the migration: nothing of ours, nothing counted)
 *                              ─403/404/422──► refused
 *                              ─no answer────► uncertain ─re-POST 409 + read-back─► awarded | pending
 *   skipped: never sent (not enough points owed to absorb it); decided again on the next run.
 *
 * An awarded row's points become a `done` row in `events` (kind points, role 'award', generation -1 so it never
 * shifts the generation of the migration's own events): the planner's fold then owes that much less, verify expects
 * it in the tallies, rollback takes it back. Rivo's award event carries none of our keys, so the key checks skip it.
 */

export type AwardStatus = 'in_flight' | 'uncertain' | 'awarded' | 'pending' | 'already' | 'refused' | 'skipped';

export interface AwardRow {
  key: string;
  customer_key: string;
  rivo_id: string;
  action: string;
  rule_id: string;
  status: AwardStatus;
  points: number | null;
  points_due_at: string | null;
  attempts: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  done_at: string | null;
}

/** The role of the `events` row that counts an award's points. */
export const AWARD_ROLE = 'award';
/** Generation of that row: below every generation the mapper plans, so it never moves them. */
export const AWARD_GENERATION = -1;

const now = () => new Date().toISOString();

/** `y2r:<migration>:<customer hash>:award:<8 hex of the rule id>`: never parsed as an event key (no number at the end). */
export function awardKey(migrationName: string, migrationId: string, customerKey: string, ruleId: string): string {
  const rule = createHash('sha256').update(ruleId, 'utf8').digest('hex').slice(0, 8);
  return `${KEY_PREFIX}:${migrationId}:${customerHash(migrationName, customerKey)}:award:${rule}`;
}

export function awardsOf(db: Db, customerKey: string): AwardRow[] {
  return statement(db, 'SELECT * FROM awards WHERE customer_key = ? ORDER BY created_at, key').all(customerKey) as AwardRow[];
}

export function awardByKey(db: Db, key: string): AwardRow | undefined {
  return statement(db, 'SELECT * FROM awards WHERE key = ?').get(key) as AwardRow | undefined;
}

export function allAwards(db: Db): AwardRow[] {
  return statement(db, 'SELECT * FROM awards ORDER BY customer_key, created_at, key').all() as AwardRow[];
}

/** Awards whose outcome is not known yet: the customer's points events wait for them. */
export function unsettledAwardCount(db: Db, customerKey: string): number {
  return pluckStatement(db, "SELECT count(*) FROM awards WHERE customer_key = ? AND status IN ('in_flight','uncertain')").get(customerKey) as number;
}

/** A crash between the intent and its outcome: the request may have left. Said uncertain at the next start. */
export function inFlightAwardsToUncertain(db: Db): number {
  return statement(db, "UPDATE awards SET status = 'uncertain', last_error = coalesce(last_error, 'interrupted before the answer was recorded'), updated_at = ? WHERE status = 'in_flight'").run(now()).changes;
}

/**
 * The intent, committed before the request leaves. A new award, a skipped one tried again, or an uncertain one
 * re-sent (safe: a second award of the same rule is refused with 409, which proves the first landed).
 */
export function markAwardInFlight(db: Db, a: { key: string; customerKey: string; rivoId: string; action: string; ruleId: string }): void {
  db.transaction(() => {
    const at = now();
    const existing = awardByKey(db, a.key);
    if (!existing) {
      statement(
        db,
        "INSERT INTO awards (key, customer_key, rivo_id, action, rule_id, status, attempts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'in_flight', 1, ?, ?)",
      ).run(a.key, a.customerKey, a.rivoId, a.action, a.ruleId, at, at);
      return;
    }
    if (existing.status !== 'uncertain' && existing.status !== 'skipped') throw new Error(`award ${a.key} is ${existing.status}; refusing to send it again`);
    statement(db, "UPDATE awards SET status = 'in_flight', attempts = attempts + 1, updated_at = ? WHERE key = ?").run(at, a.key);
  })();
}

/** Not sent, and why (not enough points owed to absorb it). Recorded for the reports; decided again next run. */
export function markAwardSkipped(db: Db, a: { key: string; customerKey: string; rivoId: string; action: string; ruleId: string }, reason: string): void {
  const at = now();
  statement(
    db,
    `INSERT INTO awards (key, customer_key, rivo_id, action, rule_id, status, attempts, last_error, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'skipped', 0, ?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET last_error = excluded.last_error, updated_at = excluded.updated_at WHERE awards.status = 'skipped'`,
  ).run(a.key, a.customerKey, a.rivoId, a.action, a.ruleId, reason, at, at);
}

/** The request proved nothing was applied (no award endpoint at that path): back to not sent, decided again next run. */
export function markAwardNotSent(db: Db, key: string, reason: string): void {
  statement(db, "UPDATE awards SET status = 'skipped', last_error = ?, updated_at = ? WHERE key = ? AND status = 'in_flight'").run(reason, now(), key);
}

export function markAwardUncertain(db: Db, key: string, error: string): void {
  statement(db, "UPDATE awards SET status = 'uncertain', last_error = ?, updated_at = ? WHERE key = ? AND status = 'in_flight'").run(error, now(), key);
}

/**
 * Rivo granted `points` for this award: done, and counted through an `events` row (see the header). `rivoEventId`:
 * the points event Rivo booked, when read back.
 */
export function markAwarded(db: Db, key: string, points: number, rivoEventId: string | null, note: string): void {
  db.transaction(() => {
    const at = now();
    const row = awardByKey(db, key);
    if (!row) throw new Error(`unknown award ${key}`);
    if (row.status !== 'in_flight' && row.status !== 'uncertain') throw new Error(`award ${key} is ${row.status}; it cannot be awarded again`);
    statement(db, "UPDATE awards SET status = 'awarded', points = ?, last_error = NULL, done_at = ?, updated_at = ? WHERE key = ?").run(points, at, at, key);
    if (points !== 0)
      statement(
        db,
        `INSERT INTO events (key, customer_key, rivo_id, kind, role, generation, points_amount, credits_cents, value, applied_at, internal_note,
           external_note, status, attempts, rivo_event_id, created_at, updated_at, done_at)
         VALUES (?, ?, ?, 'points', '${AWARD_ROLE}', ${AWARD_GENERATION}, ?, 0, NULL, ?, ?, NULL, 'done', ?, ?, ?, ?, ?)`,
      ).run(key, row.customer_key, row.rivo_id, points, at, note, row.attempts, rivoEventId, at, at, at);
    // The customer's plan was made before these points were counted: its unsent events would give them twice. They
    // are cancelled in the same transaction (a crash right after cannot leave them to be sent), and the next plan
    // owes that much less.
    if (points !== 0) {
      statement(db, "UPDATE events SET status = 'cancelled', updated_at = ? WHERE customer_key = ? AND status = 'planned'").run(at, row.customer_key);
      statement(db, 'UPDATE customers SET planned_hash = NULL WHERE key = ?').run(row.customer_key);
      setCustomerState(db, row.customer_key, 'pending', 'to be planned again: a one-time action award was counted into the migration');
    }
  })();
}

/** An outcome that counts nothing: pending (approval time), already earned before the migration, or refused. */
export function markAwardClosed(db: Db, key: string, status: 'pending' | 'already' | 'refused', detail: { error?: string | null; pointsDueAt?: string | null; points?: number | null } = {}): void {
  const at = now();
  statement(
    db,
    "UPDATE awards SET status = ?, last_error = ?, points_due_at = ?, points = ?, done_at = ?, updated_at = ? WHERE key = ? AND status IN ('in_flight','uncertain')",
  ).run(status, detail.error ?? null, detail.pointsDueAt ?? null, detail.points ?? null, at, at, key);
}

/**
 * An award of this customer is uncertain (no answer to trust, and read-back could not settle it): their points events
 * wait, since how much the migration still owes depends on what the award granted. The unsent events are cancelled
 * and the customer re-planned once the award is settled (the next run).
 */
export function holdForAwards(db: Db, customerKey: string, reason: string): void {
  db.transaction(() => {
    statement(db, "UPDATE events SET status = 'cancelled', updated_at = ? WHERE customer_key = ? AND status = 'planned'").run(now(), customerKey);
    statement(db, 'UPDATE customers SET planned_hash = NULL WHERE key = ?').run(customerKey);
    setCustomerState(db, customerKey, 'pending', reason);
  })();
}

/** Customers whose plan an award made stale (cancelled, not planned again yet): the loader must re-plan them first. */
export function awardsAwaitingReplan(db: Db, maxSeq: number): number {
  return pluckStatement(
    db,
    `SELECT count(*) FROM customers c WHERE c.seq <= ? AND c.planned_hash IS NULL AND c.state = 'pending'
       AND EXISTS (SELECT 1 FROM awards a WHERE a.customer_key = c.key)`,
  ).get(maxSeq) as number;
}

/**
 * `adopt`, after a lost DB: an award of a mapped rule found in Rivo for an adopted customer, decided by when Rivo
 * booked it (awards/adopt.ts): `awarded` when the lost migration made it (its points are then an adopted `award`
 * row in `events`, written by ledger/adopt.ts in the same transaction, so the plan owes them no more), `already`
 * when the customer earned it before the migration. Either way the award pass never sends it again.
 */
export function recordAdoptedAward(
  db: Db,
  a: { key: string; customerKey: string; rivoId: string; action: string; ruleId: string; status: 'awarded' | 'already'; points: number; at: string },
): void {
  const at = now();
  statement(
    db,
    `INSERT INTO awards (key, customer_key, rivo_id, action, rule_id, status, attempts, points, last_error, created_at, updated_at, done_at)
     VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET status = excluded.status, points = excluded.points, last_error = excluded.last_error, updated_at = excluded.updated_at`,
  ).run(
    a.key,
    a.customerKey,
    a.rivoId,
    a.action,
    a.ruleId,
    a.status,
    a.status === 'awarded' ? a.points : null,
    a.status === 'awarded' ? 'adopted from Rivo: made by the lost migration' : 'adopted from Rivo: earned before the migration, nothing counted',
    a.at,
    at,
    a.at,
  );
}
