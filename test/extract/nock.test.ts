import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, ServerError } from '../../src/http/errors.js';
import { API_KEY, GUID, testClient } from './helpers.js';

/** Edge cases of the wire, mocked at the process boundary only. */

const BASE = 'https://loyalty.yotpo.test/api/v2';
const host = 'https://loyalty.yotpo.test';
const page = { customers: [{ email: 'a@example.com' }], metadata: { next_page_info: null } };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('YotpoClient over mocked HTTP', () => {
  it('sends both credential headers on every request, retries included', async () => {
    const scope = nock(host, { reqheaders: { 'x-guid': GUID, 'x-api-key': API_KEY } })
      .get('/api/v2/customers/recent')
      .query({ per_page: '100' })
      .reply(502, 'Bad Gateway')
      .get('/api/v2/customers/recent')
      .query({ per_page: '100' })
      .reply(200, page);
    const client = testClient(BASE);
    expect((await client.listRecent(100, null)).customers).toHaveLength(1);
    expect(scope.isDone()).toBe(true);
    await client.close();
  });

  it('retries dropped connections, and reports one that keeps dropping as a ConnectionError without secrets', async () => {
    nock(host).get('/api/v2/customers/all').query(true).times(2).replyWithError('socket hang up');
    nock(host).get('/api/v2/customers/all').query(true).reply(200, { customers: [], links: { total_pages: '3' } });
    const client = testClient(BASE);
    expect(await client.listAll(1, 100)).toEqual({ customers: [], totalPages: 3 });

    nock(host).get('/api/v2/customers/all').query(true).times(10).replyWithError('socket hang up');
    const err = await client.listAll(2, 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toContain('socket hang up');
    for (const t of [(err as Error).message, JSON.stringify(err)]) {
      expect(t).not.toContain(GUID);
      expect(t).not.toContain(API_KEY);
    }
    await client.close();
  });

  it('honours a Retry-After given as an HTTP date', async () => {
    const times: number[] = [];
    nock(host)
      .get('/api/v2/vip_tiers')
      .reply(() => {
        times.push(Date.now());
        return [429, { message: 'API rate limit exceeded' }, { 'Retry-After': new Date(Date.now() + 2000).toUTCString() }];
      })
      .get('/api/v2/vip_tiers')
      .reply(() => {
        times.push(Date.now());
        return [200, { vip_tiers: [{ id: 1, name: 'Gold' }] }];
      });
    const client = testClient(BASE);
    expect(await client.listVipTiers()).toEqual([{ id: 1, name: 'Gold' }]);
    // HTTP dates have whole seconds: at least one second remains of the two asked for.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950);
    await client.close();
  });

  it('keeps a 5xx body for the report, truncated, and never the request headers', async () => {
    nock(host).get('/api/v2/customers/recent').query(true).times(5).reply(500, `<html>${'x'.repeat(2000)}</html>`);
    const client = testClient(BASE, { retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    const err = (await client.listRecent(100, null).catch((e: unknown) => e)) as ServerError;
    expect(err).toBeInstanceOf(ServerError);
    expect(err.body?.length).toBeLessThan(600);
    expect(err.summary()).toMatch(/^500 <html>x+/);
    expect(JSON.stringify(err)).not.toMatch(/x-api-key|x-guid/i);
    await client.close();
  });
});
