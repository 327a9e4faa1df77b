import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/open.js';
import { extract } from '../../src/extract/extractor.js';
import type { CustomerRow } from '../../src/ledger/types.js';
import { testConfig, tmpDir } from './helpers.js';

let db: Db | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});

describe('extract --from-csv: points_expire_at', () => {
  it('reads the column named in yotpo.csvColumns; an unreadable date is a warning naming the customer and field', async () => {
    const dir = tmpDir('csv-expiry');
    const file = join(dir, 'export.csv');
    writeFileSync(file, 'Email,Points Balance,Points Earned,Points Expire\na@example.com,10,20,2026-03-31\nb@example.com,5,5,31/03/2026\nc@example.com,1,1,\n');
    const path = join(dir, 'migration.sqlite');
    db = openDb(path);
    const config = testConfig(path);
    const custom = { ...config, yotpo: { ...config.yotpo, csvColumns: { ...config.yotpo.csvColumns, points_expire_at: 'points expire' } } };
    const warnings: string[] = [];
    const s = await extract({ db, config: custom, csvPath: file, onWarning: (w) => warnings.push(w) });
    expect(s).toMatchObject({ records: 3, invalid: 0, done: true });
    expect(warnings).toContain('customer "b@example.com": points_expire_at not carried: "31/03/2026" is not a date');
    const rows = db.prepare('SELECT email, points_expire_at, state FROM customers ORDER BY seq').all() as Pick<CustomerRow, 'email' | 'points_expire_at' | 'state'>[];
    expect(rows).toEqual([
      { email: 'a@example.com', points_expire_at: '2026-03-31T00:00:00.000Z', state: 'pending' },
      { email: 'b@example.com', points_expire_at: '31/03/2026', state: 'pending' },
      { email: 'c@example.com', points_expire_at: null, state: 'pending' },
    ]);
  });
});
