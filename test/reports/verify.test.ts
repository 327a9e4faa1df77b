import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/open.js';
import { writePlanReport } from '../../src/reports/plan.js';
import { VERIFY_COLUMNS, writeVerifyReport } from '../../src/reports/verify.js';
import type { VerifyTotals } from '../../src/reports/verify-totals.js';
import { buildFixture, removeTmp } from './fixture.js';

const NOW = new Date('2025-03-05T00:00:00.000Z');
const opened: Db[] = [];
afterEach(() => {
  while (opened.length) opened.pop()!.close();
  removeTmp();
});

interface V {
  key: string;
  outcome: 'match' | 'mismatch' | 'missing' | 'not_checked';
  pe?: number | null;
  pa?: number | null;
  le?: number | null;
  la?: number | null;
  ce?: number | null;
  ca?: number | null;
  te?: string | null;
  ta?: string | null;
  de?: string | null;
  da?: string | null;
  ke?: number | null;
  kf?: number | null;
  kd?: number;
  detail?: string | null;
}

function addVerify(db: Db, v: V): void {
  db.prepare(
    `INSERT INTO verify_results (customer_key, rivo_id, checked_at, outcome, points_expected, points_actual, lifetime_expected, lifetime_actual,
       credits_expected, credits_actual, tier_expected, tier_actual, dob_expected, dob_actual, keys_expected, keys_found, keys_duplicated, detail)
     SELECT key, rivo_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM customers WHERE key = ?`,
  ).run(
    '2025-03-05T00:00:00.000Z',
    v.outcome,
    v.pe ?? null,
    v.pa ?? null,
    v.le ?? null,
    v.la ?? null,
    v.ce ?? null,
    v.ca ?? null,
    v.te ?? null,
    v.ta ?? null,
    v.de ?? null,
    v.da ?? null,
    v.ke ?? null,
    v.kf ?? null,
    v.kd ?? 0,
    v.detail ?? null,
    v.key,
  );
}

/** The three migrated customers of the fixture, verified: one mismatch with a duplicated key. */
function verified() {
  const f = buildFixture();
  opened.push(f.db);
  addVerify(f.db, { key: 'c-mig', outcome: 'match', pe: 400, pa: 400, le: 600, la: 600, ce: 1250, ca: 1250, te: 'Gold', ta: 'gold', de: '2000-02-29', da: '2000-02-29', ke: 4, kf: 4 });
  addVerify(f.db, {
    key: 'c-set',
    outcome: 'mismatch',
    pe: 200,
    pa: -100,
    le: 800,
    la: 800,
    ce: 0,
    ca: -50,
    ke: 1,
    kf: 2,
    kd: 1,
    detail: '=cmd|" /C calc"!A0 points differ for bob@example.com',
  });
  addVerify(f.db, { key: 'c-rb', outcome: 'match', pe: 0, pa: 0, le: 100, la: 100, ce: 0, ca: 0, ke: 2, kf: 2 });
  return f;
}

type Row = Record<(typeof VERIFY_COLUMNS)[number], string>;

describe('writeVerifyReport', () => {
  it('writes verify.csv: one row per checked customer, expected vs actual', async () => {
    const { db, dir } = verified();
    const { files } = await writeVerifyReport({ db, outDir: dir, redact: false, now: NOW });
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['verify.csv', 'verify.json', 'report.html']);
    const text = readFileSync(join(dir, 'verify.csv'), 'utf8');
    expect(text.split('\n')[0]).toBe(VERIFY_COLUMNS.join(','));
    const rows = parse(text, { columns: true }) as Row[];
    expect(rows.map((r) => r.yotpo_key)).toEqual(['c-mig', 'c-set', 'c-rb']); // seq order
    expect(rows[0]).toMatchObject({ outcome: 'match', differs: '', points_expected: '400', credit_expected: '12.50', credit_actual: '12.50', tier_actual: 'gold', email: 'alice@example.com' });
    expect(rows[1]).toMatchObject({
      outcome: 'mismatch',
      differs: 'points, credits, keys, duplicated keys',
      points_expected: '200',
      points_actual: '-100',
      credit_actual: '-0.50',
      keys_found: '2',
      keys_duplicated: '1',
      detail: `'=cmd|" /C calc"!A0 points differ for bob@example.com`,
    });
    expect(text).toMatch(/,-100,/); // negative numbers bare
    expect(text).toMatch(/,-0\.50,/);
  });

  it('writes verify.json: counts per outcome, sums, duplicates, allMatch', async () => {
    const { db, dir, migrationId } = verified();
    const { totals } = await writeVerifyReport({ db, outDir: dir, redact: false, now: NOW });
    const json = JSON.parse(readFileSync(join(dir, 'verify.json'), 'utf8')) as VerifyTotals;
    expect(json).toEqual(totals);
    expect(json).toMatchObject({
      migrationId,
      generatedAt: NOW.toISOString(),
      checked: 3,
      outcomes: { match: 2, mismatch: 1, missing: 0, not_checked: 0 },
      points: { expected: 600, actual: 300, difference: -300 },
      lifetime: { expected: 1500, actual: 1500, difference: 0 },
      credits: { unit: 'cents', expected: 1250, actual: 1200, difference: -50, decimal: { expected: '12.50', actual: '12.00', difference: '-0.50' } },
      keys: { expected: 7, found: 8, duplicated: 1 },
      duplicates: 1,
      migratedNotVerified: 0,
      allMatch: false,
    });
    for (const f of ['verify.csv', 'verify.json', 'report.html']) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
  });

  it('allMatch only when every checked customer matches and every migrated customer was checked', async () => {
    const { db, dir } = verified();
    db.prepare("UPDATE verify_results SET outcome = 'match', points_actual = points_expected, credits_actual = credits_expected, keys_found = keys_expected, keys_duplicated = 0 WHERE customer_key = 'c-set'").run();
    expect((await writeVerifyReport({ db, outDir: dir, redact: false, now: NOW })).totals.allMatch).toBe(true);
    db.prepare("DELETE FROM verify_results WHERE customer_key = 'c-rb'").run();
    const t = (await writeVerifyReport({ db, outDir: dir, redact: false, now: NOW })).totals;
    expect(t.migratedNotVerified).toBe(1);
    expect(t.allMatch).toBe(false);
    db.prepare('DELETE FROM verify_results').run();
    const empty = (await writeVerifyReport({ db, outDir: dir, redact: false, now: NOW })).totals;
    expect(empty.checked).toBe(0);
    expect(empty.allMatch).toBe(false);
  });

  it('re-renders report.html with the verification section, from the same renderer as the plan', async () => {
    const f = buildFixture();
    opened.push(f.db);
    await writePlanReport({ db: f.db, outDir: f.dir, redact: false, migrationId: f.migrationId, now: NOW });
    expect(readFileSync(join(f.dir, 'report.html'), 'utf8')).not.toContain('<h2>Verification');
    f.db.close();
    opened.pop();
    const { db, dir, migrationId } = verified();
    await writePlanReport({ db, outDir: dir, redact: false, migrationId, now: NOW });
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<h2>Verification'); // one renderer: whatever data exists
    await writeVerifyReport({ db, outDir: dir, redact: false, now: NOW });
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Verification');
    expect(html).toContain('Verification found differences');
    expect(html).toContain('Customers by state'); // plan sections still there
    expect(html.match(/<svg\b/g)).toHaveLength(2);
    expect(html).toContain('points, credits, keys, duplicated keys');
    expect(html).toContain('200 → -100');
    const section = html.slice(html.indexOf('<h2>Verification'));
    expect(section).toContain('>c-set@example.com<');
    expect(section).not.toContain('>alice@example.com<'); // matching customers are not listed
    expect(html).not.toMatch(/<script/i);
  });

  it('redacts verify.csv, verify.json and report.html', async () => {
    const { db, dir } = verified();
    await writeVerifyReport({ db, outDir: dir, redact: true, now: NOW });
    const rows = parse(readFileSync(join(dir, 'verify.csv'), 'utf8'), { columns: true }) as Row[];
    expect(rows[0]).toMatchObject({ email: 'a***@example.com', first_name: 'A.', last_name: 'S.' });
    expect(rows[1]!.detail).toContain('b***@example.com');
    for (const f of ['verify.csv', 'verify.json', 'report.html']) {
      const text = readFileSync(join(dir, f), 'utf8');
      for (const email of ['alice@example.com', 'bob@example.com', 'zoe@example.org', 'mallory@example.com']) expect(text).not.toContain(email);
      expect(text).not.toContain('Alice');
    }
  });
});
