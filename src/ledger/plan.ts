import type { CustomerState } from '../domain.js';
import type { Db } from '../db/open.js';
import { hasPostedEvents, setCustomerState } from './customers.js';
import { unsettledAwardCount } from './awards.js';
import { unsettledCount } from './events.js';
import { statement } from './statements.js';

/**
 * Holds a customer out of the migration (unmatched, conflict, skipped): their not-yet-sent events are cancelled
 * so nothing goes out for them. Events already posted stay in the ledger as they are; for a customer with none,
 * the targets of an earlier plan are cleared too, since nothing is owed to them any more.
 */
export function holdCustomer(db: Db, key: string, state: Extract<CustomerState, 'unmatched' | 'conflict' | 'nothing_to_migrate' | 'invalid'>, reason: string): void {
  db.transaction(() => {
    statement(db, "UPDATE events SET status = 'cancelled', updated_at = ? WHERE customer_key = ? AND status = 'planned'").run(new Date().toISOString(), key);
    if (!hasPostedEvents(db, key))
      statement(
        db,
        `UPDATE customers SET target_points = NULL, target_lifetime = NULL, target_credits = NULL, predicted_points = NULL,
           predicted_lifetime = NULL, predicted_credits = NULL, predicted_tier = NULL, predicted_dob = NULL, planned_at = NULL WHERE key = ?`,
      ).run(key);
    // Held on these values: a later pass over changed customers need not decide again until they change.
    statement(db, 'UPDATE customers SET planned_hash = values_hash WHERE key = ?').run(key);
    setCustomerState(db, key, state, reason);
  })();
}

/** Points events or one-time action awards whose outcome is not known yet: the customer cannot be re-planned. */
export function hasUnsettledEvents(db: Db, key: string): boolean {
  return unsettledCount(db, key) > 0 || unsettledAwardCount(db, key) > 0;
}

/**
 * Nothing of any customer is, or may be, in Rivo: no event in flight, uncertain or done, no award in flight or
 * uncertain (a first plan, every dry run of a fresh DB). The planner reads it once, after its last await: the rest of
 * a pass is synchronous and the DB has one writer (the lock), so it holds for the whole pass. Then no record can
 * continue or collide with a migrated one, nobody has unsettled events, and every "migrated so far" is empty.
 */
export function nothingPostedYet(db: Db): boolean {
  return (
    !statement(db, "SELECT 1 FROM events WHERE status IN ('in_flight','uncertain','done') LIMIT 1").get() &&
    !statement(db, "SELECT 1 FROM awards WHERE status IN ('in_flight','uncertain') LIMIT 1").get()
  );
}
