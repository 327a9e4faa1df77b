import type { CustomerState, PlannedEvent } from '../domain.js';
import type { LedgerEvent } from '../mapper/migrated.js';
import type { Db } from '../db/open.js';
import { recordFirstPlan, recordProblem, recordProblemOnce, setCustomerState, type FirstPlanRow } from './customers.js';
import { formatCents } from '../util/money.js';
import type { EventRow } from './types.js';
import { pluckStatement, statement } from './statements.js';

const now = () => new Date().toISOString();

/** Statuses whose event is, or may be, in Rivo: a re-plan must not touch them and must count them as migrated. */
export const POSTED_OR_MAYBE = ['in_flight', 'uncertain', 'done'] as const;

export class UnsettledEventsError extends Error {}

/** Events that may or may not be in Rivo: they must be settled by read-back before anything is planned over them. */
export function unsettledCount(db: Db, customerKey: string): number {
  return pluckStatement(db, "SELECT count(*) FROM events WHERE customer_key = ? AND status IN ('in_flight','uncertain')").get(customerKey) as number;
}

/** Adds a planned event, or plans again a key that was cancelled (or is still planned); never touches a sent one. */
function upsertPlanned(db: Db, customerKey: string, rivoId: string, e: PlannedEvent, at: string): number {
  return statement(
    db,
    `INSERT INTO events (key, customer_key, rivo_id, kind, role, generation, points_amount, credits_cents, value, applied_at,
       internal_note, external_note, status, created_at, updated_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'planned', ?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET status = 'planned', rivo_id = excluded.rivo_id, points_amount = excluded.points_amount,
       credits_cents = excluded.credits_cents, value = excluded.value, applied_at = excluded.applied_at,
       internal_note = excluded.internal_note, external_note = excluded.external_note, updated_at = excluded.updated_at,
       expires_at = excluded.expires_at
     WHERE events.status IN ('cancelled','planned')`,
  ).run(e.key, customerKey, rivoId, e.kind, e.role, e.generation, e.pointsAmount, e.creditsCents, e.value, e.appliedAt, e.internalNote, e.externalNote, at, at, e.expiresAt ?? null).changes;
}

/**
 * Replaces a customer's not-yet-sent events with a new plan. Events that may already be in Rivo (in flight or
 * uncertain) must be settled first: planning over them could count a write twice or not at all.
 */
export function replacePlan(db: Db, customerKey: string, rivoId: string, events: PlannedEvent[], valuesHash: string, notes: string[]): void {
  db.transaction(() => {
    const unsettled = unsettledCount(db, customerKey);
    if (unsettled > 0) throw new UnsettledEventsError(`customer ${customerKey} has ${unsettled} unsettled events; settle them before re-planning`);
    const at = now();
    cancelUnsent(db, customerKey, at);
    for (const e of events) {
      const existing = pluckStatement(db, 'SELECT status FROM events WHERE key = ?').get(e.key) as string | undefined;
      // A key already done means the mapper was given a stale "migrated so far": refuse loudly.
      if (existing && existing !== 'cancelled' && existing !== 'planned')
        throw new Error(`event ${e.key} is already ${existing}; the plan was computed from a stale ledger`);
      plannedOrThrow(db, customerKey, rivoId, e, at);
    }
    statement(db, 'UPDATE customers SET planned_hash = ?, plan_notes = ? WHERE key = ?').run(valuesHash, notes.length ? JSON.stringify(notes) : null, customerKey);
    refreshCustomerState(db, customerKey);
  })();
}

/**
 * `replacePlan` for a pass that proved, in the same synchronous run, that no event of anyone is in flight, uncertain
 * or done (ledger/plan.ts nothingPostedYet). Then nothing is unsettled, every existing key of this customer is planned
 * or cancelled once the UPDATE below has run, and the customer's state follows from the new plan alone. The customer
 * row's part (Rivo's baseline, the plan, its targets, the state) is one statement: see `recordFirstPlan`.
 */
export function replaceFirstPlan(db: Db, customerKey: string, rivoId: string, events: PlannedEvent[], row: FirstPlanRow): void {
  db.transaction(() => {
    const at = now();
    cancelUnsent(db, customerKey, at);
    // The upsert's own guard (only over cancelled or planned rows) still refuses to touch a sent one.
    for (const e of events) plannedOrThrow(db, customerKey, rivoId, e, at);
    recordFirstPlan(db, customerKey, row, events.length > 0);
  })();
}

/** Unsent events give way to a new plan; so do refused ones (certainly not in Rivo): what is still owed is in it. */
function cancelUnsent(db: Db, customerKey: string, at: string): void {
  statement(db, "UPDATE events SET status = 'cancelled', updated_at = ? WHERE customer_key = ? AND status IN ('planned','rejected')").run(at, customerKey);
}

function plannedOrThrow(db: Db, customerKey: string, rivoId: string, e: PlannedEvent, at: string): void {
  if (upsertPlanned(db, customerKey, rivoId, e, at) !== 1) throw new Error(`event ${e.key} is not planned or cancelled; the plan was computed from a stale ledger`);
}

/**
 * `db.transaction(body)` made once per connection and body, not on every call: wrapping anew on each of the loader's
 * thousands of calls a second cost more than the savepoint it runs. `body` must be a module-level function.
 */
const wrapped = new WeakMap<Db, Map<unknown, unknown>>();
function transactional<A extends unknown[], R>(db: Db, body: (db: Db, ...args: A) => R): (...args: A) => R {
  let byBody = wrapped.get(db);
  if (!byBody) wrapped.set(db, (byBody = new Map()));
  let fn = byBody.get(body) as ((...args: A) => R) | undefined;
  if (!fn) {
    const tx = db.transaction((...args: A) => body(db, ...args));
    fn = (...args: A) => tx(...args);
    byBody.set(body, fn);
  }
  return fn;
}

const IN_FLIGHT_SQL = "UPDATE events SET status = 'in_flight', batch_id = ?, attempts = attempts + 1, updated_at = ? WHERE key = ? AND status = 'planned'";

function markInFlightRows(db: Db, keys: string[], batchId: string): void {
  const stmt = statement(db, IN_FLIGHT_SQL);
  const at = now();
  for (const k of keys) if (stmt.run(batchId, at, k).changes !== 1) throw new Error(`event ${k} was not planned; refusing to send it`);
}

/** The intent: committed before the request leaves, so a crash after this point is settled by reading back. */
export function markInFlight(db: Db, keys: string[], batchId: string): void {
  // One key is one statement, atomic on its own: no savepoint needed (most of the loader's requests carry one event).
  if (keys.length === 1) {
    if (statement(db, IN_FLIGHT_SQL).run(batchId, now(), keys[0]).changes !== 1) throw new Error(`event ${keys[0]} was not planned; refusing to send it`);
    return;
  }
  transactional(db, markInFlightRows)(keys, batchId);
}

const DONE_SET = "SET status = 'done', rivo_event_id = coalesce(?, rivo_event_id), last_error = NULL, done_at = ?, updated_at = ? WHERE key = ? AND status IN ('in_flight','uncertain','planned')";

function markDoneRows(db: Db, done: DoneEvent[]): void {
  const at = now();
  const update = statement(db, `UPDATE events ${DONE_SET}`);
  // RETURNING names the customer in the same statement when the caller did not (one lookup less per event).
  const naming = pluckStatement(db, `UPDATE events ${DONE_SET} RETURNING customer_key`);
  const customerOfDone = (d: DoneEvent): string => {
    if (d.customerKey !== undefined) {
      update.run(d.rivoEventId ?? null, at, at, d.key);
      return d.customerKey;
    }
    return (naming.get(d.rivoEventId ?? null, at, at, d.key) as string | undefined) ?? customerOf(db, d.key);
  };
  if (done.length === 1) {
    refreshCustomerState(db, customerOfDone(done[0]!));
    return;
  }
  const customers = new Set<string>();
  for (const d of done) customers.add(customerOfDone(d));
  for (const c of customers) refreshCustomerState(db, c);
}

/** An event Rivo has; `customerKey`, when the caller knows it, spares naming it from the ledger. */
export interface DoneEvent {
  key: string;
  rivoEventId?: string | null;
  customerKey?: string;
}

/** Rivo has the event (a 2xx answer, or found by read-back). */
export function markDone(db: Db, done: DoneEvent[]): void {
  if (done.length === 0) return;
  transactional(db, markDoneRows)(done);
}

function markUncertainRows(db: Db, keys: string[], error: string): void {
  const stmt = statement(db, "UPDATE events SET status = 'uncertain', last_error = ?, updated_at = ? WHERE key = ? AND status = 'in_flight'");
  const at = now();
  for (const k of keys) stmt.run(error, at, k);
}

/** No answer we can trust: the write may or may not be in Rivo. Settled by reading back before anything is resent. */
export function markUncertain(db: Db, keys: string[], error: string): void {
  transactional(db, markUncertainRows)(keys, error);
}

/**
 * Read-back could not prove the event absent (the listing was not shown complete): it stays uncertain, never
 * resent, with the reason for status and the reports. The next round reads back again.
 */
export function markHeld(db: Db, keys: string[], reason: string): void {
  db.transaction(() => {
    const stmt = statement(db, "UPDATE events SET last_error = ?, updated_at = ? WHERE key = ? AND status = 'uncertain'");
    const at = now();
    for (const k of keys) stmt.run(reason.slice(0, 600), at, k);
  })();
}

/** Read-back proved the event is not in Rivo: it may be sent again (under the same key). */
export function markAbsent(db: Db, keys: string[], error: string | null = null): void {
  db.transaction(() => {
    const stmt = statement(db, "UPDATE events SET status = 'planned', last_error = coalesce(?, last_error), updated_at = ? WHERE key = ? AND status IN ('uncertain','in_flight')");
    const at = now();
    for (const k of keys) stmt.run(error, at, k);
  })();
}

function markRejectedRows(db: Db, keys: string[], reason: string): void {
  const at = now();
  const stmt = statement(db, "UPDATE events SET status = 'rejected', last_error = ?, updated_at = ? WHERE key = ? AND status IN ('in_flight','uncertain','planned')");
  const customers = new Set<string>();
  for (const k of keys) {
    stmt.run(reason, at, k);
    customers.add(customerOf(db, k));
  }
  for (const c of customers) refreshCustomerState(db, c);
}

/** Rivo refused the event for good (for a single send: 404, 422). The customer is `rejected` with Rivo's reason. */
export function markRejected(db: Db, keys: string[], reason: string): void {
  transactional(db, markRejectedRows)(keys, reason);
}

/** The `problems` kind of a customer set half applied: a debit refused after its credits landed. */
export const HALF_APPLIED_PROBLEM = 'half_applied';
/** The `problems` kind of a customer left above target because Rivo refused the completing debit again. */
export const OVER_TARGET_PROBLEM = 'over_target';

/** Whether a problem of this kind is already recorded for the event. */
export function hasEventProblem(db: Db, eventKey: string, kind: string): boolean {
  return !!statement(db, 'SELECT 1 FROM problems WHERE event_key = ? AND kind = ? LIMIT 1').get(eventKey, kind);
}

/**
 * A customer's debit was refused after the rest of its set landed (the customer is above target): the refused events
 * (certainly not in Rivo: Rivo refused them) are planned again, once, to complete the set now that its credits are
 * confirmed, and a `half_applied` problem says so. Same keys, so exactly once still holds.
 */
export function planCompletion(db: Db, customerKey: string, keys: string[], detail: string): void {
  db.transaction(() => {
    const at = now();
    const stmt = statement(db, "UPDATE events SET status = 'planned', last_error = ?, updated_at = ? WHERE key = ? AND status = 'rejected'");
    for (const k of keys) {
      stmt.run(`completing: ${detail}`.slice(0, 600), at, k);
      recordProblem(db, { customerKey, eventKey: k, kind: HALF_APPLIED_PROBLEM, detail });
    }
    refreshCustomerState(db, customerKey);
  })();
}

/**
 * Rivo refused the completing debit again: the customer stays `rejected` (never resent by the loader), with the
 * surplus in the reason and an `over_target` problem, so status and the reports name what to revoke by hand.
 */
export function holdOverTarget(db: Db, customerKey: string, keys: string[], detail: string): void {
  db.transaction(() => {
    const at = now();
    const stmt = statement(db, "UPDATE events SET last_error = ?, updated_at = ? WHERE key = ? AND status = 'rejected'");
    for (const k of keys) {
      stmt.run(detail.slice(0, 600), at, k);
      recordProblemOnce(db, { customerKey, eventKey: k, kind: OVER_TARGET_PROBLEM, detail });
    }
    refreshCustomerState(db, customerKey);
  })();
}

/** `retry`: rejected events go back to planned; the customer's state follows. */
export function replanRejected(db: Db, customerKey: string): number {
  return db.transaction(() => {
    const n = statement(db, "UPDATE events SET status = 'planned', updated_at = ? WHERE customer_key = ? AND status = 'rejected'").run(now(), customerKey).changes;
    refreshCustomerState(db, customerKey);
    return n;
  })();
}

/** After a crash, anything left in flight may or may not have reached Rivo. */
export function inFlightToUncertain(db: Db): number {
  return statement(db, "UPDATE events SET status = 'uncertain', last_error = coalesce(last_error, 'interrupted while in flight'), updated_at = ? WHERE status = 'in_flight'").run(now()).changes;
}

function customerOf(db: Db, key: string): string {
  const c = pluckStatement(db, 'SELECT customer_key FROM events WHERE key = ?').get(key) as string | undefined;
  if (!c) throw new Error(`unknown event ${key}`);
  return c;
}

/**
 * A customer's state follows from their events (for customers the planner matched): any rejected → rejected; any
 * planned, in flight or uncertain → pending; everything done (or nothing owed) → migrated / nothing_to_migrate.
 * One read (the state and what the events say, from the status index), and a write only when the state changes: the
 * loader refreshes after every outcome, and most outcomes leave a customer pending as it was.
 */
export function refreshCustomerState(db: Db, customerKey: string): void {
  const r = statement(
    db,
    `SELECT c.state, c.state_reason,
       EXISTS (SELECT 1 FROM events e WHERE e.status = 'rejected' AND e.customer_key = c.key) AS rejected,
       EXISTS (SELECT 1 FROM events e WHERE e.status IN ('planned','in_flight','uncertain') AND e.customer_key = c.key) AS open,
       EXISTS (SELECT 1 FROM events e WHERE e.status = 'done' AND e.customer_key = c.key) AS done
     FROM customers c WHERE c.key = ?`,
  ).get(customerKey) as { state: CustomerState; state_reason: string | null; rejected: number; open: number; done: number } | undefined;
  if (!r) return;
  let state: CustomerState;
  let reason: string | null;
  if (r.rejected) {
    const last = pluckStatement(db, "SELECT last_error FROM events WHERE customer_key = ? AND status = 'rejected' ORDER BY updated_at DESC LIMIT 1").get(customerKey) as string | null;
    state = 'rejected';
    reason = `Rivo refused: ${last ?? 'no reason given'}`;
  } else if (r.open) [state, reason] = ['pending', null];
  else if (r.done) [state, reason] = ['migrated', null];
  else [state, reason] = ['nothing_to_migrate', 'nothing owed'];
  if (r.state !== state || r.state_reason !== reason) setCustomerState(db, customerKey, state, reason);
}

/** A ledger row as the mapper folds it into "migrated so far" (see `foldEvents`). */
export function toLedgerEvent(r: EventRow): LedgerEvent {
  return {
    kind: r.kind,
    role: r.role,
    generation: r.generation,
    pointsAmount: r.points_amount,
    creditsCents: r.credits_cents,
    value: r.value,
    at: r.done_at ?? r.updated_at,
  };
}

/** The events that are, or may be, in Rivo for this customer: what every new plan is a delta against. */
export function postedEvents(db: Db, customerKey: string): LedgerEvent[] {
  return (
    statement(db, `SELECT * FROM events WHERE customer_key = ? AND status IN ('in_flight','uncertain','done') ORDER BY generation, created_at, key`)
      .all(customerKey) as EventRow[]
  ).map(toLedgerEvent);
}

/** The generation the next rollback of this customer carries (0, then 1 after a re-migration, …). */
export function nextRollbackGeneration(db: Db, customerKey: string): number {
  const g = pluckStatement(db, "SELECT max(generation) FROM events WHERE customer_key = ? AND role = 'rollback' AND status IN ('in_flight','uncertain','done')").get(customerKey) as number | null;
  return g === null ? 0 : g + 1;
}

export function eventsOf(db: Db, customerKey: string): EventRow[] {
  return statement(db, 'SELECT * FROM events WHERE customer_key = ? ORDER BY generation, created_at, key').all(customerKey) as EventRow[];
}

/** The prefix of `last_error` on a done event that read-back found more than once in Rivo. */
export const DUPLICATE_NOTE = 'DUPLICATE';

/** The `problems` kind of an event found more than once in Rivo (the verifier uses the same). */
export const DUPLICATE_PROBLEM = 'duplicate_event';

/**
 * Read-back found the event's key on more than one Rivo event: it is done (never resent), and the extra copies are
 * a problem the merchant must see. It is recorded twice over, in the same transaction: a `problems` row (status and
 * the reports count them by kind) and a note on the event (`last_error`, where `duplicateEvents` finds it; a done
 * event has no later transition to clear it).
 */
export function markDoneWithDuplicates(db: Db, found: { key: string; rivoEventIds: string[] }[]): void {
  db.transaction(() => {
    const at = now();
    const stmt = statement(
      db,
      "UPDATE events SET status = 'done', rivo_event_id = coalesce(?, rivo_event_id), last_error = ?, done_at = coalesce(done_at, ?), updated_at = ? WHERE key = ? AND status IN ('in_flight','uncertain','planned','done')",
    );
    const customers = new Set<string>();
    for (const f of found) {
      const row = statement(db, 'SELECT customer_key, points_amount, credits_cents FROM events WHERE key = ?').get(f.key) as
        | { customer_key: string; points_amount: number; credits_cents: number }
        | undefined;
      if (!row) throw new Error(`unknown event ${f.key}`);
      const extra = f.rivoEventIds.length - 1;
      const note = `${DUPLICATE_NOTE}: found ${f.rivoEventIds.length} times in Rivo (event ids ${f.rivoEventIds.join(', ')}); ${extra} extra to revoke by hand`;
      stmt.run(f.rivoEventIds[0] ?? null, note, at, at, f.key);
      const detail =
        `event [${f.key}] is in Rivo ${f.rivoEventIds.length} times (Rivo ids ${f.rivoEventIds.join(', ')}): ` +
        `${row.points_amount * extra} points and ${formatCents(row.credits_cents * extra)} credit too many; revoke the extra event in Rivo`;
      recordProblemOnce(db, { customerKey: row.customer_key, eventKey: f.key, kind: DUPLICATE_PROBLEM, detail });
      customers.add(row.customer_key);
    }
    for (const c of customers) refreshCustomerState(db, c);
  })();
}

/** Every event found more than once in Rivo: status and the reports list them. */
export function duplicateEvents(db: Db): Pick<EventRow, 'key' | 'customer_key' | 'rivo_id' | 'points_amount' | 'credits_cents' | 'last_error'>[] {
  return statement(db, `SELECT key, customer_key, rivo_id, points_amount, credits_cents, last_error FROM events WHERE status = 'done' AND last_error LIKE '${DUPLICATE_NOTE}:%' ORDER BY customer_key, key`)
    .all() as Pick<EventRow, 'key' | 'customer_key' | 'rivo_id' | 'points_amount' | 'credits_cents' | 'last_error'>[];
}

/**
 * Rollback's plan for one customer: the migration's events not yet sent are cancelled (they must never go out after
 * a rollback) and the compensating events are added. Unlike `replacePlan`, the customer's migration plan (hash,
 * notes) is kept: a rollback is not a new plan of the Yotpo values. Keys already planned are re-planned; a key
 * already done, in flight or uncertain is left alone and returned as `kept` (the caller settles before planning).
 */
export function planRollbackEvents(db: Db, customerKey: string, rivoId: string, events: PlannedEvent[]): { added: string[]; kept: { key: string; status: string }[] } {
  return db.transaction(() => {
    const unsettled = unsettledCount(db, customerKey);
    if (unsettled > 0) throw new UnsettledEventsError(`customer ${customerKey} has ${unsettled} unsettled events; settle them before planning a rollback`);
    const at = now();
    const keys = new Set(events.map((e) => e.key));
    const cancel = statement(db, "UPDATE events SET status = 'cancelled', updated_at = ? WHERE key = ? AND status = 'planned'");
    for (const k of pluckStatement(db, "SELECT key FROM events WHERE customer_key = ? AND status = 'planned'").all(customerKey) as string[])
      if (!keys.has(k)) cancel.run(at, k);
    const added: string[] = [];
    const kept: { key: string; status: string }[] = [];
    for (const e of events) {
      const existing = pluckStatement(db, 'SELECT status FROM events WHERE key = ?').get(e.key) as string | undefined;
      if (existing && existing !== 'cancelled' && existing !== 'planned') {
        kept.push({ key: e.key, status: existing });
        continue;
      }
      upsertPlanned(db, customerKey, rivoId, e, at);
      added.push(e.key);
    }
    refreshCustomerState(db, customerKey);
    return { added, kept };
  })();
}
