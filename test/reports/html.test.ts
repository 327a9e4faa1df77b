import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hasChromium, PNG_SIGNATURE, screenshot } from '../support/chromium.js';
import { decodePng, inkedRows, pixelsOf } from '../support/png.js';
import type { Db } from '../../src/db/open.js';
import { openDb } from '../../src/db/open.js';
import { recordExtractedPage, setCustomerState } from '../../src/ledger/customers.js';
import { writePlanReport } from '../../src/reports/plan.js';
import { buildFixture, record, tmp, UNICODE_LAST, removeTmp } from './fixture.js';

const NOW = new Date('2025-03-04T05:06:07.000Z');
const opened: Db[] = [];
afterEach(() => {
  while (opened.length) opened.pop()!.close();
  removeTmp();
});

async function fixtureHtml(redact = false) {
  const f = buildFixture();
  opened.push(f.db);
  await writePlanReport({ db: f.db, outDir: f.dir, redact, migrationId: f.migrationId, now: NOW });
  return { ...f, html: readFileSync(join(f.dir, 'report.html'), 'utf8') };
}

describe('report.html', () => {
  it('escapes hostile names: no markup from the data reaches the page', async () => {
    const { html } = await fixtureHtml();
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('Evil &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;');
    expect(html).not.toContain('<b>');
    expect(html).toContain('tier &lt;b&gt;Gold&lt;/b&gt; could not be restored'); // problem detail
  });

  it('is self-contained: no external script, style, font or image, and a CSP that forbids loading any', async () => {
    const { html } = await fixtureHtml();
    expect(html).not.toMatch(/\ssrc\s*=/i);
    expect(html).not.toMatch(/\shref\s*=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).not.toMatch(/<(script|iframe|object|embed|img)\b/i);
    expect(html).toContain("default-src 'none'");
    expect(html).toMatch(/<style>[\s\S]*@media print/);
  });

  it('shows the header, the totals check, the states table and both SVG charts', async () => {
    const { html, migrationId } = await fixtureHtml();
    expect(html).toContain(`Migration <strong>${migrationId}</strong>`);
    expect(html).toContain('2025-03-04T05:06:07.000Z');
    expect(html).toContain('Totals add up');
    expect(html).toMatch(/class="badge ok">✔ Totals add up/);
    expect(html.match(/<svg\b/g)).toHaveLength(2);
    expect(html).toContain('Customers by Yotpo points balance');
    expect(html).toContain('Yotpo points by tier');
    // Histogram buckets: 0 -> none; 1–99 -> flight 50, conf-b 80, hyper 25, script 10, held 60; 100–499 -> mig, conf-a, rej, set, rb;
    // 500–999 -> unm; 1k–5k -> pend; unparseable -> inv.
    for (const label of ['0', '1–99', '100–499', '500–999', '1k–5k', '5k–50k', '&gt;50k', 'unparseable']) expect(html).toContain(`>${label}</text>`);
    for (const [label, count] of [['0', 1], ['1–99', 5], ['100–499', 5], ['500–999', 1], ['1k–5k', 1], ['5k–50k', 0], ['&gt;50k', 0], ['unparseable', 1]])
      expect(html).toContain(`<title>${label}: ${count}</title>`);
    // states table: one row per state
    for (const s of ['pending', 'migrated', 'nothing_to_migrate', 'unmatched', 'conflict', 'rejected', 'invalid']) expect(html).toContain(`<strong>${s}</strong>`);
    expect(html).toContain(UNICODE_LAST);
  });

  it('lists the customers needing attention with their reasons, and the problems', async () => {
    const { html } = await fixtureHtml();
    expect(html).toContain('Customers needing attention (7)');
    expect(html).toContain('no Rivo customer with email zoe@example.org');
    expect(html).toContain('Rivo refused: 422 customer is blocked');
    expect(html).toContain('points_balance &quot;abc&quot; is not a number');
    expect(html).toContain('Problems (2)');
    expect(html).toContain('key found twice in Rivo for alice@example.com');
    expect(html).not.toContain('Verification'); // nothing verified yet
  });

  it('caps the attention list and says how many more are in plan.csv', async () => {
    const dir = tmp();
    const db = openDb(join(dir, 'm.sqlite'));
    opened.push(db);
    const recs = Array.from({ length: 620 }, (_, i) => record(`u${i}`, { pointsBalance: i * 100 }));
    recordExtractedPage(db, recs, { source: 'api:all', next: null, done: true });
    for (let i = 0; i < 520; i++) setCustomerState(db, `u${i}`, 'unmatched', `not in Rivo #${i}`);
    await writePlanReport({ db, outDir: dir, redact: false, migrationId: 'cap', now: NOW });
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('Customers needing attention (520)');
    expect(html).toContain('not in Rivo #499<');
    expect(html).not.toContain('not in Rivo #500<');
    expect(html).toContain('Showing the first 500; 20 more are in plan.csv');
    expect(html).toContain('<title>&gt;50k: 120</title>'); // 50_000 .. 61_900
    expect(statSync(join(dir, 'report.html')).size).toBeLessThan(1_000_000);
  });

  it('turns red when totals do not add up', async () => {
    const f = buildFixture();
    opened.push(f.db);
    f.db.prepare("UPDATE customers SET target_points = target_points + 1 WHERE key = 'c-mig'").run();
    await writePlanReport({ db: f.db, outDir: f.dir, redact: false, migrationId: f.migrationId, now: NOW });
    const html = readFileSync(join(f.dir, 'report.html'), 'utf8');
    expect(html).toMatch(/class="badge bad">✘ Totals do NOT add up/);
    expect(html).toMatch(/class="card bad"><h3>Points/);
  });

  it.skipIf(!hasChromium)('renders in headless chromium', async () => {
    const { dir } = await fixtureHtml();
    const buf = screenshot(join(dir, 'report.html'), join(dir, 'report.png'), '1200,2000');
    expect(buf.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    const pic = decodePng(buf);
    // Text down the page, not a blank or half-drawn one.
    expect(inkedRows(pic)).toBeGreaterThan(400);
    // The totals card that adds up carries its green rule, and the attention rows their pink (the CSS's own colours).
    expect(pixelsOf(pic, '#2e9e52')).toBeGreaterThan(2000);
    expect(pixelsOf(pic, '#fdecec')).toBeGreaterThan(20_000);
    expect(pixelsOf(pic, '#d23c3c')).toBe(0);
  });

  it.skipIf(!hasChromium)('a report whose totals do not add up is drawn red in the browser', async () => {
    const f = buildFixture();
    opened.push(f.db);
    f.db.prepare("UPDATE customers SET target_points = target_points + 1 WHERE key = 'c-mig'").run();
    await writePlanReport({ db: f.db, outDir: f.dir, redact: false, migrationId: f.migrationId, now: NOW });
    const pic = decodePng(screenshot(join(f.dir, 'report.html'), join(f.dir, 'report.png'), '1200,2000'));
    expect(pixelsOf(pic, '#d23c3c')).toBeGreaterThan(300);
    expect(pixelsOf(pic, '#a11b1b', 30)).toBeGreaterThan(50); // the badge's red text
  });
});
