import type { CustomerState } from '../domain.js';
import type { Db } from '../db/open.js';
import { setCustomerState } from './customers.js';

/**
 * Holds a customer out of the migration (unmatched, conflict, skipped): their not-yet-sent events are cancelled
 * so nothing goes out for them. Events already posted stay in the ledger as they are.
 */
export function holdCustomer(db: Db, key: string, state: Extract<CustomerState, 'unmatched' | 'conflict' | 'nothing_to_migrate'>, reason: string): void {
  db.transaction(() => {
    db.prepare("UPDATE events SET status = 'cancelled', updated_at = ? WHERE customer_key = ? AND status = 'planned'").run(new Date().toISOString(), key);
    setCustomerState(db, key, state, reason);
  })();
}

export function hasUnsettledEvents(db: Db, key: string): boolean {
  return !!db.prepare("SELECT 1 FROM events WHERE customer_key = ? AND status IN ('in_flight','uncertain') LIMIT 1").get(key);
}
