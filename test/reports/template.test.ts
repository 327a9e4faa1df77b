import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/open.js';
import { collectReportData, type ReportData } from '../../src/reports/html-data.js';
import { renderReportHtml } from '../../src/reports/html.js';
import { html, joinHtml, type SafeHtml } from '../../src/reports/html-template.js';
import { makeRedactor } from '../../src/reports/redact.js';
import { buildFixture, removeTmp } from './fixture.js';

const HOSTILE = `<script>alert(1)</script>"'&`;
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;';

describe('the html template', () => {
  it('escapes markup, both quotes and & in every interpolation: element content, attributes, arrays', () => {
    const out = html`<td class="${HOSTILE}" title='${HOSTILE}'>${HOSTILE}</td>${[HOSTILE, [HOSTILE]]}`.toString();
    expect(out).toBe(`<td class="${ESCAPED}" title='${ESCAPED}'>${ESCAPED}</td>${ESCAPED}${ESCAPED}`);
    expect(out).not.toContain('<script');
  });

  it('keeps html built by itself as markup (escaped once, never twice), and leaves out null, undefined and false', () => {
    const cell: SafeHtml = html`<b>${'a & b'}</b>`;
    expect(html`<td>${cell}</td>`.toString()).toBe('<td><b>a &amp; b</b></td>');
    expect(html`[${null}${undefined}${false}${0}]`.toString()).toBe('[0]');
    expect(joinHtml([html`<i>x</i>`, '<y>'], '\n').toString()).toBe('<i>x</i>\n&lt;y&gt;');
  });

  it('a string that looks like html is text: only the template makes markup', () => {
    const fake = { toString: () => '<b>not safe</b>' };
    expect(html`${String(fake)}`.toString()).toBe('&lt;b&gt;not safe&lt;/b&gt;');
    expect(html`${'<b>' + 'raw' + '</b>'}`.toString()).toBe('&lt;b&gt;raw&lt;/b&gt;');
  });
});

/** Every string value in the data with markup, quotes and & appended. */
function hostile<T>(value: T): T {
  if (typeof value === 'string') return `${value}${HOSTILE}` as T;
  if (Array.isArray(value)) return value.map(hostile) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hostile(v)])) as T;
  return value;
}
/** The same for the keys of a record whose keys are data (a problem kind, a Yotpo tier name). */
const hostileKeys = <V>(r: Record<string, V>): Record<string, V> => Object.fromEntries(Object.entries(r).map(([k, v]) => [`${k}${HOSTILE}`, v]));

describe('report.html from hostile data', () => {
  let db: Db | null = null;
  afterEach(() => {
    db?.close();
    db = null;
    removeTmp();
  });

  it('no string of the data reaches the page as markup, in any section, cell or link', () => {
    const f = buildFixture();
    db = f.db;
    // A verification row, so the verify section and its customer table render too.
    f.db
      .prepare(
        `INSERT INTO verify_results (customer_key, rivo_id, checked_at, outcome, points_expected, points_actual, tier_expected, tier_actual,
           keys_duplicated, detail) VALUES ('c-mig', 'r1', '2025-01-01T00:00:00Z', 'mismatch', 100, 90, 'Gold', 'Silver', 0, 'differs')`,
      )
      .run();
    const data: ReportData = collectReportData(f.db, { migrationId: f.migrationId, generatedAt: '2025-01-01T00:00:00Z', redactor: makeRedactor(false) });
    expect(data.verify?.rows.length).toBe(1);
    data.pilot = {
      customer: 'staff@example.com',
      measuredAt: '2025-01-01',
      rows: [{ name: 'batch_atomicity', status: 'confirmed', observed: 'x', setting: 'y', consequence: 'attention' }],
      emailAnswer: null,
      checklist: ['before'],
    } as unknown as ReportData['pilot'];
    const bad = hostile(data);
    bad.plan.problemsByKind = hostileKeys(bad.plan.problemsByKind);
    for (const k of ['mapped', 'unmapped', 'notPlanned'] as const) bad.plan.tiers[k] = hostileKeys(bad.plan.tiers[k]);
    const page = renderReportHtml(bad, { run: HOSTILE, latestHref: HOSTILE, runHref: HOSTILE, earlier: [{ id: HOSTILE, href: HOSTILE }] as never });

    expect(page).not.toMatch(/<script/i);
    expect(page).not.toContain(`"'&<`);
    // Every section rendered the hostile text, escaped: the migration id, a state reason, a problem, a verify detail,
    // the pilot table, the checklist and the links.
    const escapedCount = page.split(ESCAPED).length - 1;
    expect(escapedCount).toBeGreaterThan(40);
    for (const where of ['<title>', 'class="reason">', '<code>batch_atomicity', 'href="']) {
      const at = page.indexOf(where);
      expect(at, where).toBeGreaterThan(-1);
    }
    expect(page).toContain(`href="${ESCAPED}"`);
  });

  it('marks rows by what they are, not where they sit', () => {
    const f = buildFixture();
    db = f.db;
    f.db
      .prepare(
        `INSERT INTO verify_results (customer_key, rivo_id, checked_at, outcome, keys_duplicated, detail)
         VALUES ('c-mig', 'r1', '2025-01-01T00:00:00Z', 'missing', 0, 'gone'), ('c-pend', 'r2', '2025-01-01T00:00:00Z', 'match', 1, 'dup')`,
      )
      .run();
    const page = renderReportHtml(collectReportData(f.db, { migrationId: f.migrationId, generatedAt: '2025-01-01T00:00:00Z', redactor: makeRedactor(false) }));
    expect(page).toContain('<tr class="row-attention"><td><strong>unmatched</strong></td>');
    expect(page).toContain('<tr><td><strong>migrated</strong></td>');
    expect(page).toContain('<tr class="row-total"><td><strong>total</strong></td>');
    expect(page).toContain('<tr class="row-missing"><td>missing</td>');
    expect(page).toContain('<tr class="row-duplicate"><td class="num">');
    expect(page).not.toMatch(/<tr class="bad"/);
    expect(page).toMatch(/tr\.row-attention td, [^{]*tr\.row-mismatch td[^{]*\{ background: #fdecec; \}/);
  });
});
