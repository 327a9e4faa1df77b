import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { migrationId, openDb, type Db } from '../../src/db/open.js';
import { extract } from '../../src/extract/extractor.js';
import { validateRecord } from '../../src/extract/validate.js';
import { widenCache } from '../../src/ledger/cache.js';
import { savepointJournalInMemory } from '../../src/ledger/sub-journal.js';
import { getCustomer, readCursor, recordExtractedPage } from '../../src/ledger/customers.js';
import { eventsOf, markDone, markInFlight } from '../../src/ledger/events.js';
import { plan } from '../../src/plan/planner.js';
import { rivoClientFromConfig, type RivoClient } from '../../src/rivo/client.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { testConfig, tmpDir } from '../extract/helpers.js';

/**
 * Issue 13: a dry run of a million customers. What it costs is SQL statements per record, so these tests count them
 * (every statement the ledger runs is prepared through `db.prepare`): a fresh plan and a CSV extraction must stay
 * within a few per record, and what the fast paths skip must not change what is planned.
 */

let sb: Sandbox | undefined;
let db: Db | undefined;
let rivo: RivoClient | undefined;

afterEach(async () => {
  await rivo?.close();
  db?.close();
  await sb?.close();
  sb = undefined;
  db = undefined;
  rivo = undefined;
});

/** Counts executions of every statement prepared from now on, and the whole customer rows they return. */
function countStatements(d: Db): { n: number; wholeCustomerRows: number } {
  const counter = { n: 0, wholeCustomerRows: 0 };
  const prepare = d.prepare.bind(d);
  d.prepare = ((sql: string) => {
    const st = prepare(sql);
    const whole = /^SELECT \* FROM customers\b/.test(sql);
    for (const m of ['run', 'get', 'all', 'iterate'] as const) {
      const f = (st[m] as (...a: unknown[]) => unknown).bind(st);
      (st as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
        counter.n++;
        const out = f(...a);
        if (whole && m === 'all') counter.wholeCustomerRows += (out as unknown[]).length;
        else if (whole && m === 'get' && out !== undefined) counter.wholeCustomerRows++;
        return out;
      };
    }
    return st;
  }) as Db['prepare'];
  return counter;
}

async function setup(customers: number): Promise<{ db: Db; config: Config; rivo: RivoClient; sb: Sandbox }> {
  sb = await startSandbox({ customers, seed: 41, awkward: 0.2 });
  const path = join(tmpDir('bulk'), 'm.sqlite');
  const base = testConfig(path);
  const config: Config = { ...base, rivo: { ...base.rivo, baseUrl: sb.rivoUrl, rps: 1000 } };
  db = openDb(path);
  rivo = rivoClientFromConfig(config, { yotpoGuid: null, yotpoApiKey: null, rivoApiKey: sb.credentials.rivoApiKey });
  return { db, config, rivo, sb };
}

function store(d: Db, records: Record<string, unknown>[], page: number) {
  const rows = records.map((raw, i) => validateRecord(raw, { source: 'api', position: () => `p${page}:${i}` }).record);
  recordExtractedPage(d, rows, { source: 'api:recent', next: `c${page}`, done: false });
}

describe('bulk passes (issue 13)', () => {
  it('a first plan asks the ledger a few statements per customer, and plans what the per-customer path plans', async () => {
    const { db: d, config, rivo: r, sb: s } = await setup(400);
    const counter = countStatements(d);
    const all = s.shop.yotpoCustomers;
    for (let i = 0; i < all.length; i += 100) store(d, all.slice(i, i + 100), i);
    const before = counter.n;
    const rowsBefore = counter.wholeCustomerRows;
    const summary = await plan({ db: d, config, rivo: r, migrationId: migrationId(d), scope: 'all' });
    const perCustomer = (counter.n - before) / summary.considered;
    // Matching reads only the identity columns; planning reads each whole row (about 1 KB) once.
    expect(counter.wholeCustomerRows - rowsBefore).toBe(summary.considered);
    expect(summary.planned).toBeGreaterThan(300);
    // 31 per customer before the fast path (each "posted?", "unsettled?", "continues?" and event status asked apart,
    // identities resolved twice), 13.5 with it, 10.6 once the customer row is written in one statement instead of four.
    expect(perCustomer).toBeLessThan(12);

    // Planned again with one event done: no fast path, and every customer still planned the same way.
    const keys = all.map((c) => String(c.email)).filter((k) => getCustomer(d, k)?.state === 'pending');
    const snapshot = (k: string) =>
      eventsOf(d, k)
        .filter((e) => e.status === 'planned')
        .map((e) => [e.key, e.points_amount, e.credits_cents, e.value].join('|'));
    const plannedFirst = new Map(keys.map((k) => [k, snapshot(k)]));
    // What the customer row says about the plan (times aside): the fast path writes it in one statement.
    const rowOf = (k: string) => {
      const { rivo_seen_at: _seen, planned_at: _planned, state_changed_at: _changed, ...rest } = getCustomer(d, k)!;
      return rest;
    };
    const everyone = all.map((c) => String(c.email)).filter((k) => getCustomer(d, k));
    const rowsFirst = new Map(everyone.map((k) => [k, rowOf(k)]));
    expect(new Set(everyone.map((k) => getCustomer(d, k)!.state))).toEqual(new Set(['pending', 'conflict', 'invalid', 'unmatched']));
    const sent = eventsOf(d, keys[0]!).find((e) => e.status === 'planned')!;
    markInFlight(d, [sent.key], 'b1');
    markDone(d, [{ key: sent.key }]);
    const beforeSecond = counter.n;
    const again = await plan({ db: d, config, rivo: r, migrationId: migrationId(d), scope: 'all' });
    expect((counter.n - beforeSecond) / again.considered).toBeGreaterThan(perCustomer);
    for (const k of keys.slice(1)) expect(snapshot(k)).toEqual(plannedFirst.get(k));
    for (const k of everyone.filter((k) => k !== keys[0])) expect(rowOf(k)).toEqual(rowsFirst.get(k));
    // The customer with a sent event is re-planned as a delta over it (the slow path), the sent event untouched.
    expect(eventsOf(d, keys[0]!).find((e) => e.key === sent.key)?.status).toBe('done');
    expect(snapshot(keys[0]!).some((e) => e.startsWith(`${sent.key}|`))).toBe(false);
  });

  it('a CSV extraction stores a new record with one statement (and one for the keys seen), pages several to a commit', async () => {
    const path = join(tmpDir('bulkcsv'), 'm.sqlite');
    db = openDb(path);
    const counter = countStatements(db);
    const lines = ['Email,Customer ID,First Name,Last Name,Points Balance,Points Earned'];
    for (let i = 0; i < 3000; i++) lines.push(`shopper${i}@example.com,${9_000_000 + i},N${i},M,${i},${i * 2}`);
    lines.push('shopper7@example.com,9000007,N7,M,7,14'); // read twice: looked up, left as it was
    const file = join(tmpDir('bulkcsv'), 'export.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const s = await extract({ db, config: testConfig(path), csvPath: file });
    expect(s).toMatchObject({ records: 3001, added: 3000, repeated: 1, pages: 7, done: true });
    expect(readCursor(db, `csv:${file}`)).toMatchObject({ pagesRead: 7, recordsRead: 3001, done: true });
    // 6 per record before (alias, lookup, insert, pass stamp; seen-keys lookup and insert).
    expect(counter.n / 3001).toBeLessThan(2.5);
    const seen = db.prepare('SELECT count(*) FROM customers WHERE seen_pass IS NOT NULL').pluck().get();
    expect(seen).toBe(3000);
  });

  it('the bulk settings are put back once the last holder releases them', () => {
    db = openDb(join(tmpDir('bulkcache'), 'm.sqlite'));
    const cache = () => db!.pragma('cache_size', { simple: true });
    const ckpt = () => db!.pragma('wal_autocheckpoint', { simple: true });
    const [c0, k0] = [cache(), ckpt()];
    const a = widenCache(db, 16);
    const b = widenCache(db, 16);
    expect(cache()).toBe(-16 * 1024);
    expect(ckpt()).toBeGreaterThan(k0 as number);
    a();
    a();
    expect(cache()).toBe(-16 * 1024);
    b();
    expect([cache(), ckpt()]).toEqual([c0, k0]);
  });
  it('a plan keeps its savepoint journals in memory while it writes, and puts the setting back', async () => {
    const { db: d, config, rivo: r, sb: s } = await setup(60);
    const all = s.shop.yotpoCustomers;
    store(d, all, 0);
    const tempStore = () => d.pragma('temp_store', { simple: true });
    const before = tempStore();
    const seen = new Set<unknown>();
    await plan({ db: d, config, rivo: r, migrationId: migrationId(d), scope: 'all', onProgress: (p) => p.phase === 'plan' && seen.add(tempStore()) });
    // 2 is MEMORY: each customer's savepoint journal, which SQLite otherwise moves to a file past 64 KiB.
    expect([...seen]).toEqual([2]);
    expect(tempStore()).toBe(before);
  });

  it("leaves temp_store alone while a temporary table exists (changing it would drop an extraction's seen keys)", async () => {
    const { db: d, config, rivo: r, sb: s } = await setup(40);
    store(d, s.shop.yotpoCustomers, 0);
    d.exec("CREATE TEMP TABLE seen_beside (key TEXT PRIMARY KEY); INSERT INTO seen_beside VALUES ('a')");
    const before = d.pragma('temp_store', { simple: true });
    const seen = new Set<unknown>();
    const summary = await plan({ db: d, config, rivo: r, migrationId: migrationId(d), scope: 'all', onProgress: (p) => p.phase === 'plan' && seen.add(d.pragma('temp_store', { simple: true })) });
    expect(summary.planned).toBeGreaterThan(0);
    expect([...seen]).toEqual([before]);
    expect(d.prepare('SELECT key FROM temp.seen_beside').pluck().all()).toEqual(['a']);
    // Inside a transaction it changes nothing either.
    d.exec('DROP TABLE temp.seen_beside; BEGIN');
    savepointJournalInMemory(d)();
    expect(d.pragma('temp_store', { simple: true })).toBe(before);
    d.exec('COMMIT');
  });
});
