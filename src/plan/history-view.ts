import type { Config } from '../config/schema.js';
import type { Db } from '../db/open.js';
import { needsLookup, storedLookup } from '../ledger/history.js';
import type { CustomerRow } from '../ledger/types.js';
import { lookupScope } from '../history/lookup.js';
import type { HistoryInput } from '../mapper/history.js';

/**
 * The mapper's view of a customer's stored Yotpo history (mapping.history on, nothing posted yet). `wait`: the
 * customer needs a lookup that has not been made (the lookup stage was stopped): planning it now would plan it
 * without its history, so it waits. A customer the lookup stage leaves out (the skip rules will skip it) gets
 * `missing`, which the mapper never reaches for a skipped customer.
 */
export function historyInputOf(db: Db, config: Config, maxSeq: number, row: CustomerRow): HistoryInput | 'wait' {
  const stored = storedLookup(db, row.key);
  if (stored && stored.valuesHash === row.values_hash && stored.status !== 'failed') return { status: stored.status, reason: stored.reason, items: stored.items };
  if (needsLookup(db, lookupScope(config, maxSeq), row.key) && stored?.status !== 'failed') return 'wait';
  // A lookup that failed this run is replayed as a fallback now (the reason is in the plan) and tried again next run.
  if (stored?.status === 'failed') return { status: 'failed', reason: stored.reason, items: [] };
  return { status: 'missing', reason: null, items: [] };
}
