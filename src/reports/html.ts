import { join } from 'node:path';
import type { Db } from '../db/open.js';
import { ATTENTION_STATES, CUSTOMER_STATES, type CustomerState } from '../domain.js';
import { formatCents } from '../util/money.js';
import { writeTextFile } from './files.js';
import { collectReportData, type ReportData } from './html-data.js';
import { preflightSection, runsSection, type ReportNav } from './html-extra.js';
import { CSS, type RowKind } from './html-style.js';
import { html, joinHtml, type HtmlValue, type SafeHtml } from './html-template.js';
import { expirySection } from './expiry.js';
import { historySection } from './history.js';
import { awardsSection } from './awards.js';
import { pilotSectionHtml } from './pilot.js';
import type { Redactor } from './redact.js';
import { differingFields } from './rows.js';
import { reportDirs, runLinks, RUNS_DIR, type ReportRun } from './runs.js';
import { barChart } from './svg.js';
import type { PlanTotals } from './totals.js';
import { VERIFY_OUTCOMES } from './verify-totals.js';

/**
 * report.html: the presentation of `ReportData` (`html-data.ts` reads it). Every piece of markup is built with the
 * `html` template (`html-template.ts`), which escapes every value; rows carry a class saying what they are
 * (`row-attention`, `row-mismatch`…), which the style (`html-style.ts`) colours. A new section is one function
 * returning `SafeHtml`, added to the list in `renderReportHtml`; a new column, one more header and cell.
 */

export { BALANCE_BUCKETS, collectReportData, HTML_LIST_LIMIT } from './html-data.js';
export type { AttentionRow, Bucket, ProblemRow, ReportData, VerifyRowView } from './html-data.js';

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
const money = (cents: number | null | undefined) => (cents === null || cents === undefined ? '' : formatCents(cents));
const badge = (ok: boolean, yes = 'adds up', no = 'does NOT add up') => html`<span class="badge ${ok ? 'ok' : 'bad'}">${ok ? '✔' : '✘'} ${ok ? yes : no}</span>`;
const strong = (v: HtmlValue) => html`<strong>${v}</strong>`;
const reason = (v: HtmlValue) => html`<div class="reason">${v}</div>`;

/** One table row: its cells (values are escaped by the template) and what the row is, when that matters. */
export interface Row {
  cells: readonly HtmlValue[];
  kind?: RowKind | null;
}

function table(head: readonly string[], rows: readonly Row[], numeric: ReadonlySet<number> = new Set()): SafeHtml {
  const num = (i: number) => (numeric.has(i) ? html` class="num"` : '');
  const th = head.map((h, i) => html`<th${num(i)}>${h}</th>`);
  const body = joinHtml(
    rows.map((r) => html`<tr${r.kind ? html` class="row-${r.kind}"` : ''}>${r.cells.map((c, i) => html`<td${num(i)}>${c}</td>`)}</tr>`),
    '\n',
  );
  return html`<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function head(d: ReportData): SafeHtml {
  const p = d.plan;
  const allOk = p.checks.customersAddUp && p.checks.pointsAddUp && p.checks.creditsAddUp;
  const attention = p.attention > 0 ? html`<span class="badge bad">${n(p.attention)} customers need attention</span>` : html`<span class="badge ok">no customer needs attention</span>`;
  const verified = d.verify ? html` ${badge(d.verify.totals.allMatch, 'Verified: everything matches', 'Verification found differences')}` : '';
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Yotpo → Rivo migration ${p.migrationId}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>Yotpo → Rivo migration report</h1>
<p class="meta">Migration <strong>${p.migrationId}</strong> · generated ${p.generatedAt}${d.redacted ? ' · emails and names redacted' : ''}</p>
<p>${badge(allOk, 'Totals add up', 'Totals do NOT add up')} ${attention}${verified}</p>`;
}

function amountCard(title: string, a: PlanTotals['points'] | PlanTotals['credits'], ok: boolean, fmt: (v: number) => string): SafeHtml {
  return html`
<div class="card ${ok ? 'ok' : 'bad'}"><h3>${title} ${badge(ok)}</h3>
${table(
  ['', 'amount'],
  [
    { cells: ['Planned (owed to customers)', fmt(a.planned)] },
    { cells: ['Migrated (done in Rivo)', fmt(a.migrated)] },
    { cells: ['Pending (planned, in flight, uncertain)', fmt(a.pending)] },
    { cells: ['Other: rejected events', fmt(a.otherFrom.rejectedEvents)] },
    { cells: ['Other: held or not planned yet (their Yotpo value)', fmt(a.otherFrom.notPlanned)] },
    { cells: [strong('Migrated + pending + other'), strong(fmt(a.accounted))], kind: 'total' },
    { cells: ['Difference (planned − accounted)', fmt(a.difference)], kind: a.difference !== 0 ? 'difference' : null },
    { cells: ['Rolled back (done / pending)', `${fmt(a.rolledBack.done)} / ${fmt(a.rolledBack.pending)}`] },
  ],
  new Set([1]),
)}</div>`;
}

function totals(d: ReportData): SafeHtml {
  const p = d.plan;
  return html`<h2>Totals</h2>
<div class="cards">
<div class="card ${p.checks.customersAddUp ? 'ok' : 'bad'}"><h3>Customers ${badge(p.checks.customersAddUp)}</h3>
${table(
  ['', 'customers'],
  [
    { cells: ['Read from Yotpo', n(p.checks.customers.read)] },
    { cells: ['Sum over states', n(p.checks.customers.sumOfStates)] },
    { cells: ['Need attention', n(p.attention)] },
    { cells: ['Unparseable Yotpo records (owe 0 points)', n(p.points.unparseable)] },
    { cells: ['Problems recorded', n(p.problems)] },
  ],
  new Set([1]),
)}</div>
${amountCard('Points', p.points, p.checks.pointsAddUp, (v) => n(v))}
${amountCard('Store credit', p.credits, p.checks.creditsAddUp, (v) => formatCents(v))}
</div>
<p class="note">Planned: the plan's target for each planned customer; for a customer held (unmatched, conflict) or not planned yet, their Yotpo balance;
unreadable Yotpo records and customers skipped by the identity map, 0. Other: rejected events, and the Yotpo balance of customers held or not planned yet.
Lifetime: Yotpo ${n(p.lifetime.yotpo)} points earned, ${n(p.lifetime.planned)} planned lifetime increase.</p>`;
}

function states(d: ReportData): SafeHtml {
  const p = d.plan;
  return html`<h2>Customers by state</h2>
${table(
  ['state', 'meaning', 'customers', 'points owed', 'credit owed', 'points not migrated or pending'],
  [
    ...CUSTOMER_STATES.map((s): Row => ({
      cells: [strong(s), STATE_HELP[s], n(p.states[s]), n(p.points.byState[s]), money(p.credits.byState[s]), n(p.points.otherByState[s])],
      kind: ATTENTION_STATES.includes(s) && p.states[s] > 0 ? 'attention' : null,
    })),
    {
      cells: [strong('total'), '', strong(n(p.checks.customers.sumOfStates)), strong(n(p.points.planned)), strong(money(p.credits.planned)), strong(n(p.points.other))],
      kind: 'total',
    },
  ],
  new Set([2, 3, 4, 5]),
)}`;
}

function charts(d: ReportData): SafeHtml {
  return html`<h2>Distribution</h2>
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
</div>`;
}

function tiers(d: ReportData): SafeHtml | null {
  const t = d.plan.tiers;
  const names = [...new Set([...Object.keys(t.mapped), ...Object.keys(t.unmapped), ...Object.keys(t.notPlanned)])].sort();
  if (!names.length) return null;
  return html`<h2>Tiers</h2>
${table(
  ['Yotpo tier', 'mapped', 'unmapped', 'not planned'],
  names.map((name) => ({
    cells: [name, n(t.mapped[name] ?? 0), n(t.unmapped[name] ?? 0), n(t.notPlanned[name] ?? 0)],
    kind: (t.unmapped[name] ?? 0) > 0 ? 'unmapped' : null,
  })),
  new Set([1, 2, 3]),
)}`;
}

function attention(d: ReportData): SafeHtml {
  const a = d.attention;
  const parts: HtmlValue[] = [html`<h2>Customers needing attention (${n(a.total)})</h2>`];
  if (a.total === 0) parts.push(html`<p>None.</p>`);
  else {
    parts.push(
      table(
        ['#', 'email', 'name', 'Yotpo points', 'Yotpo credit', 'state', 'reason'],
        a.rows.map((c) => ({
          cells: [c.seq, c.email ?? '', c.name ?? '', n(c.pointsBalance), money(c.creditCents), c.state, reason(c.reason ?? '')],
        })),
        new Set([0, 3, 4]),
      ),
    );
    if (a.total > a.rows.length)
      parts.push(html`<p class="note">Showing the first ${n(a.rows.length)}; ${n(a.total - a.rows.length)} more are in plan.csv (filter the <code>state</code> column).</p>`);
  }
  return joinHtml(parts, '\n');
}

function problems(d: ReportData): SafeHtml {
  const pr = d.problems;
  const parts: HtmlValue[] = [html`<h2>Problems (${n(pr.total)})</h2>`];
  if (pr.total === 0) parts.push(html`<p>None recorded.</p>`);
  else {
    parts.push(table(['kind', 'customers'], Object.entries(d.plan.problemsByKind).map(([k, c]) => ({ cells: [k, n(c)] })), new Set([1])));
    parts.push(
      table(
        ['when', 'kind', 'customer', 'event key', 'detail'],
        pr.rows.map((x) => ({ cells: [x.at, x.kind, x.customer ?? '', x.eventKey ?? '', reason(x.detail)] })),
      ),
    );
    if (pr.total > pr.rows.length)
      parts.push(html`<p class="note">Showing the first ${n(pr.rows.length)} of ${n(pr.total)}; all are in the migration DB (table <code>problems</code>).</p>`);
  }
  return joinHtml(parts, '\n');
}

const OUTCOME_KIND: Record<string, RowKind> = { mismatch: 'mismatch', missing: 'missing', not_checked: 'not-checked' };

function verification(d: ReportData): SafeHtml | null {
  if (!d.verify) return null;
  const v = d.verify.totals;
  const parts: HtmlValue[] = [
    html`<h2>Verification ${badge(v.allMatch, 'everything matches', 'differences found')}</h2>
${table(
  ['outcome', 'customers'],
  [
    ...VERIFY_OUTCOMES.map((o): Row => ({ cells: [o, n(v.outcomes[o])], kind: (v.outcomes[o] ?? 0) > 0 ? (OUTCOME_KIND[o] ?? null) : null })),
    { cells: ['duplicated event keys in Rivo', n(v.keys.duplicated)], kind: v.keys.duplicated > 0 ? 'duplicate' : null },
    { cells: ['migrated customers not verified', n(v.migratedNotVerified)], kind: v.migratedNotVerified > 0 ? 'not-verified' : null },
  ],
  new Set([1]),
)}
${table(
  ['', 'expected', 'actual in Rivo', 'difference'],
  [
    { cells: ['points', n(v.points.expected), n(v.points.actual), n(v.points.difference)] },
    { cells: ['lifetime', n(v.lifetime.expected), n(v.lifetime.actual), n(v.lifetime.difference)] },
    { cells: ['store credit', v.credits.decimal.expected, v.credits.decimal.actual, v.credits.decimal.difference] },
    { cells: ['event keys', n(v.keys.expected), n(v.keys.found), n(v.keys.found - v.keys.expected)] },
  ],
  new Set([1, 2, 3]),
)}`,
  ];
  if (d.verify.total === 0) parts.push(html`<p>No customer differs.</p>`);
  else {
    const pair = (e: HtmlValue, a: HtmlValue) => html`${e ?? '–'} → ${a ?? '–'}`;
    const cents = (c: number | null) => (c === null ? null : formatCents(c));
    parts.push(
      table(
        ['#', 'email', 'name', 'outcome', 'differs', 'points', 'lifetime', 'credit', 'tier', 'dob', 'keys found / expected / dup', 'detail'],
        d.verify.rows.map((x) => ({
          cells: [
            x.seq,
            x.email ?? '',
            x.name ?? '',
            x.outcome,
            differingFields(x).join(', '),
            pair(x.points_expected, x.points_actual),
            pair(x.lifetime_expected, x.lifetime_actual),
            pair(cents(x.credits_expected), cents(x.credits_actual)),
            pair(x.tier_expected, x.tier_actual),
            pair(x.dob_expected, x.dob_actual),
            html`${x.keys_found ?? '–'} / ${x.keys_expected ?? '–'} / ${x.keys_duplicated}`,
            reason(x.detail ?? ''),
          ],
          // Listed: every customer that is not a clean match (a match listed here has a duplicated key).
          kind: OUTCOME_KIND[x.outcome] ?? 'duplicate',
        })),
        new Set([0]),
      ),
    );
    if (d.verify.total > d.verify.rows.length)
      parts.push(html`<p class="note">Showing the first ${n(d.verify.rows.length)} of ${n(d.verify.total)}; every checked customer is in verify.csv.</p>`);
  }
  return joinHtml(parts, '\n');
}

function footer(d: ReportData): SafeHtml {
  return html`<footer>Files: plan.csv (one row per customer), plan.json (totals)${d.verify ? ', verify.csv, verify.json' : ''}. Amounts: points are whole points; store credit in the shop's currency.</footer>
</main>
</body>
</html>
`;
}

/**
 * The one page of the report, from whatever data exists (a plan; a verification once there is one). Self-contained:
 * inline CSS, server-rendered SVG, no script, no external reference; a CSP forbids loading anything.
 */
export function renderReportHtml(d: ReportData, nav?: ReportNav): string {
  const sections: (SafeHtml | null)[] = [
    head(d),
    totals(d),
    states(d),
    charts(d),
    tiers(d),
    expirySection(d.expiry),
    historySection(d.history),
    awardsSection(d.oneTimeActions),
    attention(d),
    problems(d),
    verification(d),
    d.pilot !== undefined ? pilotSectionHtml(d.pilot) : null,
    preflightSection(d.checklist),
    runsSection(nav),
    footer(d),
  ];
  return joinHtml(sections.filter((s): s is SafeHtml => s !== null), '\n').toString();
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
