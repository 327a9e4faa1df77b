import type { Db } from '../db/open.js';
import { setCustomerState } from './customers.js';
import { refreshCustomerState } from './events.js';
import { pluckStatement, statement } from './statements.js';

export const CANCELLED_BY_ROLLBACK = 'cancelled by rollback: never sent';

/**
 * Rollback: every migration write still planned (never sent) for customers in the window is cancelled, so nothing
 * the rolled-back migration owed can go out later. Customers with nothing in Rivo end as `nothing_to_migrate` with a
 * reason that says why; the others keep the state their remaining events give them. Returns what was cancelled.
 */
export function cancelUnsentMigrationEvents(db: Db, maxSeq: number): { events: number; customers: number } {
  return db.transaction(() => {
    const at = new Date().toISOString();
    const customers = pluckStatement(
      db,
      `SELECT DISTINCT e.customer_key FROM events e JOIN customers c ON c.key = e.customer_key
       WHERE e.status = 'planned' AND e.role != 'rollback' AND c.seq <= ?`,
    ).all(maxSeq) as string[];
    let events = 0;
    const cancel = statement(
      db,
      "UPDATE events SET status = 'cancelled', last_error = ?, updated_at = ? WHERE customer_key = ? AND status = 'planned' AND role != 'rollback'",
    );
    const posted = pluckStatement(db, "SELECT count(*) FROM events WHERE customer_key = ? AND status IN ('in_flight','uncertain','done')");
    for (const key of customers) {
      events += cancel.run(CANCELLED_BY_ROLLBACK, at, key).changes;
      refreshCustomerState(db, key);
      if ((posted.get(key) as number) === 0) setCustomerState(db, key, 'nothing_to_migrate', 'the migration was rolled back before anything was sent for this customer');
    }
    return { events, customers: customers.length };
  })();
}
