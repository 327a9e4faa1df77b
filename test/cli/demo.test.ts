import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/commands/demo.js';
import { hasChromium, PNG_SIGNATURE, renderedDom, screenshot } from '../support/chromium.js';

describe('demo (what `npm start` runs)', () => {
  it('migrates a faulty sandbox shop, verifies it, and leaves a report a browser can show', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'y2r-demo-'));
    const result = await runDemo({ json: false, customers: 120, seed: 11, faults: true }, { cwd });
    expect(result.exitCode).toBe(0);

    const ledger = result.summary.sandboxLedger as { events: number; distinctKeys: number; duplicateKeys: number; emails: number };
    expect(ledger.events).toBeGreaterThan(50);
    expect(ledger.duplicateKeys).toBe(0);
    expect(ledger.distinctKeys).toBe(ledger.events);
    expect(ledger.emails).toBe(0);

    const reports = join(cwd, 'demo-output', 'reports');
    for (const f of ['plan.csv', 'plan.json', 'report.html', 'verify.csv', 'verify.json', 'yotpo-to-rivo.log']) expect(existsSync(join(reports, f)), f).toBe(true);
    const verify = JSON.parse(readFileSync(join(reports, 'verify.json'), 'utf8'));
    expect(verify.outcomes.mismatch).toBe(0);
    expect(verify.outcomes.missing).toBe(0);
    expect(verify.outcomes.match).toBeGreaterThan(80);
    const plan = JSON.parse(readFileSync(join(reports, 'plan.json'), 'utf8'));
    expect(plan.customers).toBe(120);
    expect(plan.checks.customersAddUp).toBe(true);
    expect(plan.checks.pointsAddUp).toBe(true);

    // Running it again starts afresh (npm start twice in a row must work).
    const again = await runDemo({ json: false, customers: 40, seed: 12, faults: false }, { cwd });
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(join(reports, 'plan.json'), 'utf8')).customers).toBe(40);
  });

  it.skipIf(!hasChromium)('the report renders in headless Chromium with its totals, states and charts', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'y2r-demo-browser-'));
    expect((await runDemo({ json: false, customers: 60, seed: 5, faults: false }, { cwd })).exitCode).toBe(0);
    const html = join(cwd, 'demo-output', 'reports', 'report.html');
    const png = screenshot(html, join(cwd, 'report.png'));
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(png.length).toBeGreaterThan(20_000); // a blank page is a few kB
    const dom = renderedDom(html);
    expect(dom).toMatch(/<svg/);
    expect(dom).toMatch(/migrated/i);
    expect(dom).toMatch(/unmatched|conflict|invalid/i);
    expect(dom).toMatch(/[Vv]erif/);
  });
});
