import { afterEach, describe, expect, it } from 'vitest';
import { BadResponseError, ConnectionError, RateLimitError, ServerError } from '../../src/http/errors.js';
import { DEFAULT_WINDOW_MARGIN } from '../../src/http/limiter.js';
import { yotpoRateGate } from '../../src/yotpo/client.js';

/** The gates' margin over the server's window (2 s windows here: 1 % is 20 ms, under the floor). */
const RATE_SAFETY_MARGIN = Math.max(DEFAULT_WINDOW_MARGIN.ratio, DEFAULT_WINDOW_MARGIN.minMs / 2000);
import { API_KEY, GUID, customers, startFake, testClient, yotpoRoutes, type FakeServer, type Reply } from './helpers.js';
import { asCliError, AuthenticationError, EXIT } from '../support/exit-codes.js';
import { peak } from '../support/windows.js';

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const page = { json: { customers: [{ email: 'a@example.com', points_balance: 1, points_earned: 1 }], metadata: { next_page_info: null } } };

function expectNoSecrets(value: unknown): void {
  const texts = [String(value), JSON.stringify(value)];
  if (value instanceof Error) texts.push(value.message, value.stack ?? '');
  for (const t of texts) {
    expect(t).not.toContain(GUID);
    expect(t).not.toContain(API_KEY);
  }
}

describe('YotpoClient requests', () => {
  it('sends the credentials as x-guid / x-api-key and counts requests', async () => {
    server = await startFake(() => page);
    const client = testClient(server.url);
    const res = await client.listRecent(100, null);
    expect(res.customers).toHaveLength(1);
    expect(res.nextPageInfo).toBeNull();
    expect(server.seen[0]?.headers['x-guid']).toBe(GUID);
    expect(server.seen[0]?.headers['x-api-key']).toBe(API_KEY);
    expect(server.seen[0]?.query.get('per_page')).toBe('100');
    expect(server.seen[0]?.query.has('page_info')).toBe(false);
    expect(client.requestCount).toBe(1);
    await client.close();
  });

  it('describes both list endpoints, the single-customer lookup and the tiers', async () => {
    const records = customers(5);
    const routes = yotpoRoutes(records);
    server = await startFake((req) => {
      if (req.path === '/customers') {
        const email = req.query.get('customer_email');
        const found = records.find((r) => r.email === email);
        return found ? { json: found } : { status: 404, json: { message: 'Customer not found' } };
      }
      if (req.path === '/vip_tiers') return { json: [{ id: 1, name: 'Gold' }] };
      return routes(req);
    });
    const client = testClient(server.url);
    const recent = await client.listRecent(2, 'off2');
    expect(recent).toEqual({ customers: records.slice(2, 4), nextPageInfo: 'off4' });
    const all = await client.listAll(3, 2);
    expect(all).toEqual({ customers: records.slice(4), totalPages: 3 });
    expect(await client.getCustomerByEmail('customer3@example.com')).toEqual(records[3]);
    expect(await client.getCustomerByEmail('nobody+x@example.com')).toBeNull();
    expect(server.seen.at(-1)?.query.get('customer_email')).toBe('nobody+x@example.com');
    expect(await client.listVipTiers()).toEqual([{ id: 1, name: 'Gold' }]);
    await client.close();
  });

  it('rides through a 5xx storm, resets and an HTML error page', async () => {
    const faults: Reply[] = [
      { status: 503, json: { message: 'Service Unavailable' } },
      { status: 500, json: { error: 'boom' } },
      { destroy: true },
      { status: 502, text: '<html><h1>502 Bad Gateway</h1></html>' },
      { status: 200, text: '<!DOCTYPE html><html>We will be back</html>' },
    ];
    server = await startFake((_req, n) => faults[n] ?? page);
    const retries: string[] = [];
    const client = testClient(server.url, { retry: { maxRetries: 6, baseDelayMs: 5, maxDelayMs: 20 }, onRetry: (e) => retries.push(e.constructor.name) });
    const res = await client.listRecent(100, null);
    expect(res.customers).toHaveLength(1);
    expect(client.requestCount).toBe(6);
    expect(retries).toEqual(['ServerError', 'ServerError', 'ConnectionError', 'ServerError', 'BadResponseError']);
    await client.close();
  });

  it('gives up after maxRetries with a typed error that carries no credentials', async () => {
    server = await startFake(() => ({ status: 503, json: { message: 'down' } }));
    const client = testClient(server.url, { retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 } });
    const err = await client.listAll(1, 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).message).toContain('Yotpo GET /customers/all?page=1&per_page=100 failed with HTTP 503');
    expect(client.requestCount).toBe(3);
    expectNoSecrets(err);
    await client.close();
  });

  it('does not retry bad credentials: AuthenticationError, exit 2, no secrets in it', async () => {
    server = await startFake(() => ({ status: 401, json: { error: 'Unauthorized', message: 'Invalid GUID or API key' } }));
    const client = testClient(server.url);
    const err = await client.listRecent(100, null).catch(asCliError);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).exitCode).toBe(EXIT.usage);
    expect(server.seen).toHaveLength(1);
    expectNoSecrets(err);
    await client.close();
  });

  it('reports an unreachable server without secrets', async () => {
    server = await startFake(() => page);
    const url = server.url;
    await server.close();
    server = undefined;
    const client = testClient(url, { retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    const err = await client.listRecent(100, 'cursor').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expectNoSecrets(err);
    await client.close();
  });

  it('times out a request that hangs and retries it', async () => {
    server = await startFake(async (_req, n) => {
      if (n === 0) await new Promise((r) => setTimeout(r, 600));
      return page;
    });
    const client = testClient(server.url, { timeoutMs: 150 });
    const res = await client.listRecent(100, null);
    expect(res.customers).toHaveLength(1);
    expect(client.requestCount).toBe(2);
    await client.close();
  });

  it('asks again for a JSON answer of the wrong shape, then fails clearly', async () => {
    server = await startFake((_req, n) => (n < 2 ? { json: { data: [] } } : page));
    const client = testClient(server.url, { retry: { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 40 } });
    expect((await client.listRecent(100, null)).customers).toHaveLength(1);
    expect(client.requestCount).toBe(3);
    await client.close();

    await server.close();
    server = await startFake(() => ({ json: { customers: 'nope' } }));
    const failing = testClient(server.url, { retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 40 } });
    const err = await failing.listRecent(100, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadResponseError);
    expect((err as Error).message).toContain('the body has no "customers" array');
    expect(server.seen).toHaveLength(3);
    await failing.close();
  });
});

describe('YotpoClient and the rate limit', () => {
  it('honours Retry-After on a 429 before asking again', async () => {
    server = await startFake((_req, n) => (n === 0 ? { status: 429, json: { message: 'API rate limit exceeded' }, headers: { 'retry-after': '1' } } : page));
    const client = testClient(server.url);
    await client.listRecent(100, null);
    const [a, b] = server.seen;
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(950);
    expect(client.stats().rateLimited).toBe(1);
    await client.close();
  });

  it('honours ratelimit-reset when ratelimit-remaining is 0 (no Retry-After)', async () => {
    server = await startFake((_req, n) =>
      n === 0
        ? { status: 429, json: { message: 'API rate limit exceeded' }, headers: { 'ratelimit-remaining': '0', 'ratelimit-reset': '1', 'ratelimit-limit': '100' } }
        : page,
    );
    const client = testClient(server.url);
    await client.listRecent(100, null);
    expect(server.seen[1]!.at - server.seen[0]!.at).toBeGreaterThanOrEqual(950);
    await client.close();
  });

  it('pauses every request of the client, not just the one that was refused', async () => {
    // A 200 that says the window is used up: the next request (a different page) must still wait for the reset.
    server = await startFake((_req, n) => (n === 0 ? { ...page, headers: { 'ratelimit-remaining': '0', 'ratelimit-reset': '1' } } : page));
    const client = testClient(server.url);
    await client.listRecent(100, null);
    await client.listAll(1, 100).catch(() => undefined);
    expect(server.seen[1]!.at - server.seen[0]!.at).toBeGreaterThanOrEqual(950);
    await client.close();
  });

  it('rides through a storm of 429s', async () => {
    server = await startFake((_req, n) => (n < 6 ? { status: 429, json: { message: 'API rate limit exceeded' }, headers: { 'retry-after': '0' } } : page));
    const client = testClient(server.url, { retry: { maxRetries: 8, baseDelayMs: 5, maxDelayMs: 20 } });
    expect((await client.listRecent(100, null)).customers).toHaveLength(1);
    expect(client.stats().rateLimited).toBe(6);
    await client.close();
  });

  it('surfaces a 429 that never ends as a RateLimitError after the retries', async () => {
    server = await startFake(() => ({ status: 429, json: { message: 'API rate limit exceeded' }, headers: { 'retry-after': '0' } }));
    const client = testClient(server.url, { retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    const err = await client.listRecent(100, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expectNoSecrets(err);
    await client.close();
  });

  it('spends the budget evenly: requests fired at once leave at the budget\'s pace', async () => {
    const budget = 20;
    const windowMs = 2_000;
    server = await startFake(() => page);
    const client = testClient(server.url, { gate: yotpoRateGate(budget, windowMs, 4) });
    const n = 30;
    const started = Date.now();
    await Promise.all(Array.from({ length: n }, () => client.listRecent(10, null)));
    const elapsed = Date.now() - started;
    // 29 gaps of ~101 ms: the budget less the safety margin, not less than that and not much more.
    const expectedMs = ((n - 1) * windowMs * (1 + RATE_SAFETY_MARGIN)) / budget;
    expect(server.seen).toHaveLength(n);
    expect(elapsed).toBeGreaterThanOrEqual(expectedMs - 50);
    expect(elapsed).toBeLessThan(expectedMs * 1.3);
    await client.close();
  });
});


describe('the Yotpo rate gate', () => {
  const budget = 20;
  const windowMs = 2_000;

  it('never starts more than the budget in any sliding window, even after the event loop stalls', async () => {
    const gate = yotpoRateGate(budget, windowMs, 4);
    const starts: number[] = [];
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        gate.schedule(async () => {
          starts.push(Date.now());
          // A stall of 400 ms: the requests that came due meanwhile would all start at once.
          if (i === 10) for (const until = Date.now() + 400; Date.now() < until; );
          await new Promise((r) => setTimeout(r, 5));
        }),
      ),
    );
    expect(peak(starts, windowMs)).toBeLessThanOrEqual(budget);
    // And the budget is used: 60 starts need a little over two windows, not much more.
    expect(Date.now() - started).toBeLessThan(3 * windowMs * (1 + RATE_SAFETY_MARGIN) + 800);
    await gate.stop();
  });

  it('lets a stopped gate end the waits at once, so a stopped client never holds the process', async () => {
    const gate = yotpoRateGate(budget, windowMs, 4);
    const first = gate.schedule(async () => 1);
    // Waiting for its turn (spacing) when the pause comes, so it waits for the pause inside the gate.
    const second = gate.schedule(async () => 2).catch((e: unknown) => e);
    await first;
    gate.pauseFor(10_000);
    await new Promise((r) => setTimeout(r, 200));
    const stoppedAt = Date.now();
    await gate.stop();
    expect(await second).toBeInstanceOf(Error);
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
  });

  it('holds requests while the server asked for a pause', async () => {
    const gate = yotpoRateGate(budget, windowMs, 4);
    const starts: number[] = [];
    await gate.schedule(async () => starts.push(Date.now()));
    gate.pauseFor(600);
    await Promise.all(Array.from({ length: 3 }, () => gate.schedule(async () => starts.push(Date.now()))));
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(580);
    expect(peak(starts, windowMs)).toBeLessThanOrEqual(budget);
    await gate.stop();
  });
});
