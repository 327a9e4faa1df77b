import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/open.js';
import { extract } from '../../src/extract/extractor.js';
import { lookUpHistories, lookupCost } from '../../src/history/lookup.js';
import { storedLookup } from '../../src/ledger/history.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { YotpoClient } from '../../src/yotpo/client.js';
import { API_KEY, GUID, testConfig, tmpDbPath } from '../extract/helpers.js';

/** The history lookup against the sandbox's Yotpo: real HTTP, real SQLite, requests counted by the sandbox. */

let sb: Sandbox | undefined;
let client: YotpoClient | undefined;
let db: Db | undefined;
afterEach(async () => {
  await client?.close();
  await sb?.close();
  db?.close();
  sb = client = db = undefined;
});

async function setup(customers: number) {
  sb = await startSandbox({ seed: 15, customers, awkward: 0, credentials: { yotpoGuid: GUID, yotpoApiKey: API_KEY } });
  const path = tmpDbPath();
  db = openDb(path);
  const base = testConfig(path, { baseUrl: sb.yotpoUrl, perPage: 50, listEndpoint: 'recent', rpm: 6000 });
  const config = { ...base, mapping: { ...base.mapping, history: true } };
  client = YotpoClient.fromConfig(config, { yotpoGuid: GUID, yotpoApiKey: API_KEY, rivoApiKey: null }, { retry: { maxRetries: 8, baseDelayMs: 20, maxDelayMs: 200 } });
  await extract({ db, config, client });
  return { sb, db, config, client };
}

const lookups = (s: Sandbox) => [...s.yotpo.historyLookups.values()];

describe('history lookup', () => {
  it('states its cost without a request, stops midway, resumes, and looks each customer up exactly once in total', async () => {
    const { sb, db, config, client } = await setup(60);
    const before = sb.stats().yotpo.requests;
    const cost = lookupCost(db, config, Number.MAX_SAFE_INTEGER);
    // 60 customers at 6000/min: 0.6 s, and no request made to say so.
    expect(cost).toEqual({ lookups: 60, rpm: 6000, seconds: 0.6 });
    expect(sb.stats().yotpo.requests).toBe(before);

    const stop = new AbortController();
    const first = await lookUpHistories({ db, config, client, maxSeq: Number.MAX_SAFE_INTEGER, signal: stop.signal, onProgress: (p) => p.done === 20 && stop.abort() });
    expect(first.stopped).toBe(true);
    expect(first.done).toBeGreaterThanOrEqual(20);
    expect(first.done).toBeLessThan(60);
    // Every lookup that left was stored: the sandbox answered exactly as many as were recorded.
    expect(lookups(sb).reduce((a, b) => a + b, 0)).toBe(first.done);
    expect(lookupCost(db, config, Number.MAX_SAFE_INTEGER).lookups).toBe(60 - first.done);

    const second = await lookUpHistories({ db, config, client, maxSeq: Number.MAX_SAFE_INTEGER });
    expect(second).toMatchObject({ total: 60 - first.done, done: 60 - first.done, found: 60 - first.done, stopped: false });
    expect(lookups(sb)).toHaveLength(60);
    expect(lookups(sb).every((n) => n === 1)).toBe(true);
    expect(sb.stats().yotpo.byPath['/customers']).toBe(60);

    // A third run owes nothing and asks nothing.
    expect((await lookUpHistories({ db, config, client, maxSeq: Number.MAX_SAFE_INTEGER })).total).toBe(0);
    expect(sb.stats().yotpo.byPath['/customers']).toBe(60);
  });

  it('stores the items as Yotpo listed them, and looks a customer up again only when its values changed', async () => {
    const { sb, db, config, client } = await setup(10);
    await lookUpHistories({ db, config, client, maxSeq: Number.MAX_SAFE_INTEGER });
    const rec = sb.yotpo.customers()[0]!;
    sb.yotpo.setHistory(rec.email, 'rich');
    sb.yotpo.update(rec.email, { points_balance: 120, points_earned: 400, opted_in_at: '2023-01-01T00:00:00.000Z', last_seen_at: '2023-01-11T00:00:00.000Z' });
    await extract({ db, config, client });
    expect(lookupCost(db, config, Number.MAX_SAFE_INTEGER).lookups).toBe(1);
    await lookUpHistories({ db, config, client, maxSeq: Number.MAX_SAFE_INTEGER });
    expect(sb.yotpo.historyLookups.get(rec.email.trim().toLowerCase())).toBe(2);
    expect(lookups(sb).reduce((a, b) => a + b, 0)).toBe(11);
    const stored = storedLookup(db, rec.email.trim())!;
    expect(stored.status).toBe('found');
    // 400 earned: account 80, follow 40, purchases 140 + 140; 280 gone: 224 redeemed, 56 expired; a pending 25.
    expect(stored.items.map((i) => [i.idx, i.points, i.status.replace(/^FIVEOFF-.*/, 'CODE'), i.createdAt])).toEqual([
      [0, 80, 'Approved', '2023-01-01T00:00:00.000Z'],
      [1, 40, 'Approved', '2023-01-02T00:00:00.000Z'],
      [2, 140, 'Approved', '2023-01-04T00:00:00.000Z'],
      [3, -224, 'CODE', '2023-01-06T00:00:00.000Z'],
      [4, 140, 'Approved', '2023-01-07T00:00:00.000Z'],
      [5, -56, 'Expired', '2023-01-09T00:00:00.000Z'],
      [6, 25, 'Pending', '2023-01-11T00:00:00.000Z'],
    ]);
    expect(stored.items[1]).toMatchObject({ action: 'Followed us on Instagram', actionName: 'instagram_follow', completedAt: '2023-01-02T00:00:00.000Z' });
  });

  it('names the customer, item and field of a bad item, and records a 404 and a failed request with their reasons', async () => {
    const { sb, db, config, client } = await setup(4);
    const [c, a, b] = sb.yotpo.customers(); // c first: the two 5xx answers below are its
    sb.yotpo.setHistory(a!.email, [
      { created_at: '2024-02-01T00:00:00Z', action: 'Made a purchase', points: 10, status: 'Approved' },
      { created_at: 'yesterday', action: '', points: 'ten', status: 'Approved' },
    ]);
    sb.yotpo.setHistory(b!.email, 'not_found');
    // c's history lookup fails on every attempt (the client retries 8 times).
    const failing = new YotpoClient({ baseUrl: sb.yotpoUrl, guid: GUID, apiKey: API_KEY, rpm: 6000, retry: { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 10 } });
    const problems: string[] = [];
    sb.failNext('yotpo', 2, '5xx');
    await lookUpHistories({ db, config, client: failing, maxSeq: 3, concurrency: 1, onProblem: (l) => problems.push(l) });
    await failing.close();
    const keyA = a!.email.trim();
    expect(storedLookup(db, keyA)).toMatchObject({
      status: 'unreadable',
      reason:
        `customer ${keyA}: history item 1: points "ten" is not a whole number\n` +
        `customer ${keyA}: history item 1: created_at "yesterday" is not a date\n` +
        `customer ${keyA}: history item 1: action is missing or empty (""), and there is no action_name`,
    });
    expect(storedLookup(db, keyA)!.items.map((i) => i.idx)).toEqual([0]);
    expect(storedLookup(db, b!.email.trim())).toMatchObject({ status: 'not_found', reason: 'Yotpo answered 404 (no loyalty profile) for the history lookup' });
    expect(storedLookup(db, c!.email.trim())).toMatchObject({ status: 'failed' });
    // Without the query: the email (URL-encoded there) stays out of a reason the reports show.
    expect(storedLookup(db, c!.email.trim())!.reason).toMatch(/^the history lookup failed: Yotpo GET \/customers failed with HTTP 5\d\d/);
    expect(problems).toHaveLength(3);
    // A failed lookup is tried again on the next run; the others are not.
    expect(lookupCost(db, config, 3).lookups).toBe(1);
    await lookUpHistories({ db, config, client, maxSeq: 3 });
    expect(storedLookup(db, c!.email.trim())!.status).toBe('found');
  });
});
