import type { Db } from '../db/open.js';
import { statement } from '../ledger/statements.js';
import type { HistoryItemLike } from './actions.js';

/**
 * Where a customer's Yotpo history items come from: the record as read (`customers.raw_json`), when Yotpo served it
 * with `history_items`. Read one customer at a time: nothing holds every history in memory.
 */
export function historySource(db: Db): (customerKey: string) => HistoryItemLike[] {
  const get = statement(db, 'SELECT raw_json FROM customers WHERE key = ?');
  return (customerKey) => {
    const row = get.get(customerKey) as { raw_json: string } | undefined;
    if (!row) return [];
    try {
      const items = (JSON.parse(row.raw_json) as { history_items?: unknown }).history_items;
      return Array.isArray(items) ? items.filter(isItem) : [];
    } catch {
      return [];
    }
  };
}

function isItem(v: unknown): v is HistoryItemLike {
  return v !== null && typeof v === 'object' && typeof (v as { action?: unknown }).action === 'string';
}
