import type { Db } from '../db/open.js';
import { storedLookup } from '../ledger/history.js';
import type { HistoryItemLike } from './actions.js';

/**
 * A customer's Yotpo history items as the history lookup stored them (ledger/history.ts; the lookup runs before each
 * plan pass when `mapping.history` is on or one-time actions are mapped). Read one customer at a time. A customer
 * whose history was not found or not read has no known actions: nothing is awarded to them.
 */
export function historySource(db: Db): (customerKey: string) => HistoryItemLike[] {
  return (customerKey) => {
    const stored = storedLookup(db, customerKey);
    if (!stored || stored.status !== 'found') return [];
    return stored.items.map((i) => ({
      action: i.action,
      action_name: i.actionName,
      points: i.points,
      status: i.status,
      completed_at: i.completedAt,
      created_at: i.createdAt,
    }));
  };
}
