import type { Db } from '../db/open.js';
import type { RivoCustomerSnapshot } from '../domain.js';
import { recordProblemOnce } from '../ledger/customers.js';
import { pluckStatement, statement } from '../ledger/statements.js';
import type { EventRow, VerifyResultRow } from '../ledger/types.js';
import { forEachRivoPage, storeRivoCustomers } from '../plan/rivo-index.js';
import type { RivoApi } from '../rivo/api.js';
import type { PendingProblem, VerifyProgress } from './rules.js';

/**
 * What verify reads from and writes to the migration DB. No rule lives here except the one that picks the customers
 * to verify (`ELIGIBLE_SQL`), which is SQL only: the verifier asks it per chunk of customers rather than restating it.
 */

/**
 * Verified: a customer with a Rivo id and either a done event or the state migrated / nothing_to_migrate (there is
 * something in Rivo to compare).
 */
const ELIGIBLE_SQL = `c.rivo_id IS NOT NULL AND (c.state IN ('migrated','nothing_to_migrate')
  OR EXISTS (SELECT 1 FROM events e WHERE e.customer_key = c.key AND e.status = 'done'))`;

export interface VerifyData {
  /** Customers in the window whose Rivo values are read (eligible, and with nothing still in the air). */
  toRead(limitSeq: number): number;
  inWindow(limitSeq: number): number;
  /**
   * What the customer loop needs of the customers with seq in [fromSeq, toSeq] (one chunk of the window, read in seq
   * order), in one query each instead of one per customer: their events, each customer's by done_at, generation,
   * created_at and key, and which of them are eligible.
   */
  chunk(fromSeq: number, toSeq: number): { eventsOf: (customerKey: string) => EventRow[]; eligible: (customerKey: string) => boolean };
  tierNames(): Map<string, string>;
  /** Upserts a customer's row and records its problems once (`recordProblemOnce`). */
  write(result: VerifyResultRow, problems: readonly PendingProblem[]): void;
  /** A customer verification no longer looks at loses its old row. */
  remove(customerKey: string): void;
  transaction(fn: () => void): void;
}

export function verifyData(db: Db): VerifyData {
  const upsert = statement(db, UPSERT_SQL);
  const eligibleIn = pluckStatement(db, `SELECT c.key FROM customers c WHERE c.seq BETWEEN ? AND ? AND ${ELIGIBLE_SQL}`);
  const eventsIn = statement(
    db,
    `SELECT e.* FROM customers c JOIN events e ON e.customer_key = c.key WHERE c.seq BETWEEN ? AND ?
       ORDER BY e.customer_key, e.done_at, e.generation, e.created_at, e.key`,
  );
  return {
    toRead: (limitSeq) =>
      pluckStatement(
        db,
        `SELECT count(*) FROM customers c WHERE c.seq <= ? AND ${ELIGIBLE_SQL}
           AND NOT EXISTS (SELECT 1 FROM events u WHERE u.customer_key = c.key AND u.status IN ('planned','in_flight','uncertain'))`,
      ).get(limitSeq) as number,
    inWindow: (limitSeq) => pluckStatement(db, 'SELECT count(*) FROM customers WHERE seq <= ?').get(limitSeq) as number,
    chunk: (fromSeq, toSeq) => {
      const eligible = new Set(eligibleIn.all(fromSeq, toSeq) as string[]);
      const events = new Map<string, EventRow[]>();
      for (const e of eventsIn.all(fromSeq, toSeq) as EventRow[]) {
        const list = events.get(e.customer_key);
        if (list) list.push(e);
        else events.set(e.customer_key, [e]);
      }
      return { eventsOf: (key) => events.get(key) ?? [], eligible: (key) => eligible.has(key) };
    },
    tierNames: () =>
      new Map((statement(db, 'SELECT id, name FROM rivo_tiers').all() as { id: string; name: string }[]).map((t) => [t.id, t.name])),
    write: (result, problems) => {
      upsert.run(result);
      for (const p of problems) recordProblemOnce(db, p);
    },
    remove: (key) => statement(db, 'DELETE FROM verify_results WHERE customer_key = ?').run(key),
    transaction: (fn) => db.transaction(fn)(),
  };
}


/**
 * Pages through Rivo's customers, storing the ones to verify in the planner's Rivo index. Stops as soon as every
 * customer to check was seen, or when the pages read reach the number still unseen (one GET each is then cheaper).
 */
export async function readRivoList(db: Db, rivo: RivoApi, limitSeq: number, toRead: number, progress: (p: VerifyProgress) => void): Promise<void> {
  const wanted = pluckStatement(db, `SELECT 1 FROM customers c WHERE c.rivo_id = ? AND c.seq <= ? AND ${ELIGIBLE_SQL} LIMIT 1`);
  let listed = 0;
  let found = 0;
  let pages = 0;
  await forEachRivoPage(
    db,
    rivo,
    (page) => {
      const mine = page.filter((c) => wanted.get(String(c.id), limitSeq));
      storeRivoCustomers(db, mine);
      listed += page.length;
      found += mine.length;
      pages++;
      progress({ phase: 'list', done: listed, total: null });
      return found >= toRead || pages >= toRead - found;
    },
    () => {
      listed = found = pages = 0;
    },
  );
  progress({ phase: 'list', done: listed, total: listed });
}

export function* chunks<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let buf: T[] = [];
  for (const item of items) {
    buf.push(item);
    if (buf.length >= size) {
      yield buf;
      buf = [];
    }
  }
  if (buf.length) yield buf;
}

const UPSERT_SQL = `INSERT INTO verify_results (customer_key, rivo_id, checked_at, outcome, points_expected, points_actual, lifetime_expected,
    lifetime_actual, credits_expected, credits_actual, tier_expected, tier_actual, dob_expected, dob_actual, keys_expected, keys_found,
    keys_duplicated, detail)
  VALUES (@customer_key, @rivo_id, @checked_at, @outcome, @points_expected, @points_actual, @lifetime_expected, @lifetime_actual,
    @credits_expected, @credits_actual, @tier_expected, @tier_actual, @dob_expected, @dob_actual, @keys_expected, @keys_found,
    @keys_duplicated, @detail)
  ON CONFLICT(customer_key) DO UPDATE SET rivo_id = excluded.rivo_id, checked_at = excluded.checked_at, outcome = excluded.outcome,
    points_expected = excluded.points_expected, points_actual = excluded.points_actual, lifetime_expected = excluded.lifetime_expected,
    lifetime_actual = excluded.lifetime_actual, credits_expected = excluded.credits_expected, credits_actual = excluded.credits_actual,
    tier_expected = excluded.tier_expected, tier_actual = excluded.tier_actual, dob_expected = excluded.dob_expected,
    dob_actual = excluded.dob_actual, keys_expected = excluded.keys_expected, keys_found = excluded.keys_found,
    keys_duplicated = excluded.keys_duplicated, detail = excluded.detail`;
