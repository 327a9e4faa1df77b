import { join } from 'node:path';
import { getMeta, type Db } from '../db/open.js';
import { type Cell, FormattedNumber } from './csv-safe.js';
import { writeCsvFile, writeTextFile } from './files.js';
import { publishLatest, reportDirs, type ReportRun } from './runs.js';
import { writeReportHtml } from './html.js';
import { resolveNow, type ReportOptions } from './options.js';
import { makeRedactor, type Redactor } from './redact.js';
import { differingFields, type VerifyFields } from './rows.js';
import { computeVerifyTotals, type VerifyTotals } from './verify-totals.js';

export interface VerifyReportOptions extends ReportOptions {
  /** Defaults to the DB's own migration id. */
  migrationId?: string;
  /** Keep this run's files under `<out>/runs/<id>/` too (see runs.ts). */
  run?: ReportRun;
}

/** Columns of verify.csv, in order. Credit columns are decimals. */
export const VERIFY_COLUMNS = [
  'seq',
  'yotpo_key',
  'email',
  'first_name',
  'last_name',
  'rivo_id',
  'checked_at',
  'outcome',
  'differs',
  'points_expected',
  'points_actual',
  'lifetime_expected',
  'lifetime_actual',
  'credit_expected',
  'credit_actual',
  'tier_expected',
  'tier_actual',
  'dob_expected',
  'dob_actual',
  'keys_expected',
  'keys_found',
  'keys_duplicated',
  'detail',
] as const;

type VerifyCsvRow = VerifyFields & {
  seq: number;
  customer_key: string;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  rivo_id: string | null;
  checked_at: string;
  outcome: string;
  detail: string | null;
};

const cents = (v: number | null): Cell => (v === null ? null : FormattedNumber.cents(v));

/** One row per verified customer in `seq` order, read in chunks. */
function* verifyRows(db: Db, r: Redactor, chunk = 1000): Generator<Cell[]> {
  const stmt = db.prepare(
    `SELECT v.*, c.seq, c.email, c.first_name, c.last_name FROM verify_results v JOIN customers c ON c.key = v.customer_key
     WHERE c.seq > ? ORDER BY c.seq LIMIT ?`,
  );
  let after = 0;
  for (;;) {
    const rows = stmt.all(after, chunk) as VerifyCsvRow[];
    if (!rows.length) return;
    for (const v of rows)
      yield [
        v.seq,
        r.text(v.customer_key),
        r.email(v.email),
        r.name(v.first_name),
        r.name(v.last_name),
        v.rivo_id,
        v.checked_at,
        v.outcome,
        differingFields(v).join(', ') || null,
        v.points_expected,
        v.points_actual,
        v.lifetime_expected,
        v.lifetime_actual,
        cents(v.credits_expected),
        cents(v.credits_actual),
        v.tier_expected,
        v.tier_actual,
        v.dob_expected,
        v.dob_actual,
        v.keys_expected,
        v.keys_found,
        v.keys_duplicated,
        r.text(v.detail),
      ];
    after = rows[rows.length - 1]!.seq;
  }
}

/**
 * Writes `verify.csv` (one row per checked customer), `verify.json` (VerifyTotals) and re-renders `report.html`
 * with its verification section, each owner-only.
 */
export async function writeVerifyReport(opts: VerifyReportOptions): Promise<{ files: string[]; totals: VerifyTotals; runDir: string | null }> {
  const { db, redact } = opts;
  const migrationId = opts.migrationId ?? getMeta(db, 'migration_id') ?? 'unknown';
  const generatedAt = resolveNow(opts.now).toISOString();
  const { dir, latest } = reportDirs(opts.outDir, opts.run);
  const redactor = makeRedactor(redact);
  const csv = await writeCsvFile(join(dir, 'verify.csv'), VERIFY_COLUMNS, verifyRows(db, redactor));
  const html = await writeReportHtml(db, opts.outDir, { migrationId, generatedAt, redactor, run: opts.run });
  // The page's verification totals and verify.json come from the same computation.
  const totals = html.data.verify?.totals ?? computeVerifyTotals(db, { migrationId, generatedAt });
  const json = await writeTextFile(join(dir, 'verify.json'), `${JSON.stringify(totals, null, 2)}\n`);
  if (latest === null) return { files: [csv, json, html.path], totals, runDir: null };
  return { files: [publishLatest(csv, latest), publishLatest(json, latest), html.path], totals, runDir: dir };
}
