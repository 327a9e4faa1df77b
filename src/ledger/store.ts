import type { Db } from '../db/open.js';
import { pluckStatement, statement } from './statements.js';

/**
 * What a migration DB knows of the Rivo store it writes to (table `store_identity`). The store is chosen by the API
 * key, a secret never stored (not even hashed), so the DB records the base URLs and *what it has done there*: a row
 * means "this DB may write to the Rivo store at this URL without scanning it first".
 */

export type StoreCheck = 'scan' | 'history' | 'adopt';

export interface StoreRow {
  rivo_base_url: string;
  yotpo_base_url: string | null;
  checked_at: string;
  how: StoreCheck;
  scan_requests: number;
  scan_events: number;
}

export function storeRow(db: Db, rivoBaseUrl: string): StoreRow | undefined {
  return statement(db, 'SELECT * FROM store_identity WHERE rivo_base_url = ?').get(normalizeUrl(rivoBaseUrl)) as StoreRow | undefined;
}

export function recordStore(db: Db, row: { rivoBaseUrl: string; yotpoBaseUrl: string | null; how: StoreCheck; scanRequests?: number; scanEvents?: number }): void {
  statement(
    db,
    `INSERT INTO store_identity (rivo_base_url, yotpo_base_url, checked_at, how, scan_requests, scan_events) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(rivo_base_url) DO UPDATE SET yotpo_base_url = excluded.yotpo_base_url, checked_at = excluded.checked_at, how = excluded.how,
       scan_requests = excluded.scan_requests, scan_events = excluded.scan_events`,
  ).run(normalizeUrl(row.rivoBaseUrl), row.yotpoBaseUrl, new Date().toISOString(), row.how, row.scanRequests ?? 0, row.scanEvents ?? 0);
}

/** Events this DB sent, or may have sent: a DB with any has written to Rivo before (a DB of an older version included). */
export function sentEventCount(db: Db): number {
  return pluckStatement(db, "SELECT count(*) FROM events WHERE status IN ('in_flight','uncertain','done')").get() as number;
}

/** The same store whatever the spelling: no trailing slash, lower-case scheme and host. */
export function normalizeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`.toLowerCase();
  } catch {
    return url.replace(/\/+$/, '');
  }
}
