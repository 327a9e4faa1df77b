import { chmodSync, existsSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { CUSTOMER_STATES } from '../../src/domain.js';
import type { Db } from '../../src/db/open.js';
import { recordExtractedPage, recordProblem, setCustomerState } from '../../src/ledger/customers.js';
import { holdCustomer } from '../../src/ledger/plan.js';
import { PLAN_COLUMNS, writePlanReport } from '../../src/reports/plan.js';
import type { PlanTotals } from '../../src/reports/totals.js';
import { buildFixture, EXPECTED, HYPERLINK, record, SCRIPT_NAME, tmp, UNICODE_FIRST, UNICODE_LAST, removeTmp } from './fixture.js';

const NOW = new Date('2025-03-04T05:06:07.000Z');
const opened: Db[] = [];
afterEach(() => {
  while (opened.length) opened.pop()!.close();
  removeTmp();
});

function fixture() {
  const f = buildFixture();
  opened.push(f.db);
  return f;
}

type Row = Record<(typeof PLAN_COLUMNS)[number], string>;
const readCsv = (path: string): Row[] => parse(readFileSync(path, 'utf8'), { columns: true, skip_empty_lines: true }) as Row[];
const byKey = (rows: Row[], key: string) => {
  const r = rows.find((x) => x.yotpo_key === key);
  if (!r) throw new Error(`no row for ${key}`);
  return r;
};

describe('writePlanReport: plan.csv', () => {
  it('writes one row per Yotpo customer in seq order, with every column', async () => {
    const { db, dir, migrationId } = fixture();
    const out = join(dir, 'out');
    const { files } = await writePlanReport({ db, outDir: out, redact: false, migrationId, now: NOW });
    expect(files.map((f) => f.slice(out.length + 1))).toEqual(['plan.csv', 'plan.json', 'report.html']);
    const text = readFileSync(join(out, 'plan.csv'), 'utf8');
    expect(text.charCodeAt(0)).not.toBe(0xfeff); // no BOM
    expect(text.split('\n')[0]).toBe(PLAN_COLUMNS.join(','));
    const rows = readCsv(join(out, 'plan.csv'));
    expect(rows).toHaveLength(EXPECTED.customers);
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: EXPECTED.customers }, (_, i) => i + 1));
    expect(rows[0]!.yotpo_key).toBe('c-mig');

    const mig = byKey(rows, 'c-mig');
    expect(mig).toMatchObject({
      email: 'alice@example.com',
      third_party_id: '1001',
      first_name: 'Alice',
      last_name: 'Smith',
      yotpo_points_balance: '300',
      yotpo_points_earned: '500',
      yotpo_credit: '12.50',
      yotpo_tier: 'Gold',
      yotpo_birthday: '02-29',
      rivo_id: 'r-mig',
      rivo_points_before: '100',
      rivo_lifetime_before: '100',
      rivo_credit_before: '0.00',
      events_planned: '4',
      events_points: '300',
      events_credit: '12.50',
      target_points: '300',
      target_credit: '12.50',
      predicted_points: '400',
      predicted_lifetime: '600',
      predicted_credit: '12.50',
      predicted_tier: 'Gold',
      predicted_dob: '2000-02-29',
      state: 'migrated',
      reason: '',
    });
    // Cancelled events are not counted; rollback events are (the row shows the customer's net effect).
    expect(byKey(rows, 'c-held')).toMatchObject({ events_planned: '0', events_points: '0', state: 'conflict', reason: 'same Rivo customer r-dup2 as another record' });
    expect(byKey(rows, 'c-rb')).toMatchObject({ events_planned: '2', events_points: '0', state: 'migrated' });
    expect(byKey(rows, 'c-flight')).toMatchObject({ events_planned: '2', events_points: '50', events_credit: '5.00', state: 'pending' });
    // Reason: state_reason and plan notes joined with "; ".
    expect(byKey(rows, 'c-rej').reason).toBe('Rivo refused: 422 customer is blocked');
    expect(byKey(rows, 'c-pend').reason).toBe('tier "Silver" not set: Rivo has no tier of that name; add it to mapping.tierMap');
    expect(byKey(rows, 'c-inv')).toMatchObject({ state: 'invalid', yotpo_points_balance: '', yotpo_credit: '', reason: 'points_balance "abc" is not a number' });
    expect(byKey(rows, 'c-unm')).toMatchObject({ state: 'unmatched', rivo_id: '', target_points: '', events_planned: '0' });
    for (const s of CUSTOMER_STATES) expect(rows.some((r) => r.state === s)).toBe(true);
  });

  it('escapes formula injection in text cells but leaves negative numbers as numbers', async () => {
    const { db, dir, migrationId } = fixture();
    await writePlanReport({ db, outDir: dir, redact: false, migrationId, now: NOW });
    const text = readFileSync(join(dir, 'plan.csv'), 'utf8');
    const rows = readCsv(join(dir, 'plan.csv'));
    const hyper = byKey(rows, 'c-hyper');
    expect(hyper.first_name).toBe(`'${HYPERLINK}`);
    expect(hyper.last_name).toBe("'@SUM(A1:A9)");
    const set = byKey(rows, 'c-set');
    expect(set.events_points).toBe('-300');
    expect(set.target_points).toBe('-300');
    expect(set.predicted_points).toBe('200');
    // No cell anywhere starts a formula.
    for (const r of rows) for (const v of Object.values(r)) if (!/^-\d+(\.\d+)?$/.test(v)) expect(v).not.toMatch(/^[=+\-@\t\r]/);
    // In the raw file the negative number is bare (not quoted, not prefixed).
    const setLine = text.split('\n').find((l) => l.includes(',c-set,'))!;
    expect(setLine).toMatch(/,-300,/);
    expect(setLine).not.toContain("'-300");
  });

  it('keeps unicode names intact (UTF-8)', async () => {
    const { db, dir, migrationId } = fixture();
    await writePlanReport({ db, outDir: dir, redact: false, migrationId, now: NOW });
    const buf = readFileSync(join(dir, 'plan.csv'));
    expect(buf.includes(Buffer.from(UNICODE_LAST, 'utf8'))).toBe(true);
    const unm = byKey(readCsv(join(dir, 'plan.csv')), 'c-unm');
    expect(unm.first_name).toBe(UNICODE_FIRST);
    expect(unm.last_name).toBe(UNICODE_LAST);
    expect(byKey(readCsv(join(dir, 'plan.csv')), 'c-script').first_name).toBe(SCRIPT_NAME); // CSV is data, not markup
  });

  it('streams a large ledger across chunk boundaries in seq order', async () => {
    const dir = tmp();
    const { openDb } = await import('../../src/db/open.js');
    const db = openDb(join(dir, 'm.sqlite'));
    opened.push(db);
    const N = 2_345;
    const recs = Array.from({ length: N }, (_, i) => record(`k${String(i).padStart(5, '0')}`, { pointsBalance: i, pointsEarned: i }));
    for (let i = 0; i < N; i += 500) recordExtractedPage(db, recs.slice(i, i + 500), { source: 'api:all', next: String(i), done: i + 500 >= N });
    const { totals } = await writePlanReport({ db, outDir: join(dir, 'out'), redact: false, migrationId: 'big', now: NOW });
    const rows = readCsv(join(dir, 'out', 'plan.csv'));
    expect(rows).toHaveLength(N);
    expect(rows.every((r, i) => r.seq === String(i + 1) && r.yotpo_points_balance === String(i))).toBe(true);
    expect(totals.points.planned).toBe((N * (N - 1)) / 2);
    expect(totals.checks.pointsAddUp).toBe(true);
  });

  it('keeps memory bounded: rows are streamed, not loaded (40k customers with 3 KB reasons ≈ 120 MB if loaded)', async () => {
    const dir = tmp();
    const { openDb } = await import('../../src/db/open.js');
    const db = openDb(join(dir, 'm.sqlite'));
    opened.push(db);
    const N = 40_000;
    const long = 'r'.repeat(3000);
    for (let i = 0; i < N; i += 5000) {
      const recs = Array.from({ length: 5000 }, (_, j) => record(`k${i + j}`, { pointsBalance: null, invalidReason: `${long} ${i + j}` }));
      recordExtractedPage(db, recs, { source: 'api:all', next: String(i), done: false });
    }
    const base = process.memoryUsage().heapUsed;
    let peak = base;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 2);
    try {
      await writePlanReport({ db, outDir: join(dir, 'out'), redact: false, migrationId: 'mem', now: NOW });
    } finally {
      clearInterval(timer);
    }
    // Streaming measures ~45 MB of transient garbage here; loading every row measures ~250 MB.
    expect((peak - base) / 1e6).toBeLessThan(120);
    expect(statSync(join(dir, 'out', 'plan.csv')).size).toBeGreaterThan(N * 3000);
  });
});

describe('writePlanReport without the page, while its caller goes on (migrate writes plan.csv during verify)', () => {
  it('plan.json holds the totals as they were when it was called; plan.csv is complete once it resolves', async () => {
    const { db, dir, migrationId } = fixture();
    const out = join(dir, 'out');
    const problemsBefore = db.prepare('SELECT count(*) FROM problems').pluck().get() as number;
    const writing = writePlanReport({ db, outDir: out, redact: false, migrationId, now: NOW, html: false });
    // What verify does meanwhile: it records problems (and nothing plan.csv reads).
    recordProblem(db, { customerKey: 'c-mig', kind: 'verify_mismatch', detail: 'written while plan.csv was being written' });
    const { files, totals } = await writing;
    expect(files.map((f) => f.slice(out.length + 1))).toEqual(['plan.csv', 'plan.json']);
    const json = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')) as PlanTotals;
    expect(json.problems).toBe(problemsBefore);
    expect(json.problemsByKind.verify_mismatch).toBeUndefined();
    expect(json).toEqual(totals);
    expect(readCsv(join(out, 'plan.csv'))).toHaveLength(EXPECTED.customers);
  });
});

describe('writePlanReport: plan.json totals', () => {
  async function totalsOf(db: Db, dir: string, migrationId: string): Promise<{ totals: PlanTotals; json: PlanTotals }> {
    const { totals } = await writePlanReport({ db, outDir: dir, redact: false, migrationId, now: NOW });
    return { totals, json: JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as PlanTotals };
  }

  it('counts every state, and customers read = sum over states', async () => {
    const { db, dir, migrationId } = fixture();
    const { totals, json } = await totalsOf(db, dir, migrationId);
    expect(json).toEqual(totals);
    expect(json.migrationId).toBe(migrationId);
    expect(json.generatedAt).toBe(NOW.toISOString());
    expect(json.customers).toBe(EXPECTED.customers);
    expect(json.states).toEqual(EXPECTED.states);
    expect(Object.keys(json.states).sort()).toEqual([...CUSTOMER_STATES].sort());
    expect(json.checks.customersAddUp).toBe(true);
    expect(json.checks.customers).toEqual({ read: 14, sumOfStates: 14 });
    expect(json.attention).toBe(EXPECTED.attention);
    expect(json.problems).toBe(EXPECTED.problems);
    expect(json.problemsByKind).toEqual({ duplicate: 1, tier_not_restorable: 1 });
  });

  it('points: planned = migrated + pending + other, each side what the fixture implies', async () => {
    const { db, dir, migrationId } = fixture();
    const { json } = await totalsOf(db, dir, migrationId);
    const p = json.points;
    expect(p.planned).toBe(EXPECTED.points.planned);
    expect(p.planned).toBe(2545);
    expect(p.migrated).toBe(EXPECTED.points.migrated);
    expect(p.pending).toBe(EXPECTED.points.pending);
    expect(p.other).toBe(EXPECTED.points.other);
    expect(p.otherFrom).toEqual({ rejectedEvents: 400, notPlanned: 995 });
    expect(p.accounted).toBe(p.migrated + p.pending + p.other);
    expect(p.accounted).toBe(EXPECTED.points.planned);
    expect(p.difference).toBe(0);
    expect(p.byState).toEqual(EXPECTED.points.byState);
    expect(p.otherByState).toMatchObject({ rejected: 400, unmatched: 710, conflict: 260, pending: 25, invalid: 0, migrated: 0 });
    expect(p.rolledBack).toEqual({ done: EXPECTED.points.rolledBackDone, pending: 0 });
    expect(p.unparseable).toBe(1);
    expect(json.checks.pointsAddUp).toBe(true);
    expect(json.checks.points).toEqual({ planned: 2545, accounted: 2545 });
  });

  it('credits: the same identity in cents, and as decimal strings', async () => {
    const { db, dir, migrationId } = fixture();
    const { json } = await totalsOf(db, dir, migrationId);
    const c = json.credits;
    expect(c.unit).toBe('cents');
    expect([c.planned, c.migrated, c.pending, c.other]).toEqual([EXPECTED.credits.planned, EXPECTED.credits.migrated, EXPECTED.credits.pending, EXPECTED.credits.other]);
    expect(c.decimal).toMatchObject({ planned: '19.50', migrated: '12.50', pending: '5.00', other: '2.00', accounted: '19.50', difference: '0.00' });
    expect(json.checks.creditsAddUp).toBe(true);
  });

  it('lifetime and tiers', async () => {
    const { db, dir, migrationId } = fixture();
    const { json } = await totalsOf(db, dir, migrationId);
    // Yotpo points_earned as read (invalid: null).
    expect(json.lifetime.yotpo).toBe(500 + 1000 + 50 + 0 + 900 + 120 + 80 + 400 + 25 + 10 + 200 + 100 + 60);
    // targets for planned customers (set: 0), points_earned for the others.
    expect(json.lifetime.planned).toBe(500 + 1000 + 50 + 0 + 400 + 0 + 100 + 900 + 120 + 80 + 60 + 25 + 10);
    expect(json.tiers).toEqual({ mapped: { Gold: 1 }, unmapped: { Silver: 1 }, notPlanned: { Gold: 1 } });
  });

  it('a ledger that does not account for the plan makes pointsAddUp false', async () => {
    const { db, dir, migrationId } = fixture();
    // A done event whose amount differs from what was planned (a bug, a manual edit): 7 points nobody planned.
    db.prepare("UPDATE events SET points_amount = points_amount + 7 WHERE key = 'y2r:test:c-mig:earned:0'").run();
    const { json } = await totalsOf(db, dir, migrationId);
    expect(json.points.planned).toBe(2545);
    expect(json.points.migrated).toBe(EXPECTED.points.migrated + 7);
    expect(json.points.accounted).toBe(2552);
    expect(json.points.difference).toBe(-7);
    expect(json.checks.pointsAddUp).toBe(false);
    expect(json.checks.creditsAddUp).toBe(true);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('Totals do NOT add up');
  });

  it('a planned event lost from the ledger, and a credit target nobody sent, are caught', async () => {
    const { db, dir, migrationId } = fixture();
    db.prepare("DELETE FROM events WHERE key = 'y2r:test:c-pend:earned:0'").run();
    db.prepare("UPDATE customers SET target_credits = 999 WHERE key = 'c-none'").run();
    const { json } = await totalsOf(db, dir, migrationId);
    expect(json.points.pending).toBe(50);
    expect(json.points.difference).toBe(1000);
    expect(json.checks.pointsAddUp).toBe(false);
    expect(json.credits.difference).toBe(999);
    expect(json.checks.creditsAddUp).toBe(false);
  });

  it('a held customer owes its Yotpo balance, not a stale target', async () => {
    const { db, dir, migrationId } = fixture();
    // c-unm becomes planned-looking by a stale target: still held, still owed its balance.
    db.prepare("UPDATE customers SET target_points = 12345 WHERE key = 'c-unm'").run();
    const { json } = await totalsOf(db, dir, migrationId);
    expect(json.points.byState.unmatched).toBe(710);
    expect(json.checks.pointsAddUp).toBe(true);
    setCustomerState(db, 'c-unm', 'pending', null); // no longer held: the (now unsent) target counts, and nothing accounts for it
    const again = await totalsOf(db, dir, migrationId);
    expect(again.json.points.byState.pending).toBe(1075 + 12345);
    expect(again.json.checks.pointsAddUp).toBe(false);
  });

  it('an invalid customer planned before its record became unreadable still owes its target', async () => {
    const { db, dir, migrationId } = fixture();
    recordExtractedPage(db, [record('c-pend', { email: 'bob@example.com', pointsBalance: null, pointsEarned: null, invalidReason: 'points_balance "1e3" is not a whole number', valuesHash: 'changed' })], {
      source: 'api:recent',
      next: null,
      done: true,
    });
    const { json } = await totalsOf(db, dir, migrationId);
    expect(json.states.invalid).toBe(2);
    expect(json.points.unparseable).toBe(2);
    expect(json.points.byState.invalid).toBe(1000);
    expect(json.points.pending).toBe(1050); // its planned event still stands
    expect(json.points.planned).toBe(2545);
    expect(json.checks.pointsAddUp).toBe(true);
  });

  it('a customer skipped by the identity map owes nothing', async () => {
    const { db, dir, migrationId } = fixture();
    holdCustomer(db, 'c-hyper', 'nothing_to_migrate', 'mapping.identityMap says "skip" for hyper@example.com');
    const { json } = await totalsOf(db, dir, migrationId);
    expect(json.points.byState.nothing_to_migrate).toBe(0);
    expect(json.points.planned).toBe(2545 - 25);
    expect(json.points.other).toBe(EXPECTED.points.other - 25);
    expect(json.checks.pointsAddUp).toBe(true);
  });

  it('an empty DB gives zero totals that add up', async () => {
    const dir = tmp();
    const { openDb } = await import('../../src/db/open.js');
    const db = openDb(join(dir, 'm.sqlite'));
    opened.push(db);
    const { totals } = await writePlanReport({ db, outDir: join(dir, 'out'), redact: false, migrationId: 'empty', now: NOW });
    expect(totals.customers).toBe(0);
    expect(totals.points.planned).toBe(0);
    expect(totals.checks).toMatchObject({ customersAddUp: true, pointsAddUp: true, creditsAddUp: true });
    expect(readCsv(join(dir, 'out', 'plan.csv'))).toHaveLength(0);
    expect(readFileSync(join(dir, 'out', 'report.html'), 'utf8')).toContain('<svg');
  });
});

describe('writePlanReport: files', () => {
  it('creates the out dir 0700 and every file 0600, replacing a wider existing file', async () => {
    const { db, dir, migrationId } = fixture();
    const out = join(dir, 'nested', 'reports');
    await writePlanReport({ db, outDir: out, redact: false, migrationId, now: NOW });
    expect(statSync(out).mode & 0o777).toBe(0o700);
    for (const f of ['plan.csv', 'plan.json', 'report.html']) expect(statSync(join(out, f)).mode & 0o777).toBe(0o600);
    chmodSync(join(out, 'plan.csv'), 0o644);
    writeFileSync(join(out, 'report.html'), 'old');
    chmodSync(join(out, 'report.html'), 0o666);
    await writePlanReport({ db, outDir: out, redact: false, migrationId, now: NOW });
    for (const f of ['plan.csv', 'plan.json', 'report.html']) expect(statSync(join(out, f)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<!DOCTYPE html>');
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]); // no temp file left behind
  });

  it('leaves an existing out dir as it is', async () => {
    const { db, dir, migrationId } = fixture();
    chmodSync(dir, 0o755);
    await writePlanReport({ db, outDir: dir, redact: false, migrationId, now: NOW });
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    expect(existsSync(join(dir, 'plan.csv'))).toBe(true);
  });
});

describe('writePlanReport: redaction', () => {
  it('masks emails and reduces names to initials in all three files', async () => {
    const { db, dir, migrationId } = fixture();
    const out = join(dir, 'redacted');
    await writePlanReport({ db, outDir: out, redact: true, migrationId, now: NOW });
    const rows = readCsv(join(out, 'plan.csv'));
    expect(byKey(rows, 'c-mig')).toMatchObject({ email: 'a***@example.com', first_name: 'A.', last_name: 'S.' });
    expect(byKey(rows, 'c-unm')).toMatchObject({ email: 'z***@example.org', first_name: 'Z. Å.', reason: 'no Rivo customer with email z***@example.org' });
    expect(byKey(rows, 'c-hyper').first_name).toBe("'=. M."); // =HYPERLINK(... "click me")
    const files = ['plan.csv', 'plan.json', 'report.html'].map((f) => readFileSync(join(out, f), 'utf8'));
    for (const text of files) {
      for (const email of ['alice@example.com', 'zoe@example.org', 'bob@example.com', 'mallory@example.com', 'hyper@example.com', 'dup@example.com'])
        expect(text.toLowerCase()).not.toContain(email);
      for (const name of ['Alice', 'Smith', UNICODE_FIRST, 'Ångström', '山田太郎', 'alert(1)']) expect(text).not.toContain(name);
    }
    const html = files[2]!;
    expect(html).toContain('z***@example.org');
    expect(html).toContain('m***@example.com');
    expect(html).toContain('a***@example.com'); // inside the problem detail
    expect(html).toContain('emails and names redacted');
  });
});
