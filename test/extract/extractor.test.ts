import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/open.js';
import { extract, type ExtractProgress } from '../../src/extract/extractor.js';
import { readCursor, setCustomerState } from '../../src/ledger/customers.js';
import type { CustomerRow } from '../../src/ledger/types.js';
import type { YotpoClient } from '../../src/yotpo/client.js';
import { asCliError, AuthenticationError, EXIT, ExtractError } from '../support/exit-codes.js';
import { API_KEY, GUID, customer, customers, pageOf, startFake, testClient, testConfig, tmpDbPath, yotpoRoutes, type FakeServer, type Reply, type Seen } from './helpers.js';

let server: FakeServer | undefined;
let client: YotpoClient | undefined;
let db: Db | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  db?.close();
  server = undefined;
  client = undefined;
  db = undefined;
});

async function setup(handler: (req: Seen, n: number) => Reply | Promise<Reply>, yotpo: Parameters<typeof testConfig>[1] = {}) {
  server = await startFake(handler);
  client = testClient(server.url, { retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5 } });
  const path = tmpDbPath();
  db = openDb(path);
  const config = testConfig(path, { baseUrl: server.url, perPage: 10, listEndpoint: 'recent', ...yotpo });
  return { config, db, client, server };
}

const rows = (d: Db) => d.prepare('SELECT * FROM customers ORDER BY seq').all() as CustomerRow[];

describe('extract from the API', () => {
  it('reads every page of /customers/recent into the DB, each record once, and marks the pass done', async () => {
    const records = customers(45);
    const { config, db, client } = await setup(yotpoRoutes(records));
    const progress: ExtractProgress[] = [];
    const s = await extract({ db, config, client, onProgress: (p) => progress.push(p) });
    expect(s).toMatchObject({ source: 'api:recent', endpoint: 'recent', pages: 5, records: 45, added: 45, changed: 0, invalid: 0, requests: 5, done: true, stoppedBy: 'end' });
    const stored = rows(db);
    expect(stored.map((r) => r.key)).toEqual(records.map((r) => r.email));
    expect(stored.every((r) => r.state === 'pending' && r.source === 'api')).toBe(true);
    expect(JSON.parse(stored[7]!.raw_json)).toEqual(records[7]);
    expect(stored[7]).toMatchObject({ points_balance: 107, points_earned: 207, third_party_id: '7000000000007', email_norm: 'customer7@example.com' });
    expect(readCursor(db, 'api:recent')).toMatchObject({ done: true, cursor: null, pagesRead: 5, recordsRead: 45 });
    expect(progress.map((p) => p.passRecords)).toEqual([10, 20, 30, 40, 45]);
    // Nothing of the HTTP layer reaches the DB.
    const dump = JSON.stringify(db.prepare('SELECT * FROM customers').all()) + JSON.stringify(db.prepare('SELECT * FROM extract_cursors').all());
    expect(dump).not.toContain(GUID);
    expect(dump).not.toContain(API_KEY);
  });

  it('reads /customers/all to the end, and gives an ETA from the rate budget', async () => {
    const records = customers(45);
    const { config, db, client } = await setup(yotpoRoutes(records), { listEndpoint: 'all', rpm: 120 });
    const progress: ExtractProgress[] = [];
    const s = await extract({ db, config, client, onProgress: (p) => progress.push(p) });
    expect(s).toMatchObject({ source: 'api:all', pages: 5, records: 45, added: 45, done: true, totalPages: 5 });
    expect(rows(db)).toHaveLength(45);
    expect(progress[0]).toMatchObject({ passPages: 1, totalPages: 5, etaSeconds: 2 }); // 4 pages at 2 per second
    expect(progress.at(-1)).toMatchObject({ passPages: 5, etaSeconds: 0 });
  });

  it('auto: detects an account that only answers /customers/all', async () => {
    const records = customers(23);
    const { config, db, client, server } = await setup(yotpoRoutes(records, { endpoints: ['all'] }), { listEndpoint: 'auto' });
    const s = await extract({ db, config, client });
    expect(s).toMatchObject({ source: 'api:all', endpoint: 'all', records: 23, done: true });
    expect(server.seen[0]?.path).toBe('/customers/recent');
    expect(server.seen.slice(1).every((r) => r.path === '/customers/all')).toBe(true);
  });

  it('resumes after being stopped between pages: the next page asked for is the one after the last stored', async () => {
    const records = customers(60);
    const { config, db, client, server } = await setup(yotpoRoutes(records));
    const stop = new AbortController();
    const first = await extract({ db, config, client, signal: stop.signal, onProgress: (p) => p.pages === 2 && stop.abort() });
    expect(first).toMatchObject({ pages: 2, records: 20, done: false, stoppedBy: 'abort' });
    expect(rows(db)).toHaveLength(20);
    expect(readCursor(db, 'api:recent')).toMatchObject({ cursor: 'off20', done: false, pagesRead: 2 });

    const before = server.seen.length;
    const second = await extract({ db, config, client });
    expect(pageOf(server.seen[before]!)).toBe('off20');
    expect(second).toMatchObject({ resumedFrom: 'off20', pages: 4, records: 40, added: 40, done: true, passPages: 6, passRecords: 60 });
    const stored = rows(db);
    expect(stored.map((r) => r.key)).toEqual(records.map((r) => r.email));
    expect(new Set(stored.map((r) => r.seq)).size).toBe(60);
  });

  it('fails with a resumable error when a page stays broken, then continues from that page', async () => {
    const records = customers(50);
    const routes = yotpoRoutes(records);
    let broken = true;
    const { config, db, client, server } = await setup((req) => (broken && req.query.get('page_info') === 'off30' ? { status: 503, json: { message: 'down' } } : routes(req)));
    const err = await extract({ db, config, client }).catch(asCliError);
    expect(err).toBeInstanceOf(ExtractError);
    expect((err as ExtractError).exitCode).toBe(EXIT.failed);
    expect((err as Error).message).toMatch(/3 pages of this pass are stored.*HTTP 503.*resume/s);
    expect(rows(db)).toHaveLength(30);

    broken = false;
    const before = server.seen.length;
    const s = await extract({ db, config, client });
    expect(pageOf(server.seen[before]!)).toBe('off30');
    expect(s).toMatchObject({ records: 20, added: 20, done: true });
    expect(rows(db)).toHaveLength(50);
  });

  it('aborts on bad credentials with exit 2 and stores nothing', async () => {
    const { config, db, client } = await setup(() => ({ status: 401, json: { error: 'Unauthorized' } }), { listEndpoint: 'auto' });
    const err = await extract({ db, config, client }).catch(asCliError);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).exitCode).toBe(EXIT.usage);
    expect(JSON.stringify(err)).not.toContain(API_KEY);
    expect((err as Error).message).not.toContain(GUID);
    expect(rows(db)).toHaveLength(0);
  });

  it('stores invalid records with their reasons, counts them, and goes on', async () => {
    const records = [
      ...customers(5),
      customer(5, { points_balance: 'abc' }),
      customer(6, { points_balance: -20 }),
      customer(7, { points_earned: 12.5 }),
      customer(8, { email: null, third_party_id: '42' }),
      customer(9, { credit_balance: '3.999' }),
      customer(10, { birthday_month: 14 }),
      ...customers(4, 11),
    ];
    const { config, db, client } = await setup(yotpoRoutes(records));
    const warnings: string[] = [];
    const invalid: string[] = [];
    const s = await extract({ db, config, client, onWarning: (w) => warnings.push(w), onInvalid: (r) => invalid.push(r.key) });
    expect(s).toMatchObject({ records: 15, added: 15, invalid: 5, warnings: 1, done: true });
    expect(invalid).toEqual(['customer5@example.com', 'customer6@example.com', 'customer7@example.com', 'tpid:42', 'customer9@example.com']);
    const byKey = new Map(rows(db).map((r) => [r.key, r]));
    expect(byKey.get('customer5@example.com')).toMatchObject({ state: 'invalid', points_balance: null });
    expect(byKey.get('customer5@example.com')?.invalid_reason).toBe('customer "customer5@example.com": points_balance: "abc" is not a whole number');
    expect(byKey.get('customer6@example.com')?.state_reason).toContain('points_balance: -20 is negative');
    expect(byKey.get('customer7@example.com')?.invalid_reason).toContain('points_earned: 12.5 is not a whole number');
    expect(byKey.get('tpid:42')?.invalid_reason).toBe('record tpid:42: email: missing');
    expect(byKey.get('customer9@example.com')?.invalid_reason).toContain('credit_balance: "3.999" has more than 2 decimals');
    expect(byKey.get('customer10@example.com')).toMatchObject({ state: 'pending', birthday_month: null, points_balance: 110 });
    expect(warnings).toEqual(['customer "customer10@example.com": birthday dropped: birthday_month: 14 is not a month']);
  });

  it('does not duplicate a page the server serves twice, and counts it', async () => {
    const records = customers(30);
    const routes = yotpoRoutes(records);
    // The second page repeats the first page's records, then the listing goes on normally.
    const { config, db, client } = await setup((req) => {
      const r = routes(req);
      if (req.query.get('page_info') === 'off10') return { json: { customers: records.slice(0, 10), metadata: { next_page_info: 'off10b' } } };
      if (req.query.get('page_info') === 'off10b') return routes({ ...req, query: new URLSearchParams({ per_page: '10', page_info: 'off10' }) });
      return r;
    });
    const s = await extract({ db, config, client });
    expect(s).toMatchObject({ pages: 4, records: 40, added: 30, unchanged: 10, repeated: 10, done: true });
    expect(rows(db)).toHaveLength(30);
  });

  it('retries an HTML page served with 200, and fails clearly (exit 1) when it stays', async () => {
    const records = customers(30);
    const routes = yotpoRoutes(records);
    let htmlLeft = 1;
    const html = { text: '<!DOCTYPE html><html><body>We will be back soon</body></html>' };
    const { config, db, client } = await setup((req) => (req.query.get('page_info') === 'off10' && htmlLeft-- > 0 ? html : routes(req)));
    const s = await extract({ db, config, client });
    expect(s).toMatchObject({ records: 30, done: true, requests: 4 });

    htmlLeft = Infinity;
    db.prepare('DELETE FROM customers').run();
    db.prepare('DELETE FROM extract_cursors').run();
    const err = await extract({ db, config, client }).catch(asCliError);
    expect(err).toBeInstanceOf(ExtractError);
    expect((err as ExtractError).exitCode).toBe(EXIT.failed);
    expect((err as Error).message).toContain('the body is not JSON');
    expect((err as Error).message).toContain('page_info=off10');
    expect(rows(db)).toHaveLength(10);
  });

  it('fails clearly on a page without a customers array', async () => {
    const records = customers(30);
    const routes = yotpoRoutes(records);
    const { config, db, client } = await setup((req) => (req.query.get('page_info') === 'off20' ? { json: { error: 'maintenance' } } : routes(req)));
    const err = await extract({ db, config, client }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtractError);
    expect((err as Error).message).toContain('the body has no "customers" array');
    expect(readCursor(db, 'api:recent')).toMatchObject({ cursor: 'off20', done: false });
  });

  it('stops a pilot after the limit at a page boundary; a later run continues', async () => {
    const records = customers(40);
    const { config, db, client } = await setup(yotpoRoutes(records));
    const pilot = await extract({ db, config, client, limit: 15 });
    expect(pilot).toMatchObject({ records: 20, stoppedBy: 'limit', done: false });
    expect(readCursor(db, 'api:recent')?.cursor).toBe('off20');
    const again = await extract({ db, config, client, limit: 15 });
    expect(again).toMatchObject({ records: 0, requests: 0, stoppedBy: 'limit' });
    const full = await extract({ db, config, client, limit: null });
    expect(full).toMatchObject({ records: 20, added: 20, done: true, resumedFrom: 'off20' });
    expect(rows(db)).toHaveLength(40);
  });

  it('re-extracts after a complete pass: a new pass, and a customer changed in Yotpo goes back to pending', async () => {
    const records = customers(25);
    const { config, db, client } = await setup(yotpoRoutes(records));
    await extract({ db, config, client });
    for (const r of rows(db)) setCustomerState(db, r.key, 'migrated', null);
    const hashBefore = rows(db)[3]!.values_hash;

    records[3] = { ...records[3], points_balance: 5000 };
    records.push(customer(99));
    const progress: ExtractProgress[] = [];
    const s = await extract({ db, config, client, onProgress: (p) => progress.push(p) });
    expect(s).toMatchObject({ newPass: true, records: 26, added: 1, changed: 1, unchanged: 24, done: true });
    expect(progress[0]).toMatchObject({ totalPages: 3, totalEstimated: true });
    const changed = rows(db)[3]!;
    expect(changed).toMatchObject({ key: 'customer3@example.com', state: 'pending', points_balance: 5000 });
    expect(changed.state_reason).toMatch(/changed/);
    expect(changed.values_hash).not.toBe(hashBefore);
    expect(rows(db).filter((r) => r.state === 'migrated')).toHaveLength(24);
    expect(rows(db).at(-1)).toMatchObject({ key: 'customer99@example.com', state: 'pending' });
  });

  it('lists again from the start when the stored cursor is refused, without duplicates', async () => {
    const records = customers(30);
    const routes = yotpoRoutes(records);
    let expired = false;
    // The stored cursor has expired; the same position reached by a fresh listing is fine again.
    const { config, db, client } = await setup((req) => {
      if (expired && req.query.get('page_info') === 'off20') {
        expired = false;
        return { status: 400, json: { errors: ['page_info is invalid'] } };
      }
      return routes(req);
    });
    const stop = new AbortController();
    await extract({ db, config, client, signal: stop.signal, onProgress: (p) => p.pages === 2 && stop.abort() });
    // The first run asked for the page after its last one ahead of time; let that answer land before the cursor expires.
    await new Promise((r) => setTimeout(r, 100));
    expired = true;
    const warnings: string[] = [];
    const s = await extract({ db, config, client, onWarning: (w) => warnings.push(w) });
    expect(warnings[0]).toContain('the stored cursor was refused');
    expect(s).toMatchObject({ resumedFrom: null, done: true, added: 10, unchanged: 20 });
    expect(rows(db)).toHaveLength(30);
  });
});
