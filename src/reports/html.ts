import { join } from 'node:path';
import { ATTENTION_STATES, CUSTOMER_STATES, type CustomerState } from '../domain.js';
import type { Db } from '../db/open.js';
import { centsToDecimal } from './csv-safe.js';
import { writeTextFile } from './files.js';
import { escapeHtml as esc } from './html-escape.js';
import type { Redactor } from './redact.js';
import { collectPilotSection, pilotSectionHtml, type PilotSectionData } from './pilot.js';
import { differingFields, reasonOf, type VerifyFields } from './rows.js';
import { barChart } from './svg.js';
import { preflightSection, runsSection, type ReportNav } from './html-extra.js';
import { collectExpiryTotals, expirySection, type ExpiryTotals } from './expiry.js';
import { collectHistorySection, historySection, type HistorySectionData } from './history.js';
import { awardsSection } from './awards.js';
import { collectAwardTotals, type AwardTotals } from '../awards/view.js';
import { preflightItems, type ChecklistItem } from '../preflight/checklist.js';
import { reportDirs, runLinks, RUNS_DIR, type ReportRun } from './runs.js';
import { computePlanTotals, type PlanTotals } from './totals.js';
import { computeVerifyTotals, VERIFY_OUTCOMES, type VerifyTotals } from './verify-totals.js';

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

const STATE_HELP: Record<CustomerState, string> = {
  pending: 'read; events still to send (or not planned yet)',
  migrated: 'every planned event confirmed in Rivo',
  nothing_to_migrate: 'matched, nothing owed',
  unmatched: 'Rivo does not know the customer (retried next run)',
  conflict: 'two Yotpo records resolve to one Rivo customer: held',
  rejected: 'Rivo refused an event or update',
  invalid: 'the Yotpo record is unusable',
};

const n = (v: number | null | undefined) => (v === null || v === undefined ? '' : v.toLocaleString('en-US'));
const money = (cents: number | null | undefined) => (cents === null || cents === undefined ? '' : centsToDecimal(cents));
const badge = (ok: boolean, yes = 'adds up', no = 'does NOT add up') => `<span class="badge ${ok ? 'ok' : 'bad'}">${ok ? '✔' : '✘'} ${esc(ok ? yes : no)}</span>`;

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1d232b; margin: 0; background: #f5f6f8; }
main { max-width: 1180px; margin: 0 auto; padding: 24px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 2px solid #e3e6ea; padding-bottom: 4px; }
.meta { color: #5b6470; margin: 0 0 12px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th, td { border: 1px solid #dde1e6; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.bad td { background: #fdecec; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 10px; font-weight: 600; }
.badge.ok { background: #e3f5e8; color: #17652f; border: 1px solid #8fd3a3; }
.badge.bad { background: #fdecec; color: #a11b1b; border: 1px solid #ef9a9a; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { flex: 1 1 320px; border: 1px solid #dde1e6; border-radius: 6px; padding: 10px 14px; }
.card.ok { border-left: 6px solid #2e9e52; }
.card.bad { border-left: 6px solid #d23c3c; }
.card h3 { margin: 0 0 6px; font-size: 15px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.chart { max-width: 100%; height: auto; border: 1px solid #eef0f3; }
.chart-title { font-size: 13px; font-weight: 600; fill: #1d232b; }
.chart-value { font-size: 11px; fill: #1d232b; }
.chart-label { font-size: 11px; fill: #3d4550; }
.chart-note { font-size: 10px; fill: #6b7480; }
.note { color: #5b6470; }
.checklist li { margin: 0 0 8px; }
.reason { max-width: 460px; overflow-wrap: anywhere; }
footer { margin-top: 28px; color: #6b7480; font-size: 12px; }
@media print {
  body { background: #fff; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  tr, .card, .chart { break-inside: avoid; }
  .badge, .card, tr.bad td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;

function table(head: string[], rows: string[][], numeric: ReadonlySet<number> = new Set(), rowClass: (i: number) => string = () => ''): string {
  const th = head.map((h, i) => `<th${numeric.has(i) ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows
    .map((cells, r) => {
      const cls = rowClass(r);
      return `<tr${cls ? ` class="${esc(cls)}"` : ''}>${cells.map((c, i) => `<td${numeric.has(i) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/**
 * The one page of the report, from whatever data exists (a plan; a verification once there is one). Self-contained:
 * inline CSS, server-rendered SVG, no script, no external reference; a CSP forbids loading anything. Every value from
 * the DB is escaped here (names can hold markup).
 */
export function renderReportHtml(d: ReportData, nav?: ReportNav): string {
  const p = d.plan;
  const allOk = p.checks.customersAddUp && p.checks.pointsAddUp && p.checks.creditsAddUp;
  const parts: string[] = [];
  parts.push(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Yotpo → Rivo migration ${esc(p.migrationId)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>Yotpo → Rivo migration report</h1>
<p class="meta">Migration <strong>${esc(p.migrationId)}</strong> · generated ${esc(p.generatedAt)}${d.redacted ? ' · emails and names redacted' : ''}</p>
<p>${badge(allOk, 'Totals add up', 'Totals do NOT add up')} ${
    p.attention > 0 ? `<span class="badge bad">${esc(n(p.attention))} customers need attention</span>` : '<span class="badge ok">no customer needs attention</span>'
  }${d.verify ? ` ${badge(d.verify.totals.allMatch, 'Verified: everything matches', 'Verification found differences')}` : ''}</p>`);

  // Totals.
  const amountCard = (title: string, a: PlanTotals['points'] | PlanTotals['credits'], ok: boolean, fmt: (v: number) => string) => `
<div class="card ${ok ? 'ok' : 'bad'}"><h3>${esc(title)} ${badge(ok)}</h3>
${table(
  ['', 'amount'],
  [
    ['Planned (owed to customers)', esc(fmt(a.planned))],
    ['Migrated (done in Rivo)', esc(fmt(a.migrated))],
    ['Pending (planned, in flight, uncertain)', esc(fmt(a.pending))],
    [`Other: rejected events`, esc(fmt(a.otherFrom.rejectedEvents))],
    ['Other: held or not planned yet (their Yotpo value)', esc(fmt(a.otherFrom.notPlanned))],
    ['<strong>Migrated + pending + other</strong>', `<strong>${esc(fmt(a.accounted))}</strong>`],
    ['Difference (planned − accounted)', esc(fmt(a.difference))],
    ['Rolled back (done / pending)', `${esc(fmt(a.rolledBack.done))} / ${esc(fmt(a.rolledBack.pending))}`],
  ],
  new Set([1]),
  (i) => (i === 6 && a.difference !== 0 ? 'bad' : ''),
)}</div>`;
  parts.push(`<h2>Totals</h2>
<div class="cards">
<div class="card ${p.checks.customersAddUp ? 'ok' : 'bad'}"><h3>Customers ${badge(p.checks.customersAddUp)}</h3>
${table(
  ['', 'customers'],
  [
    ['Read from Yotpo', esc(n(p.checks.customers.read))],
    ['Sum over states', esc(n(p.checks.customers.sumOfStates))],
    ['Need attention', esc(n(p.attention))],
    ['Unparseable Yotpo records (owe 0 points)', esc(n(p.points.unparseable))],
    ['Problems recorded', esc(n(p.problems))],
  ],
  new Set([1]),
)}</div>
${amountCard('Points', p.points, p.checks.pointsAddUp, (v) => n(v))}
${amountCard('Store credit', p.credits, p.checks.creditsAddUp, (v) => centsToDecimal(v))}
</div>
<p class="note">Planned: the plan's target for each planned customer; for a customer held (unmatched, conflict) or not planned yet, their Yotpo balance;
unreadable Yotpo records and customers skipped by the identity map, 0. Other: rejected events, and the Yotpo balance of customers held or not planned yet.
Lifetime: Yotpo ${esc(n(p.lifetime.yotpo))} points earned, ${esc(n(p.lifetime.planned))} planned lifetime increase.</p>`);

  // States.
  parts.push(`<h2>Customers by state</h2>
${table(
  ['state', 'meaning', 'customers', 'points owed', 'credit owed', 'points not migrated or pending'],
  CUSTOMER_STATES.map((s) => [
    `<strong>${esc(s)}</strong>`,
    esc(STATE_HELP[s]),
    esc(n(p.states[s])),
    esc(n(p.points.byState[s])),
    esc(money(p.credits.byState[s])),
    esc(n(p.points.otherByState[s])),
  ]).concat([
    [
      '<strong>total</strong>',
      '',
      `<strong>${esc(n(p.checks.customers.sumOfStates))}</strong>`,
      `<strong>${esc(n(p.points.planned))}</strong>`,
      `<strong>${esc(money(p.credits.planned))}</strong>`,
      `<strong>${esc(n(p.points.other))}</strong>`,
    ],
  ]),
  new Set([2, 3, 4, 5]),
  (i) => {
    const s = CUSTOMER_STATES[i];
    return s && ATTENTION_STATES.includes(s) && p.states[s] > 0 ? 'bad' : '';
  },
)}`);

  // Charts.
  parts.push(`<h2>Distribution</h2>
<div class="charts">
${barChart({
  title: 'Customers by Yotpo points balance',
  bars: d.balances.map((b) => ({ label: b.label, value: b.customers, note: `${n(b.points)} pts` })),
})}
${barChart({
  title: 'Yotpo points by tier',
  color: '#7a5aa6',
  bars: d.tiers.map((t) => ({ label: t.label, value: t.points, note: `${n(t.customers)} customers` })),
})}
</div>`);

  // Tiers.
  const tierNames = [...new Set([...Object.keys(p.tiers.mapped), ...Object.keys(p.tiers.unmapped), ...Object.keys(p.tiers.notPlanned)])].sort();
  if (tierNames.length)
    parts.push(`<h2>Tiers</h2>
${table(
  ['Yotpo tier', 'mapped', 'unmapped', 'not planned'],
  tierNames.map((t) => [esc(t), esc(n(p.tiers.mapped[t] ?? 0)), esc(n(p.tiers.unmapped[t] ?? 0)), esc(n(p.tiers.notPlanned[t] ?? 0))]),
  new Set([1, 2, 3]),
  (i) => ((p.tiers.unmapped[tierNames[i] ?? ''] ?? 0) > 0 ? 'bad' : ''),
)}`);

  const expiry = expirySection(d.expiry);
  if (expiry) parts.push(expiry);
  const history = historySection(d.history);
  if (history) parts.push(history);
  const awards = awardsSection(d.oneTimeActions);
  if (awards) parts.push(awards);

  // Attention.
  parts.push(`<h2>Customers needing attention (${esc(n(d.attention.total))})</h2>`);
  if (d.attention.total === 0) parts.push('<p>None.</p>');
  else {
    parts.push(
      table(
        ['#', 'email', 'name', 'Yotpo points', 'Yotpo credit', 'state', 'reason'],
        d.attention.rows.map((a) => [
          esc(a.seq),
          esc(a.email ?? ''),
          esc(a.name ?? ''),
          esc(n(a.pointsBalance)),
          esc(money(a.creditCents)),
          esc(a.state),
          `<div class="reason">${esc(a.reason ?? '')}</div>`,
        ]),
        new Set([0, 3, 4]),
      ),
    );
    if (d.attention.total > d.attention.rows.length)
      parts.push(`<p class="note">Showing the first ${esc(n(d.attention.rows.length))}; ${esc(n(d.attention.total - d.attention.rows.length))} more are in plan.csv (filter the <code>state</code> column).</p>`);
  }

  // Problems.
  parts.push(`<h2>Problems (${esc(n(d.problems.total))})</h2>`);
  if (d.problems.total === 0) parts.push('<p>None recorded.</p>');
  else {
    parts.push(table(['kind', 'customers'], Object.entries(p.problemsByKind).map(([k, c]) => [esc(k), esc(n(c))]), new Set([1])));
    parts.push(
      table(
        ['when', 'kind', 'customer', 'event key', 'detail'],
        d.problems.rows.map((x) => [esc(x.at), esc(x.kind), esc(x.customer ?? ''), esc(x.eventKey ?? ''), `<div class="reason">${esc(x.detail)}</div>`]),
      ),
    );
    if (d.problems.total > d.problems.rows.length)
      parts.push(`<p class="note">Showing the first ${esc(n(d.problems.rows.length))} of ${esc(n(d.problems.total))}; all are in the migration DB (table <code>problems</code>).</p>`);
  }

  // Verification.
  if (d.verify) {
    const v = d.verify.totals;
    parts.push(`<h2>Verification ${badge(v.allMatch, 'everything matches', 'differences found')}</h2>
${table(
  ['outcome', 'customers'],
  [
    ...VERIFY_OUTCOMES.map((o) => [esc(o), esc(n(v.outcomes[o]))]),
    ['duplicated event keys in Rivo', esc(n(v.keys.duplicated))],
    ['migrated customers not verified', esc(n(v.migratedNotVerified))],
  ],
  new Set([1]),
  (i) => (i >= 1 && i <= 3 && (v.outcomes[VERIFY_OUTCOMES[i]!] ?? 0) > 0 ? 'bad' : i === 4 && v.keys.duplicated > 0 ? 'bad' : i === 5 && v.migratedNotVerified > 0 ? 'bad' : ''),
)}
${table(
  ['', 'expected', 'actual in Rivo', 'difference'],
  [
    ['points', esc(n(v.points.expected)), esc(n(v.points.actual)), esc(n(v.points.difference))],
    ['lifetime', esc(n(v.lifetime.expected)), esc(n(v.lifetime.actual)), esc(n(v.lifetime.difference))],
    ['store credit', esc(v.credits.decimal.expected), esc(v.credits.decimal.actual), esc(v.credits.decimal.difference)],
    ['event keys', esc(n(v.keys.expected)), esc(n(v.keys.found)), esc(n(v.keys.found - v.keys.expected))],
  ],
  new Set([1, 2, 3]),
)}`);
    if (d.verify.total === 0) parts.push('<p>No customer differs.</p>');
    else {
      const pair = (e: unknown, a: unknown) => `${esc(e ?? '–')} → ${esc(a ?? '–')}`;
      parts.push(
        table(
          ['#', 'email', 'name', 'outcome', 'differs', 'points', 'lifetime', 'credit', 'tier', 'dob', 'keys found / expected / dup', 'detail'],
          d.verify.rows.map((x) => [
            esc(x.seq),
            esc(x.email ?? ''),
            esc(x.name ?? ''),
            esc(x.outcome),
            esc(differingFields(x).join(', ')),
            pair(x.points_expected, x.points_actual),
            pair(x.lifetime_expected, x.lifetime_actual),
            pair(x.credits_expected === null ? null : centsToDecimal(x.credits_expected), x.credits_actual === null ? null : centsToDecimal(x.credits_actual)),
            pair(x.tier_expected, x.tier_actual),
            pair(x.dob_expected, x.dob_actual),
            `${esc(x.keys_found ?? '–')} / ${esc(x.keys_expected ?? '–')} / ${esc(x.keys_duplicated)}`,
            `<div class="reason">${esc(x.detail ?? '')}</div>`,
          ]),
          new Set([0]),
          () => 'bad',
        ),
      );
      if (d.verify.total > d.verify.rows.length)
        parts.push(`<p class="note">Showing the first ${esc(n(d.verify.rows.length))} of ${esc(n(d.verify.total))}; every checked customer is in verify.csv.</p>`);
    }
  }

  if (d.pilot !== undefined) parts.push(pilotSectionHtml(d.pilot));
  parts.push(preflightSection(d.checklist));
  parts.push(runsSection(nav));

  parts.push(`<footer>Files: plan.csv (one row per customer), plan.json (totals)${d.verify ? ', verify.csv, verify.json' : ''}. Amounts: points are whole points; store credit in the shop's currency.</footer>
</main>
</body>
</html>
`);
  return parts.join('\n');
}

/**
 * Renders report.html from the DB as it stands (plan, and verification when it exists). With a run: into the run's
 * folder and at `<out>/report.html`, each with links to the earlier runs relative to where it sits.
 */
export async function writeReportHtml(
  db: Db,
  outDir: string,
  opts: { migrationId: string; generatedAt: string; redactor: Redactor; run?: ReportRun },
): Promise<{ path: string; runPath: string | null; data: ReportData }> {
  const data = collectReportData(db, opts);
  const { dir, latest } = reportDirs(outDir, opts.run);
  if (!opts.run || latest === null) {
    const path = await writeTextFile(join(dir, 'report.html'), renderReportHtml(data, { run: null, latestHref: null, runHref: null, earlier: runLinks(dir, { fromRunDir: false }) }));
    return { path, runPath: null, data };
  }
  const id = opts.run.id;
  const runPath = await writeTextFile(
    join(dir, 'report.html'),
    renderReportHtml(data, { run: id, latestHref: '../../report.html', runHref: null, earlier: runLinks(latest, { exclude: id, fromRunDir: true }) }),
  );
  const path = await writeTextFile(
    join(latest, 'report.html'),
    renderReportHtml(data, { run: id, latestHref: null, runHref: `${RUNS_DIR}/${encodeURIComponent(id)}/report.html`, earlier: runLinks(latest, { exclude: id, fromRunDir: false }) }),
  );
  return { path, runPath, data };
}
