import type { Db } from '../db/open.js';
import { type Cell, FormattedNumber } from './csv-safe.js';
import { writeCsvFile } from './files.js';
import { makeRedactor, type Redactor } from './redact.js';

/** Columns of the ledger export: one row per event, with the customer it belongs to. */
export const LEDGER_COLUMNS = [
  'event_key', 'customer_seq', 'yotpo_key', 'email', 'third_party_id', 'customer_state', 'rivo_customer_id', 'kind', 'role', 'generation',
  'points', 'credit', 'value', 'status', 'attempts', 'rivo_event_id', 'batch_id', 'internal_note', 'external_note', 'last_error',
  'created_at', 'updated_at', 'done_at',
] as const;

interface LedgerRow {
  key: string; seq: number; customer_key: string; email: string | null; third_party_id: string | null; state: string; rivo_id: string;
  kind: string; role: string; generation: number; points_amount: number; credits_cents: number; value: string | null; status: string;
  attempts: number; rivo_event_id: string | null; batch_id: string | null; internal_note: string; external_note: string | null;
  last_error: string | null; created_at: string; updated_at: string; done_at: string | null;
}

/** Every event in customer order, read in chunks (keyset on seq, key): memory stays flat on a large ledger. */
function* ledgerRows(db: Db, r: Redactor, chunk = 2000): Generator<Cell[]> {
  const stmt = db.prepare(
    `SELECT e.key, c.seq, e.customer_key, c.email, c.third_party_id, c.state, e.rivo_id, e.kind, e.role, e.generation, e.points_amount,
            e.credits_cents, e.value, e.status, e.attempts, e.rivo_event_id, e.batch_id, e.internal_note, e.external_note, e.last_error,
            e.created_at, e.updated_at, e.done_at
     FROM events e JOIN customers c ON c.key = e.customer_key
     WHERE (c.seq, e.key) > (?, ?) ORDER BY c.seq, e.key LIMIT ?`,
  );
  let after: [number, string] = [0, ''];
  for (;;) {
    const rows = stmt.all(after[0], after[1], chunk) as LedgerRow[];
    if (!rows.length) return;
    for (const e of rows)
      yield [
        e.key, e.seq, r.text(e.customer_key), r.email(e.email), e.third_party_id, e.state, e.rivo_id, e.kind, e.role, e.generation,
        e.points_amount, FormattedNumber.cents(e.credits_cents), e.value, e.status, e.attempts, e.rivo_event_id, e.batch_id,
        e.internal_note, e.external_note, r.text(e.last_error), e.created_at, e.updated_at, e.done_at,
      ];
    const last = rows[rows.length - 1]!;
    after = [last.seq, last.key];
  }
}

/** Writes the ledger as CSV (owner-only, every text cell safe against formula injection). Returns the row count. */
export async function writeLedgerCsv(db: Db, path: string, redact: boolean): Promise<{ path: string; events: number }> {
  const events = db.prepare('SELECT count(*) FROM events').pluck().get() as number;
  await writeCsvFile(path, LEDGER_COLUMNS, ledgerRows(db, makeRedactor(redact)));
  return { path, events };
}
