import { join } from 'node:path';
import type { Db } from '../db/open.js';
import type { CustomerRow } from '../ledger/types.js';
import { type Cell, FormattedNumber } from './csv-safe.js';
import { writeCsvFile, writeTextFile } from './files.js';
import { publishLatest, reportDirs, type ReportRun } from './runs.js';
import { writeReportHtml } from './html.js';
import { resolveNow, type ReportOptions } from './options.js';
import { makeRedactor, type Redactor } from './redact.js';
import { reasonOf, yotpoBirthday } from './rows.js';
import { collectHistoryTotals } from './history.js';
import { actionsDescriber, collectAwardTotals } from '../awards/view.js';
import { computePlanTotals, type PlanTotals } from './totals.js';

export interface PlanReportOptions extends ReportOptions {
  migrationId: string;
  /** Keep this run's files under `<out>/runs/<id>/` too (see runs.ts). */
  run?: ReportRun;
  /**
   * Whether to render `report.html` (default true). `migrate` passes false when verify follows at once: verify renders
   * the page again with its section, and rendering it twice was a second of a 20,000-customer run's last seconds.
   */
  html?: boolean;
}

/** Columns of plan.csv, in order. Credit columns are decimals (cents / 100, two places). */
export const PLAN_COLUMNS = [
  'seq',
  'yotpo_key',
  'email',
  'third_party_id',
  'first_name',
  'last_name',
  'yotpo_points_balance',
  'yotpo_points_earned',
  'yotpo_credit',
  'yotpo_tier',
  'yotpo_birthday',
  'rivo_id',
  'rivo_points_before',
  'rivo_lifetime_before',
  'rivo_credit_before',
  'rivo_tier_before',
  'events_planned',
  'events_points',
  'events_credit',
  'target_points',
  'target_lifetime',
  'target_credit',
  'predicted_points',
  'predicted_lifetime',
  'predicted_credit',
  'predicted_tier',
  'predicted_dob',
  'state',
  'reason',
  // Appended (columns are a promise: existing ones keep their place). Yotpo's date as read, and the `expires_at`
  // the customer's live earn event carries (empty: none sent, see mapping.expiry).
  'yotpo_points_expire_at',
  'expires_at_sent',
  // mapping.history: `replayed (N events)`, `fallback: <reason>`, empty when history is off.
  'history_status',
  // One-time actions (mapping.oneTimeActions): awarded (+points counted), pending, not awarded and why, unmapped.
  'one_time_actions',
] as const;

const cents = (v: number | null): Cell => (v === null ? null : FormattedNumber.cents(v));

/** The customer columns plan.csv shows (not raw_json: a million of those would only slow the read). */
const CUSTOMER_COLUMNS = [
  'seq', 'key', 'email', 'third_party_id', 'first_name', 'last_name', 'points_balance', 'points_earned', 'credit_cents', 'tier_name',
  'birthday_month', 'birth_day', 'birthday_year', 'rivo_id', 'rivo_points_before', 'rivo_lifetime_before', 'rivo_credits_before',
  'rivo_tier_before', 'rivo_tier_name_before', 'target_points', 'target_lifetime', 'target_credits', 'predicted_points',
  'predicted_lifetime', 'predicted_credits', 'predicted_tier', 'predicted_dob', 'state', 'state_reason', 'plan_notes', 'points_expire_at', 'history_status',
] as const satisfies readonly (keyof CustomerRow)[];

type PlanRow = Pick<CustomerRow, (typeof CUSTOMER_COLUMNS)[number]> & { ev_count: number; ev_points: number; ev_credits: number; ev_expires: string | null };


/**
 * One CSV row per customer, in `seq` order, read in chunks by seq (keyset), each chunk one query with the customer's
 * event sums: memory holds one chunk, whatever the number of customers.
 */
export function* planRows(db: Db, r: Redactor, chunk = 1000): Generator<Cell[]> {
  const stmt = db.prepare(`SELECT ${CUSTOMER_COLUMNS.map((col) => `c.${col}`).join(', ')} FROM customers c WHERE c.seq > ? ORDER BY c.seq LIMIT ?`);
  // The chunk's event sums in one grouped pass over the events index, instead of four subqueries per customer; events
  // planned or sent only (cancelled ones were superseded and never left).
  const sums = db.prepare(
    `SELECT e.customer_key AS key, count(*) AS ev_count, coalesce(sum(e.points_amount), 0) AS ev_points,
       coalesce(sum(e.credits_cents), 0) AS ev_credits, max(e.expires_at) AS ev_expires
     FROM events e WHERE e.customer_key IN (SELECT key FROM customers WHERE seq > ? ORDER BY seq LIMIT ?) AND e.status <> 'cancelled'
     GROUP BY e.customer_key`,
  );
  const none = { ev_count: 0, ev_points: 0, ev_credits: 0, ev_expires: null };
  const actions = actionsDescriber(db);
  let after = 0;
  for (;;) {
    const customers = stmt.all(after, chunk) as Omit<PlanRow, keyof typeof none>[];
    if (!customers.length) return;
    const byKey = new Map((sums.all(after, chunk) as (typeof none & { key: string })[]).map((s) => [s.key, s]));
    const rows: PlanRow[] = customers.map((c) => ({ ...c, ...(byKey.get(c.key) ?? none) }));
    for (const c of rows)
      yield [
        c.seq,
        r.text(c.key),
        r.email(c.email),
        c.third_party_id,
        r.name(c.first_name),
        r.name(c.last_name),
        c.points_balance,
        c.points_earned,
        cents(c.credit_cents),
        c.tier_name,
        yotpoBirthday(c),
        c.rivo_id,
        c.rivo_points_before,
        c.rivo_lifetime_before,
        cents(c.rivo_credits_before),
        c.rivo_tier_name_before ?? c.rivo_tier_before,
        c.ev_count,
        c.ev_points,
        FormattedNumber.cents(c.ev_credits),
        c.target_points,
        c.target_lifetime,
        cents(c.target_credits),
        c.predicted_points,
        c.predicted_lifetime,
        cents(c.predicted_credits),
        c.predicted_tier,
        c.predicted_dob,
        c.state,
        r.text(reasonOf(c)),
        r.text(c.points_expire_at ?? null),
        c.ev_expires,
        r.text(c.history_status ?? null),
        r.text(actions(c.key) || null),
      ];
    after = rows[rows.length - 1]!.seq;
  }
}

/**
 * Writes `plan.csv` (one row per Yotpo customer), `plan.json` (PlanTotals) and `report.html` into `outDir`, each
 * owner-only. Returns the paths written and the totals.
 */
export async function writePlanReport(opts: PlanReportOptions): Promise<{ files: string[]; totals: PlanTotals; runDir: string | null }> {
  const { db, redact, migrationId } = opts;
  const generatedAt = resolveNow(opts.now).toISOString();
  const { dir, latest } = reportDirs(opts.outDir, opts.run);
  const redactor = makeRedactor(redact);
  // Without the page, the totals are counted before anything is awaited: a caller that goes on while the files are
  // written (migrate writes plan.csv while verify waits on Rivo) gets the ledger's totals as they were when it called,
  // whatever it writes meanwhile (verify's problems are counted in plan.json only by the next plan report).
  const counted = opts.html === false ? computePlanTotals(db, { migrationId, generatedAt }) : null;
  const history = collectHistoryTotals(db);
  const awards = collectAwardTotals(db);
  const csv = await writeCsvFile(join(dir, 'plan.csv'), PLAN_COLUMNS, planRows(db, redactor));
  const html = counted ? null : await writeReportHtml(db, opts.outDir, { migrationId, generatedAt, redactor, run: opts.run });
  const totals = html ? html.data.plan : counted!;
  const json = await writeTextFile(join(dir, 'plan.json'), `${JSON.stringify({ ...totals, ...(history ? { history } : {}), ...(awards ? { oneTimeActions: awards } : {}) }, null, 2)}\n`);
  const page = html ? [html.path] : [];
  if (latest === null) return { files: [csv, json, ...page], totals, runDir: null };
  return { files: [publishLatest(csv, latest), publishLatest(json, latest), ...page], totals, runDir: dir };
}
