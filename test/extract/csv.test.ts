import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/open.js';
import { extract } from '../../src/extract/extractor.js';
import { readCursor } from '../../src/ledger/customers.js';
import type { CustomerRow } from '../../src/ledger/types.js';
import { asCliError, ConfigError, EXIT } from '../support/exit-codes.js';
import { testConfig, tmpDir } from './helpers.js';

const HEADER = 'Email,Customer ID,First Name,Last Name,Points Balance,Points Earned,Credit Balance,VIP Tier,Birthday Month,Birthday Day,Birthday Year,Opted In,Last Seen At';

let db: Db | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});

const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** A Yotpo-like export: every 100th row has a bad balance, every 250th no email, names with commas, quotes and newlines. */
function writeExport(rows: number, options: { header?: string; bom?: boolean } = {}) {
  const lines = [options.header ?? HEADER];
  let bad = 0;
  for (let i = 0; i < rows; i++) {
    const email = i % 250 === 249 ? '' : `Shopper${i}@Example.com`;
    const balance = i % 100 === 99 ? (i % 200 === 199 ? '12.5' : 'n/a') : String(i * 3);
    if (email === '' || i % 100 === 99) bad++;
    const first = i % 7 === 0 ? 'Anne, "the first"' : i % 11 === 0 ? 'Multi\nLine' : `Name${i}`;
    lines.push([email, String(9_000_000 + i), first, 'Müller', balance, String(i * 4), i % 5 === 0 ? '12.50' : '', i % 3 ? 'Gold' : '', '6', '15', '', i % 2 ? 'yes' : 'no', '2025-01-02T03:04:05Z'].map(q).join(','));
  }
  const dir = tmpDir('csv');
  const file = join(dir, 'export.csv');
  writeFileSync(file, (options.bom ? '\ufeff' : '') + lines.join('\r\n') + '\r\n');
  return { file, dir, bad };
}

function setup() {
  const path = join(tmpDir('csvdb'), 'migration.sqlite');
  db = openDb(path);
  return { db, config: testConfig(path) };
}

const rows = (d: Db) => d.prepare('SELECT * FROM customers ORDER BY seq').all() as CustomerRow[];

describe('extract --from-csv', () => {
  it('imports a few thousand rows through the same validation, committing in pages, bad rows stored as invalid', async () => {
    const { file, bad } = writeExport(3000, { bom: true });
    const { db, config } = setup();
    const s = await extract({ db, config, csvPath: file });
    expect(s).toMatchObject({ source: `csv:${file}`, records: 3000, added: 3000, pages: 6, invalid: bad, requests: 0, done: true });
    expect(bad).toBe(36); // 30 bad balances, 12 without email, 6 rows with both
    const stored = rows(db);
    expect(stored).toHaveLength(3000);
    expect(stored.every((r) => r.source === 'csv')).toBe(true);
    expect(stored[0]).toMatchObject({ key: 'Shopper0@Example.com', email_norm: 'shopper0@example.com', third_party_id: '9000000', points_balance: 0, credit_cents: 1250, tier_name: null, first_name: 'Anne, "the first"', opted_in: 0 });
    expect(stored[11]).toMatchObject({ first_name: 'Multi\nLine', last_name: 'Müller', tier_name: 'Gold', birthday_month: 6, birth_day: 15, opted_in: 1 });
    expect(JSON.parse(stored[1]!.raw_json)).toMatchObject({ Email: 'Shopper1@Example.com', 'Points Balance': '3', 'VIP Tier': 'Gold' });
    const invalid = stored.filter((r) => r.state === 'invalid');
    expect(invalid).toHaveLength(bad);
    expect(invalid.find((r) => r.key === 'Shopper99@Example.com')?.invalid_reason).toBe('customer "Shopper99@Example.com": points_balance: "n/a" is not a whole number');
    expect(invalid.find((r) => r.key === 'Shopper199@Example.com')?.invalid_reason).toContain('points_balance: "12.5" is not a whole number');
    expect(invalid.find((r) => r.key === 'tpid:9000249')?.invalid_reason).toBe('record tpid:9000249: email: missing');
    expect(readCursor(db, `csv:${file}`)).toMatchObject({ done: true, pagesRead: 6, recordsRead: 3000 });
  });

  it('resumes from the row after the last stored page', async () => {
    const { file } = writeExport(1200);
    const { db, config } = setup();
    const stop = new AbortController();
    const first = await extract({ db, config, csvPath: file, csvPageRows: 500, signal: stop.signal, onProgress: (p) => p.pages === 1 && stop.abort() });
    expect(first).toMatchObject({ records: 500, stoppedBy: 'abort', done: false });
    expect(readCursor(db, `csv:${file}`)?.cursor).toBe('500');
    const second = await extract({ db, config, csvPath: file, csvPageRows: 500 });
    expect(second).toMatchObject({ resumedFrom: '500', records: 700, added: 700, done: true });
    const stored = rows(db);
    expect(stored).toHaveLength(1200);
    expect(stored[500]?.key).toBe('Shopper500@Example.com');
  });

  it('refuses a file without the required columns before storing anything (exit 2), naming them and the headers found', async () => {
    const { file } = writeExport(10, { header: 'E-mail,First Name,Points' });
    const { db, config } = setup();
    const err = await extract({ db, config, csvPath: file }).catch(asCliError);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(EXIT.usage);
    expect((err as Error).message).toContain('email: no column "Email"');
    expect((err as Error).message).toContain('points_balance: no column "Points Balance"');
    expect((err as Error).message).toContain('headers found: "E-mail", "First Name", "Points"');
    expect(rows(db)).toHaveLength(0);
    expect(db.prepare('SELECT count(*) FROM extract_cursors').pluck().get()).toBe(0);
  });

  it('maps headers through yotpo.csvColumns, case-insensitively; without lifetime points the records stay valid', async () => {
    const dir = tmpDir('csv2');
    const file = join(dir, 'custom.csv');
    writeFileSync(file, 'E-MAIL ADDRESS,Balance,Name\na@example.com,10,Ann\nb@example.com,-1,Bob\n,5,Nobody\n');
    const { db, config } = setup();
    const custom = {
      ...config,
      yotpo: { ...config.yotpo, csvColumns: { email: 'e-mail address', points_balance: 'balance', first_name: 'Name', points_earned: 'Lifetime' } },
    };
    const warnings: string[] = [];
    const s = await extract({ db, config: custom, csvPath: file, onWarning: (w) => warnings.push(w) });
    expect(s).toMatchObject({ records: 3, invalid: 2, done: true });
    expect(warnings.join('\n')).toContain('optional columns not in the file, left empty: "Lifetime" (points_earned)');
    const stored = rows(db);
    expect(stored[0]).toMatchObject({ key: 'a@example.com', points_balance: 10, points_earned: null, first_name: 'Ann', state: 'pending' });
    expect(stored[1]?.invalid_reason).toBe('customer "b@example.com": points_balance: "-1" is negative');
    expect(stored[2]?.key).toBe(`pos:csv:${file}:0:2`);
    expect(stored[2]?.invalid_reason).toContain('email: missing');
  });

  it('treats short rows as missing values, not as a broken file', async () => {
    const dir = tmpDir('csv3');
    const file = join(dir, 'short.csv');
    writeFileSync(file, `${HEADER}\nshort@example.com,1\nok@example.com,2,A,B,5,6,,,,,,,\n`);
    const { db, config } = setup();
    const s = await extract({ db, config, csvPath: file });
    expect(s).toMatchObject({ records: 2, invalid: 1 });
    expect(rows(db)[0]?.invalid_reason).toBe('customer "short@example.com": points_balance: missing; points_earned: missing');
  });

  it('stops on a malformed file naming the line (exit 2: the file needs fixing, a rerun alone cannot help)', async () => {
    const dir = tmpDir('csv6');
    const file = join(dir, 'broken.csv');
    const good = Array.from({ length: 30 }, (_, i) => `r${i}@example.com,${i},${i}`);
    writeFileSync(file, ['Email,Points Balance,Points Earned', ...good, 'bad@example.com,"1"2",3', 'late@example.com,1,1'].join('\n'));
    const { db, config } = setup();
    const err = await extract({ db, config, csvPath: file, csvPageRows: 10 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(`The CSV file ${file} is malformed at line 32: Invalid Closing Quote`);
    expect(rows(db).some((r) => r.key === 'late@example.com')).toBe(false);
  });

  it('says so when the file is missing or empty (exit 2)', async () => {
    const { db, config } = setup();
    await expect(extract({ db, config, csvPath: join(tmpDir('csv4'), 'nope.csv') })).rejects.toThrow(/CSV file not found/);
    const empty = join(tmpDir('csv5'), 'empty.csv');
    writeFileSync(empty, '');
    await expect(extract({ db, config, csvPath: empty })).rejects.toBeInstanceOf(ConfigError);
  });
});
