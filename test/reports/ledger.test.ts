import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { LEDGER_COLUMNS, writeLedgerCsv } from '../../src/reports/ledger.js';
import { findCustomers, showCustomer } from '../../src/show/customer.js';
import { buildFixture, HYPERLINK, removeTmp } from './fixture.js';

afterEach(() => removeTmp());

describe('export --ledger', () => {
  it('one row per event with its customer, every text cell safe against formula injection, owner-only', async () => {
    const { db, dir } = buildFixture();
    // A note and an error as an attacker (or a careless merchant) could make them.
    db.prepare("UPDATE events SET external_note = ?, last_error = '@SUM(A1:A9)' WHERE key = 'y2r:test:c-pend:earned:0'").run(HYPERLINK);
    const path = join(dir, 'ledger.csv');
    const { events } = await writeLedgerCsv(db, path, false);
    const rows = parse(readFileSync(path, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual([...LEDGER_COLUMNS]);
    expect(rows).toHaveLength(events);
    expect(events).toBe(db.prepare('SELECT count(*) FROM events').pluck().get());
    const pend = rows.find((r) => r.event_key === 'y2r:test:c-pend:earned:0')!;
    expect(pend).toMatchObject({ email: 'bob@example.com', customer_state: 'pending', status: 'planned', points: '1000', external_note: `'${HYPERLINK}`, last_error: "'@SUM(A1:A9)" });
    const credit = rows.find((r) => r.event_key === 'y2r:test:c-mig:credit:0')!;
    expect(credit).toMatchObject({ status: 'done', credit: '12.50', rivo_customer_id: 'r-mig' });
    // A negative amount we wrote as a number stays a number, not escaped text.
    expect(rows.find((r) => r.event_key === 'y2r:test:c-mig:spent:0')!.points).toBe('-200');
    expect(statSync(path).mode & 0o077).toBe(0);
    db.close();
  });

  it('--redact masks the emails', async () => {
    const { db, dir } = buildFixture();
    const path = join(dir, 'ledger.csv');
    await writeLedgerCsv(db, path, true);
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('alice@example.com');
    expect(text).toContain('a***@example.com');
    db.close();
  });
});

describe('show', () => {
  it("finds a customer by email in any case or by Shopify id, with its events' keys, statuses and plan", () => {
    const { db } = buildFixture();
    expect(findCustomers(db, '  ALICE@example.com ').map((c) => c.key)).toEqual(['c-mig']);
    expect(findCustomers(db, '1001').map((c) => c.key)).toEqual(['c-mig']);
    expect(findCustomers(db, 'DUP@example.com').map((c) => c.key)).toEqual(['c-conf-a', 'c-conf-b']); // both records of one person
    const s = showCustomer(db, findCustomers(db, 'alice@example.com')[0]!);
    expect(s.yotpo).toMatchObject({ email: 'alice@example.com', shopifyId: '1001', pointsBalance: 300, creditCents: 1250, tier: 'Gold' });
    expect(s.identity).toMatchObject({ state: 'migrated', rivoId: 'r-mig' });
    expect(s.plan).toMatchObject({ targetPoints: 300, predicted: { points: 400, tier: 'Gold', dob: '2000-02-29' } });
    expect(s.events.map((e) => [e.key, e.status])).toEqual([
      ['y2r:test:c-mig:credit:0', 'done'],
      ['y2r:test:c-mig:earned:0', 'done'],
      ['y2r:test:c-mig:spent:0', 'done'],
      ['y2r:test:c-mig:tier:0', 'done'],
    ]);
    expect(s.problems.map((p) => p.kind)).toEqual(['duplicate']);
    db.close();
  });
});
