import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/open.js';
import { extract } from '../../src/extract/extractor.js';
import { AuthenticationError } from '../../src/http/errors.js';
import type { CustomerRow } from '../../src/ledger/types.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { YotpoClient } from '../../src/yotpo/client.js';
import { API_KEY, GUID, testConfig, tmpDbPath } from './helpers.js';

/** Integration against the sandbox's Yotpo stand-in: real HTTP, its own pagination, faults and rate headers. */

let sb: Sandbox | undefined;
let client: YotpoClient | undefined;
let db: Db | undefined;
afterEach(async () => {
  await client?.close();
  await sb?.close();
  db?.close();
  sb = client = db = undefined;
});

async function setup(options: SandboxOptions, yotpo: Parameters<typeof testConfig>[1] = {}) {
  sb = await startSandbox({ seed: 11, credentials: { yotpoGuid: GUID, yotpoApiKey: API_KEY }, ...options });
  const path = tmpDbPath();
  db = openDb(path);
  const config = testConfig(path, { baseUrl: sb.yotpoUrl, perPage: 50, listEndpoint: 'auto', rpm: 6000, ...yotpo });
  client = YotpoClient.fromConfig(config, { yotpoGuid: GUID, yotpoApiKey: API_KEY, rivoApiKey: null }, { retry: { maxRetries: 8, baseDelayMs: 20, maxDelayMs: 200 } });
  return { sb, db, config, client };
}

const rows = (d: Db) => d.prepare('SELECT * FROM customers ORDER BY seq').all() as CustomerRow[];

function expectedInvalid(s: Sandbox): number {
  return Object.values(s.shop.cases).filter((labels) => labels.includes('invalid_balance')).length;
}

describe('extract against the sandbox', () => {
  it('reads every customer of a shop with awkward records, once, invalid ones with reasons', async () => {
    const { sb, db, config, client } = await setup({ customers: 600, awkward: 0.3 });
    const s = await extract({ db, config, client });
    expect(s).toMatchObject({ endpoint: 'recent', records: 600, added: 600, done: true, pages: 12 });
    const stored = rows(db);
    expect(stored.map((r) => r.key)).toEqual(sb.yotpo.customers().map((c) => c.email.trim()));
    expect(s.invalid).toBe(expectedInvalid(sb));
    expect(s.invalid).toBeGreaterThan(0);
    expect(stored.filter((r) => r.state === 'invalid').every((r) => /points_balance: /.test(r.invalid_reason ?? ''))).toBe(true);
    // The twin id field is read, so customers carrying only the misspelled one still have a Shopify id.
    const twins = Object.entries(sb.shop.cases).filter(([, l]) => l.includes('thirty_party_id'));
    for (const [email] of twins) expect(stored.find((r) => r.key === email.trim())?.third_party_id).toMatch(/^\d+$/);
    expect(sb.stats().yotpo.requests).toBe(13); // the endpoint probe and 12 pages
  });

  it('auto-detects an account that answers only /customers/all and pages it to the end', async () => {
    const { sb, db, config, client } = await setup({ customers: 430, awkward: 0, yotpo: { listEndpoints: ['all'] } });
    const s = await extract({ db, config, client });
    expect(s).toMatchObject({ endpoint: 'all', records: 430, added: 430, done: true, totalPages: 9 });
    expect(sb.stats().yotpo.byPath).toEqual({ '/customers/recent': 1, '/customers/all': 9 });
    expect(rows(db)).toHaveLength(430);
  });

  it('rides through 429 and 5xx storms, resets and HTML pages without losing or doubling a record', async () => {
    const { sb, db, config, client } = await setup({ customers: 500, awkward: 0.1 });
    sb.failNext('yotpo', 2, '429');
    sb.failNext('yotpo', 4, '5xx');
    sb.setFaults({ error5xx: 0.15, reset: 0.05, htmlError: 0.05, only: ['yotpo'] });
    const s = await extract({ db, config, client });
    expect(s).toMatchObject({ records: 500, added: 500, done: true });
    expect(rows(db).map((r) => r.key)).toEqual(sb.yotpo.customers().map((c) => c.email.trim()));
    const stats = sb.stats().yotpo;
    expect(stats.status429).toBe(2);
    expect(client.stats().rateLimited).toBe(2);
    expect(s.requests).toBeGreaterThan(11 + 6);
  });

  it('resumes on /customers/all after a stop, and a re-extraction refreshes what changed in Yotpo', async () => {
    const { sb, db, config, client } = await setup({ customers: 300, awkward: 0 }, { listEndpoint: 'all' });
    const stop = new AbortController();
    const first = await extract({ db, config, client, signal: stop.signal, onProgress: (p) => p.pages === 2 && stop.abort() });
    expect(first).toMatchObject({ pages: 2, stoppedBy: 'abort' });
    const second = await extract({ db, config, client });
    expect(second).toMatchObject({ resumedFrom: '3', pages: 4, added: 200, done: true });
    expect(rows(db)).toHaveLength(300);

    const target = sb.yotpo.customers()[123]!;
    sb.yotpo.update(target.email, { points_balance: 777_777 });
    const third = await extract({ db, config, client });
    expect(third).toMatchObject({ newPass: true, added: 0, changed: 1, unchanged: 299, done: true });
    expect(rows(db).find((r) => r.key === target.email.trim())).toMatchObject({ points_balance: 777_777, state: 'pending' });
  });

  it('stops at once on credentials the sandbox refuses, without leaking them', async () => {
    const { sb, db, config } = await setup({ customers: 10 });
    const wrong = YotpoClient.fromConfig(config, { yotpoGuid: GUID, yotpoApiKey: `${API_KEY}-wrong`, rivoApiKey: null });
    const err = await extract({ db, config, client: wrong }).catch((e: unknown) => e);
    await wrong.close();
    expect(err).toBeInstanceOf(AuthenticationError);
    for (const text of [(err as Error).message, JSON.stringify(err), (err as Error).stack ?? '']) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(GUID);
    }
    expect(sb.stats().yotpo.requests).toBe(1);
    expect(rows(db)).toHaveLength(0);
  });
});
