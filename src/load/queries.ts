import type { Db } from '../db/open.js';
import type { EventRow } from '../ledger/types.js';
import { pluckStatement, statement } from '../ledger/statements.js';

/**
 * What the loader reads from the ledger. Reads only: every status change goes through `ledger/events.ts`.
 *
 * A scope is the slice of the ledger one run works on: customers up to `maxSeq` (pilot runs), and for `rollback`
 * only the compensating events. `customerStates` limits who may be sent to (load sends to `pending` customers only:
 * a rejected, invalid or held customer needs the merchant first).
 */
export interface Scope {
  maxSeq: number;
  /** `rollback`: only events with role `rollback` are sent. */
  roles: 'all' | 'rollback';
  customerStates: readonly string[] | 'any';
}

const roleSql = (scope: Scope, alias = 'e') => (scope.roles === 'rollback' ? ` AND ${alias}.role = 'rollback'` : '');
const stateSql = (scope: Scope) =>
  scope.customerStates === 'any' ? '' : ` AND c.state IN (${scope.customerStates.map((s) => `'${s.replace(/'/g, "''")}'`).join(',')})`;

export interface SendableCustomer {
  key: string;
  seq: number;
}

/**
 * Customers with something planned in scope and nothing unsettled (an uncertain write is settled before anything of
 * that customer is sent again), and no refused write in scope (a refused customer waits for `retry`).
 */
export function sendableCustomers(db: Db, scope: Scope, afterSeq: number, limit: number): SendableCustomer[] {
  return statement(
      db,
      `SELECT c.key, c.seq FROM customers c
       WHERE c.seq > ? AND c.seq <= ?${stateSql(scope)}
         AND EXISTS (SELECT 1 FROM events e WHERE e.customer_key = c.key AND e.status = 'planned'${roleSql(scope)})
         AND NOT EXISTS (SELECT 1 FROM events e WHERE e.customer_key = c.key AND e.status IN ('in_flight','uncertain'))
         AND NOT EXISTS (SELECT 1 FROM events e WHERE e.customer_key = c.key AND e.status = 'rejected'${roleSql(scope)})
       ORDER BY c.seq LIMIT ?`,
    )
    .all(afterSeq, scope.maxSeq, limit) as SendableCustomer[];
}

/** The test of `sendableCustomers` for one customer. */
export function isSendable(db: Db, scope: Scope, customerKey: string): boolean {
  return !!statement(
    db,
    `SELECT 1 FROM customers c
     WHERE c.key = ? AND c.seq <= ?${stateSql(scope)}
       AND EXISTS (SELECT 1 FROM events e WHERE e.customer_key = c.key AND e.status = 'planned'${roleSql(scope)})
       AND NOT EXISTS (SELECT 1 FROM events e WHERE e.customer_key = c.key AND e.status IN ('in_flight','uncertain'))
       AND NOT EXISTS (SELECT 1 FROM events e WHERE e.customer_key = c.key AND e.status = 'rejected'${roleSql(scope)})`,
  ).get(customerKey, scope.maxSeq);
}

/**
 * A customer's planned events in scope, in sending order: additions before subtractions (Rivo may refuse to take a
 * balance below zero, so `earned` goes before `spent`), then by generation and key. Sorted here rather than by an
 * ORDER BY: SQLite's sorter for a handful of rows cost as much as reading them (~30 µs a call, twice per customer).
 */
export function plannedEvents(db: Db, scope: Scope, customerKey: string): EventRow[] {
  const rows = statement(db, `SELECT * FROM events e WHERE e.customer_key = ? AND e.status = 'planned'${roleSql(scope)}`).all(customerKey) as EventRow[];
  return rows.length > 1 ? rows.sort(inSendingOrder) : rows;
}

const isDebitRow = (e: EventRow) => (e.points_amount < 0 || e.credits_cents < 0 ? 1 : 0);

/** The order of `plannedEvents`: `(points_amount < 0 OR credits_cents < 0), generation, key`, keys as SQLite's BINARY. */
export function inSendingOrder(a: EventRow, b: EventRow): number {
  return isDebitRow(a) - isDebitRow(b) || a.generation - b.generation || binaryCompare(a.key, b.key);
}

/** SQLite's BINARY collation (UTF-8 bytes); JS's `<` compares UTF-16 units, which agrees only on ASCII. */
function binaryCompare(a: string, b: string): number {
  if (/^[\x00-\x7f]*$/.test(a) && /^[\x00-\x7f]*$/.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Whether the customer is still in scope and its open events (planned, in flight, uncertain or refused, of any role)
 * are exactly `keys`, all still planned: then those are what `isSendable`, `pointsSettledDone` and `plannedEvents`
 * together would give to send next (nothing else open, no points event left). One light query instead of those three.
 */
export function onlyPlanned(db: Db, scope: Scope, customerKey: string, keys: readonly string[]): boolean {
  const rows = statement(
    db,
    `SELECT c.seq, c.state, e.key, e.status FROM customers c
     LEFT JOIN events e ON e.customer_key = c.key AND e.status IN ('planned','in_flight','uncertain','rejected')
     WHERE c.key = ?`,
  ).all(customerKey) as { seq: number; state: string; key: string | null; status: string | null }[];
  const c = rows[0];
  if (!c || c.seq > scope.maxSeq) return false;
  if (scope.customerStates !== 'any' && !scope.customerStates.includes(c.state)) return false;
  const open = rows.filter((r) => r.key !== null);
  if (open.length !== keys.length) return false;
  const wanted = new Set(keys);
  return wanted.size === keys.length && open.every((r) => r.status === 'planned' && wanted.has(r.key!));
}

/** Whether the customer's points (in scope) are all in Rivo, so tier and birthday updates may follow. */
export function pointsSettledDone(db: Db, customerKey: string, scope: Scope): boolean {
  return !statement(db, `SELECT 1 FROM events e WHERE e.customer_key = ? AND e.kind = 'points' AND e.status IN ('planned','in_flight','uncertain','rejected')${roleSql(scope)} LIMIT 1`)
    .get(customerKey);
}

/** Customers (in the seq window) with writes whose outcome is not known. */
export function uncertainCustomers(db: Db, maxSeq: number, only?: ReadonlySet<string>): string[] {
  const keys = pluckStatement(
      db,
      `SELECT DISTINCT e.customer_key FROM events e JOIN customers c ON c.key = e.customer_key
       WHERE e.status IN ('uncertain','in_flight') AND c.seq <= ? ORDER BY c.seq`,
    )
    .all(maxSeq) as string[];
  return only ? keys.filter((k) => only.has(k)) : keys;
}

/** Whether any write of this run (request ids `<runId>-…`) is still in flight or uncertain. */
export function unsettledOfRun(db: Db, runId: string): boolean {
  return !!statement(db, "SELECT 1 FROM events WHERE status IN ('in_flight','uncertain') AND batch_id LIKE ? ESCAPE '\\' LIMIT 1").get(
    `${runId.replace(/[\\%_]/g, '\\$&')}-%`,
  );
}

export function uncertainEventsOf(db: Db, customerKey: string): EventRow[] {
  return statement(db, "SELECT * FROM events WHERE customer_key = ? AND status = 'uncertain' ORDER BY key").all(customerKey) as EventRow[];
}

export interface ScopeCounts {
  eventsTotal: number;
  eventsDone: number;
  eventsPlanned: number;
  eventsUncertain: number;
  eventsRejected: number;
  pointsPlannedEvents: number;
  updatesPlanned: number;
  customersTotal: number;
  customersDone: number;
}

/**
 * Progress and summary numbers for a scope (cancelled events are not part of any total). One pass over the scope's
 * events, grouped by customer: the event counts are sums of the customers' (two queries, one per level, cost twice
 * the time with the event loop, and so the rate gate, waiting).
 */
export function scopeCounts(db: Db, scope: Scope): ScopeCounts {
  return statement(
    db,
    `SELECT count(*) AS customersTotal, coalesce(sum(total = done), 0) AS customersDone,
         coalesce(sum(total), 0) AS eventsTotal, coalesce(sum(done), 0) AS eventsDone, coalesce(sum(planned), 0) AS eventsPlanned,
         coalesce(sum(uncertain), 0) AS eventsUncertain, coalesce(sum(rejected), 0) AS eventsRejected,
         coalesce(sum(pointsPlanned), 0) AS pointsPlannedEvents, coalesce(sum(planned - pointsPlanned), 0) AS updatesPlanned
       FROM (
         SELECT count(*) AS total,
           sum(e.status = 'done') AS done,
           sum(e.status = 'planned') AS planned,
           sum(e.status IN ('uncertain','in_flight')) AS uncertain,
           sum(e.status = 'rejected') AS rejected,
           sum(e.status = 'planned' AND e.kind = 'points') AS pointsPlanned
         FROM events e JOIN customers c ON c.key = e.customer_key
         WHERE c.seq <= ? AND e.status != 'cancelled'${roleSql(scope)}
         GROUP BY e.customer_key)`,
  ).get(scope.maxSeq) as ScopeCounts;
}

/**
 * The counts that change while a load runs, for the whole ledger (no pilot window, every role): events by open status
 * and the customers with an open event. Range scans of the `events_status` index, so their cost follows what is still
 * open rather than the ledger's size (at 20,000 customers `scopeCounts` took ~360 ms, during which the rate gate
 * could start nothing). Null for a windowed or rollback scope, which `scopeCounts` serves.
 */
export function openCounts(db: Db, scope: Scope): { planned: number; inFlight: number; uncertain: number; rejected: number; pointsPlanned: number; customersOpen: number } | null {
  if (scope.roles !== 'all' || scope.maxSeq < Number.MAX_SAFE_INTEGER) return null;
  const by = new Map(
    (statement(db, "SELECT status, count(*) AS n FROM events WHERE status IN ('planned','in_flight','uncertain','rejected') GROUP BY status").all() as { status: string; n: number }[]).map(
      (r) => [r.status, r.n],
    ),
  );
  return {
    planned: by.get('planned') ?? 0,
    inFlight: by.get('in_flight') ?? 0,
    uncertain: by.get('uncertain') ?? 0,
    rejected: by.get('rejected') ?? 0,
    pointsPlanned: pluckStatement(db, "SELECT count(*) FROM events WHERE status = 'planned' AND kind = 'points'").get() as number,
    customersOpen: pluckStatement(db, "SELECT count(DISTINCT customer_key) FROM events WHERE status IN ('planned','in_flight','uncertain','rejected')").get() as number,
  };
}

export interface OpenEvent {
  customer_key: string;
  key: string;
  status: string;
  last_error: string | null;
}

/**
 * Events in scope still owed: anything unsettled (whoever the customer), and anything planned for a customer the run
 * may send to. Planned events of a rejected or held customer are not "pending": that customer needs attention.
 */
export function openEvents(db: Db, scope: Scope, limit: number): OpenEvent[] {
  return statement(
      db,
      `SELECT e.customer_key, e.key, e.status, e.last_error FROM events e JOIN customers c ON c.key = e.customer_key
       WHERE c.seq <= ?${roleSql(scope)}
         AND (e.status IN ('in_flight','uncertain') OR (e.status = 'planned'${stateSql(scope)}))
       ORDER BY c.seq, e.key LIMIT ?`,
    )
    .all(scope.maxSeq, limit) as OpenEvent[];
}

export function countOpenEvents(db: Db, scope: Scope): number {
  return pluckStatement(
      db,
      `SELECT count(*) FROM events e JOIN customers c ON c.key = e.customer_key
       WHERE c.seq <= ?${roleSql(scope)}
         AND (e.status IN ('in_flight','uncertain') OR (e.status = 'planned'${stateSql(scope)}))`,
    )
    .get(scope.maxSeq) as number;
}

export function rejectedEvents(db: Db, scope: Scope, limit: number): OpenEvent[] {
  return statement(
      db,
      `SELECT e.customer_key, e.key, e.status, e.last_error FROM events e JOIN customers c ON c.key = e.customer_key
       WHERE c.seq <= ? AND e.status = 'rejected'${roleSql(scope)} ORDER BY c.seq, e.key LIMIT ?`,
    )
    .all(scope.maxSeq, limit) as OpenEvent[];
}

/** Customer counts per state in the seq window. */
export function statesInWindow(db: Db, maxSeq: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of statement(db, 'SELECT state, count(*) AS n FROM customers WHERE seq <= ? GROUP BY state').all(maxSeq) as { state: string; n: number }[])
    out[r.state] = r.n;
  return out;
}

/** Pending customers in the window with no events to send at all: `plan` has not covered them yet. */
export function unplannedPending(db: Db, maxSeq: number): number {
  return pluckStatement(
      db,
      `SELECT count(*) FROM customers c WHERE c.seq <= ? AND c.state = 'pending'
         AND NOT EXISTS (SELECT 1 FROM events e WHERE e.customer_key = c.key AND e.status IN ('planned','in_flight','uncertain'))`,
    )
    .get(maxSeq) as number;
}

/** Points and credit sums per status group, for the summary. */
export function amountsInScope(db: Db, scope: Scope): { donePoints: number; doneCreditsCents: number; openPoints: number; openCreditsCents: number } {
  const r = statement(
      db,
      `SELECT
         coalesce(sum(CASE WHEN e.status = 'done' THEN e.points_amount END), 0) AS donePoints,
         coalesce(sum(CASE WHEN e.status = 'done' THEN e.credits_cents END), 0) AS doneCreditsCents,
         coalesce(sum(CASE WHEN e.status IN ('planned','in_flight','uncertain') THEN e.points_amount END), 0) AS openPoints,
         coalesce(sum(CASE WHEN e.status IN ('planned','in_flight','uncertain') THEN e.credits_cents END), 0) AS openCreditsCents
       FROM events e JOIN customers c ON c.key = e.customer_key
       WHERE c.seq <= ? AND e.kind = 'points'${roleSql(scope)}`,
    )
    .get(scope.maxSeq) as { donePoints: number; doneCreditsCents: number; openPoints: number; openCreditsCents: number };
  return r;
}

/**
 * Keys of the customer's points events this tool already confirmed in Rivo (done) under this Rivo id. An earning
 * rule's award (role `award`) is booked by Rivo under a note of its own, without our key: it is not among them.
 */
export function confirmedKeysOf(db: Db, customerKey: string, rivoId: string): string[] {
  return pluckStatement(db, "SELECT key FROM events WHERE customer_key = ? AND rivo_id = ? AND kind = 'points' AND status = 'done' AND role <> 'award' ORDER BY key").all(
    customerKey,
    rivoId,
  ) as string[];
}

/** The customer's points events in scope that are part of a plan (not cancelled), whatever their status. */
export function pointsEventsOf(db: Db, scope: Scope, customerKey: string): EventRow[] {
  return statement(db, `SELECT * FROM events e WHERE e.customer_key = ? AND e.kind = 'points' AND e.status != 'cancelled'${roleSql(scope)} ORDER BY e.generation, e.key`).all(
    customerKey,
  ) as EventRow[];
}
