import type { Db } from '../db/open.js';
import { ATTENTION_STATES, type CustomerState } from '../domain.js';
import { preflightItems, type ChecklistItem } from '../preflight/checklist.js';
import { collectExpiryTotals, type ExpiryTotals } from './expiry.js';
import { collectHistorySection, type HistorySectionData } from './history.js';
import { collectAwardTotals, type AwardTotals } from '../awards/view.js';
import { collectPilotSection, type PilotSectionData } from './pilot.js';
import type { Redactor } from './redact.js';
import { reasonOf, type VerifyFields } from './rows.js';
import { computePlanTotals, type PlanTotals } from './totals.js';
import { computeVerifyTotals, type VerifyTotals } from './verify-totals.js';

/**
 * What report.html shows, read from the DB: aggregates and capped lists as typed rows, redacted where the report is.
 * No markup here (`html.ts` presents it); a new section adds a field to `ReportData` and a query below.
 */

/** How many rows each list in the page shows; the rest are in the CSV files. */
export const HTML_LIST_LIMIT = 500;

export interface AttentionRow {
  seq: number;
  email: string | null;
  name: string | null;
  pointsBalance: number | null;
  creditCents: number | null;
  state: CustomerState;
  reason: string | null;
}

export interface ProblemRow {
  at: string;
  kind: string;
  customer: string | null;
  eventKey: string | null;
  detail: string;
}

export interface VerifyRowView extends VerifyFields {
  seq: number;
  email: string | null;
  name: string | null;
  outcome: string;
  detail: string | null;
}

export interface Bucket {
  label: string;
  customers: number;
  points: number;
}

/** Everything the page shows, gathered from the DB with aggregates and capped lists. */
export interface ReportData {
  plan: PlanTotals;
  redacted: boolean;
  attention: { rows: AttentionRow[]; total: number };
  balances: Bucket[];
  tiers: Bucket[];
  problems: { rows: ProblemRow[]; total: number };
  /** Present once verification wrote results. */
  verify: { totals: VerifyTotals; rows: VerifyRowView[]; total: number } | null;
  /** What `pilot` measured about this store's Rivo (absent in data built before the pilot existed). */
  pilot?: PilotSectionData | null;
  /** What to pause before the first write (every item: a report does not know which run it prepares). */
  checklist: ChecklistItem[];
  /** Yotpo expiry dates and the `expires_at` carried (absent in data built before expiry existed). */
  expiry?: ExpiryTotals;
  /** mapping.history: lookups, replayed and fallback customers (absent or null when history was never on). */
  history?: HistorySectionData | null;
  /** One-time action awards (absent when none were mapped or made). */
  oneTimeActions?: AwardTotals;
}

/** Yotpo balance buckets for the histogram (log-ish). */
export const BALANCE_BUCKETS: readonly { label: string; min: number; max: number | null }[] = [
  { label: '0', min: 0, max: 0 },
  { label: '1–99', min: 1, max: 99 },
  { label: '100–499', min: 100, max: 499 },
  { label: '500–999', min: 500, max: 999 },
  { label: '1k–5k', min: 1000, max: 4999 },
  { label: '5k–50k', min: 5000, max: 49_999 },
  { label: '>50k', min: 50_000, max: null },
];
const UNPARSEABLE_BUCKET = 'unparseable';

const fullName = (first: string | null, last: string | null) => [first, last].filter((p): p is string => !!p && p.trim() !== '').join(' ') || null;

export function collectReportData(db: Db, opts: { migrationId: string; generatedAt: string; redactor: Redactor }): ReportData {
  const r = opts.redactor;
  const plan = computePlanTotals(db, { migrationId: opts.migrationId, generatedAt: opts.generatedAt });

  const attentionIn = ATTENTION_STATES.map((s) => `'${s}'`).join(',');
  const attentionRows = (
    db
      .prepare(
        `SELECT seq, email, first_name, last_name, points_balance, credit_cents, state, state_reason, plan_notes
         FROM customers WHERE state IN (${attentionIn}) ORDER BY seq LIMIT ?`,
      )
      .all(HTML_LIST_LIMIT) as {
      seq: number;
      email: string | null;
      first_name: string | null;
      last_name: string | null;
      points_balance: number | null;
      credit_cents: number | null;
      state: CustomerState;
      state_reason: string | null;
      plan_notes: string | null;
    }[]
  ).map((c) => ({
    seq: c.seq,
    email: r.email(c.email),
    name: r.name(fullName(c.first_name, c.last_name)),
    pointsBalance: c.points_balance,
    creditCents: c.credit_cents,
    state: c.state,
    reason: r.text(reasonOf(c)),
  }));

  const bucketCase = BALANCE_BUCKETS.map((b, i) =>
    b.max === null ? `WHEN points_balance >= ${b.min} THEN ${i}` : `WHEN points_balance BETWEEN ${b.min} AND ${b.max} THEN ${i}`,
  ).join(' ');
  const bucketRows = db
    .prepare(
      `SELECT CASE WHEN points_balance IS NULL OR state = 'invalid' THEN -1 ${bucketCase} ELSE -1 END AS b,
         count(*) AS n, coalesce(sum(points_balance), 0) AS p
       FROM customers GROUP BY b`,
    )
    .all() as { b: number; n: number; p: number }[];
  const balances: Bucket[] = BALANCE_BUCKETS.map((b, i) => {
    const row = bucketRows.find((x) => x.b === i);
    return { label: b.label, customers: row?.n ?? 0, points: row?.p ?? 0 };
  });
  const unparseable = bucketRows.find((x) => x.b === -1);
  if (unparseable) balances.push({ label: UNPARSEABLE_BUCKET, customers: unparseable.n, points: 0 });

  const tierRows = db
    .prepare(
      `SELECT CASE WHEN tier_name IS NULL OR trim(tier_name) = '' THEN NULL ELSE min(tier_name) END AS label, count(*) AS n,
         coalesce(sum(CASE WHEN state = 'invalid' THEN 0 ELSE points_balance END), 0) AS p
       FROM customers GROUP BY lower(trim(coalesce(tier_name, ''))) ORDER BY p DESC, n DESC`,
    )
    .all() as { label: string | null; n: number; p: number }[];
  const MAX_TIERS = 12;
  const tiers: Bucket[] = tierRows.slice(0, MAX_TIERS).map((t) => ({ label: t.label ?? '(no tier)', customers: t.n, points: t.p }));
  const rest = tierRows.slice(MAX_TIERS);
  if (rest.length)
    tiers.push({ label: `${rest.length} more tiers`, customers: rest.reduce((a, t) => a + t.n, 0), points: rest.reduce((a, t) => a + t.p, 0) });

  const problemRows = (
    db
      .prepare(
        `SELECT p.at, p.kind, p.event_key, p.detail, p.customer_key, c.email
         FROM problems p LEFT JOIN customers c ON c.key = p.customer_key ORDER BY p.id LIMIT ?`,
      )
      .all(HTML_LIST_LIMIT) as { at: string; kind: string; event_key: string | null; detail: string; customer_key: string | null; email: string | null }[]
  ).map((p) => ({
    at: p.at,
    kind: p.kind,
    customer: p.email !== null ? r.email(p.email) : r.text(p.customer_key),
    eventKey: p.event_key,
    detail: r.text(p.detail) ?? '',
  }));

  let verify: ReportData['verify'] = null;
  const anyVerify = db.prepare('SELECT 1 FROM verify_results LIMIT 1').get();
  if (anyVerify) {
    const totals = computeVerifyTotals(db, { migrationId: opts.migrationId, generatedAt: opts.generatedAt });
    const where = "v.outcome <> 'match' OR v.keys_duplicated > 0";
    const total = db.prepare(`SELECT count(*) FROM verify_results v WHERE ${where}`).pluck().get() as number;
    const rows = (
      db
        .prepare(
          `SELECT v.*, c.seq, c.email, c.first_name, c.last_name FROM verify_results v JOIN customers c ON c.key = v.customer_key
           WHERE ${where} ORDER BY c.seq LIMIT ?`,
        )
        .all(HTML_LIST_LIMIT) as (VerifyFields & {
        seq: number;
        email: string | null;
        first_name: string | null;
        last_name: string | null;
        outcome: string;
        detail: string | null;
      })[]
    ).map((v) => ({ ...v, email: r.email(v.email), name: r.name(fullName(v.first_name, v.last_name)), detail: r.text(v.detail) }));
    verify = { totals, rows, total };
  }

  return {
    plan,
    redacted: r.enabled,
    attention: { rows: attentionRows, total: plan.attention },
    balances,
    tiers,
    problems: { rows: problemRows, total: plan.problems },
    verify,
    pilot: collectPilotSection(db, r),
    checklist: preflightItems({ tiers: true, birthdays: true }),
    expiry: collectExpiryTotals(db),
    history: collectHistorySection(db, r),
    oneTimeActions: collectAwardTotals(db),
  };
}
