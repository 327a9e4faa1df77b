import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  BadResponseError,
  ConnectionError,
  HttpError,
  InvalidRequestError,
  NotFoundError,
  RateLimitError,
  ServerError,
} from '../../src/http/errors.js';
import { ListingRangeError, type OutgoingEvent } from '../../src/rivo/api.js';
import { RivoClient, type RivoClientOptions } from '../../src/rivo/client.js';
import { readCustomerEvents } from '../../src/rivo/listing.js';
import { UNMEASURED_PROFILE } from '../../src/rivo/profile.js';

const HOST = 'https://rivo.test';
const BASE = `${HOST}/merchant_api/v1`;
const KEY = 'rivo-secret-key-7f3a9c';

const clients: RivoClient[] = [];
function client(extra: Partial<RivoClientOptions> = {}): RivoClient {
  const c = new RivoClient({ baseUrl: BASE, apiKey: KEY, rps: 1000, timeoutMs: 2000, maxRetries: 2, retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...extra });
  clients.push(c);
  return c;
}

const api = () => nock(HOST).matchHeader('authorization', KEY);

const event = (over: Partial<OutgoingEvent> = {}): OutgoingEvent => ({
  customer_identifier: '7001',
  source: 'manual',
  points_amount: 120,
  credits_amount: '12.50',
  internal_note: 'Migrated from Yotpo [y2r:abc:0123456789abcdef:earned:0]',
  skip_email: true,
  ...over,
});

const customer = (over: Record<string, unknown> = {}) => ({
  type: 'customer',
  id: '7001',
  attributes: {
    id: 7001,
    email: 'ann@example.com',
    points_tally: 150,
    credits_tally: '25.0',
    lifetime_earnings_tally: null,
    loyalty_status: 'member',
    vip_tier: null,
    dob: null,
    ...over,
  },
});

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(async () => {
  nock.cleanAll();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(() => {
  nock.enableNetConnect();
});

/** Runs `fn`, expects an HttpError, and checks that neither the message nor any serialisation carries the key. */
async function failure(fn: () => Promise<unknown>): Promise<HttpError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    const e = err as HttpError;
    expect(e.message).not.toContain(KEY);
    expect(JSON.stringify(e)).not.toContain(KEY);
    expect(String(e.stack)).not.toContain(KEY);
    expect(JSON.stringify(Object.getOwnPropertyNames(e).map((k) => String((e as unknown as Record<string, unknown>)[k])))).not.toContain(KEY);
    return e;
  }
  throw new Error('expected the call to fail');
}

describe('RivoClient: requests', () => {
  it('sends the raw key as Authorization, never a Bearer prefix', async () => {
    let seen: string | undefined;
    nock(HOST)
      .get('/merchant_api/v1/customers/7001')
      .reply(function () {
        seen = this.req.headers.authorization as string;
        return [200, { data: customer() }];
      });
    await client().getCustomer('7001');
    expect(seen).toBe(KEY);
    expect(seen).not.toMatch(/bearer/i);
  });

  it('parses a customer: credits string to exact cents, null lifetime, tier object', async () => {
    api().get('/merchant_api/v1/customers/7001').reply(200, { data: customer({ credits_tally: '25.0', vip_tier: { id: 9002, name: 'Silver' }, dob: '1990-05-17' }) });
    expect(await client().getCustomer('7001')).toEqual({
      id: '7001',
      email: 'ann@example.com',
      pointsTally: 150,
      lifetimeTally: null,
      creditsCents: 2500,
      tierId: '9002',
      tierName: 'Silver',
      dob: '1990-05-17',
      loyaltyStatus: 'member',
    });
    api().get('/merchant_api/v1/customers/7002').reply(200, { data: customer({ id: 7002, credits_tally: '0.07', lifetime_earnings_tally: 900, vip_tier: null }) });
    const b = await client().getCustomer('7002');
    expect(b).toMatchObject({ id: '7002', creditsCents: 7, lifetimeTally: 900, tierId: null, tierName: null });
  });

  it('URL-encodes an email identifier and returns null on 404', async () => {
    api().get('/merchant_api/v1/customers/a%2Bb%40example.com').reply(404, { error: 'Customer not found' });
    expect(await client().getCustomer('a+b@example.com')).toBeNull();
  });

  /** One page of `GET /customers` (2 a page) after `since`, answering these ids and this cursor. */
  const customersPage = (since: number, ids: number[], next: number | null) =>
    api()
      .get('/merchant_api/v1/customers')
      .query({ 'pagination[since_id]': String(since), 'pagination[limit]': '2' })
      .reply(200, { data: ids.map((id) => customer({ id })), links: { next_since_id: next } });

  it('pages customers by cursor until next_since_id is null', async () => {
    customersPage(0, [1, 2], 2);
    customersPage(2, [5], null);
    const ids: string[] = [];
    for await (const c of client().listCustomers(2)) ids.push(c.id);
    expect(ids).toEqual(['1', '2', '5']);
  });

  it('asks for the next customer page before handing over this one; a caller that stops early costs one read at most', async () => {
    customersPage(0, [1, 2], 2);
    customersPage(2, [3, 4], 4);
    const c = client();
    const asked: number[] = [];
    for await (const row of c.listCustomers(2)) {
      // The first customer of page 1 is in hand: page 2 is already asked for (its work overlaps the caller's).
      asked.push(c.requestCount);
      if (row.id === '2') break;
    }
    expect(asked).toEqual([2, 2]);
    // Page 2's request, left in flight by the caller, lands; page 3 (after id 4) is never asked for (nock would
    // refuse it: no interceptor).
    await new Promise((r) => setTimeout(r, 100));
    expect(nock.isDone()).toBe(true);
    expect(c.requestCount).toBe(2);
  });

  it('reads a range of ids: starts after its first id, ends at its last without asking for the page after', async () => {
    customersPage(2, [3, 4], 4);
    customersPage(4, [5, 7], 7);
    const c = client();
    const ids: string[] = [];
    for await (const row of c.listCustomers(2, { afterId: '2', throughId: '6' })) ids.push(row.id);
    // 7 is past the range (the next range's), and the page after 7 is never asked for (nock would refuse it).
    expect(ids).toEqual(['3', '4', '5']);
    await new Promise((r) => setTimeout(r, 50));
    expect(nock.isDone()).toBe(true);
    expect(c.requestCount).toBe(2);
  });

  it('refuses a range the store cannot serve apart: asked for ids after 4, it serves 1 (its cursor is not an id)', async () => {
    customersPage(4, [1, 2], 2);
    const read = async () => {
      for await (const _ of client().listCustomers(2, { afterId: '4', throughId: '8' })) void _;
    };
    await expect(read()).rejects.toBeInstanceOf(ListingRangeError);
    // Out of order within the range is the same: a customer at or below the one before it.
    customersPage(4, [6, 5], 5);
    await expect(read()).rejects.toThrow(/asked for ids after 4, served 5/);
  });

  it('caps the customer page size at 250', async () => {
    api().get('/merchant_api/v1/customers').query({ 'pagination[since_id]': '0', 'pagination[limit]': '250' }).reply(200, { data: [], links: { next_since_id: null } });
    for await (const _ of client().listCustomers(1000)) void _;
    expect(nock.isDone()).toBe(true);
  });

  describe('a customer\'s events (readCustomerEvents: the one place the listing\'s assumptions live)', () => {
    const ev = (id: number, diff: number, credits = '0.0', who = '7001') => ({
      type: 'points_event',
      id: String(id),
      attributes: { id, customer_identifier: who, points_amount: Math.abs(diff), points_diff: diff, credits_diff: credits, internal_note: `n${id}`, source: 'manual' },
    });
    const page = (n: number, perPage = 250) =>
      api().get('/merchant_api/v1/points_events').query({ 'filters[customer_identifier]': '7001', 'pagination[page]': String(n), 'pagination[per_page]': String(perPage) });
    const owner = { identifier: '7001', id: '7001', email: 'ann@example.com' };

    it('without links or meta, a short page is not the end: it reads on until an empty page', async () => {
      page(1).reply(200, { data: Array.from({ length: 7 }, (_, i) => ev(i + 1, 2)) });
      page(2).reply(200, { data: [ev(900, -40, '-12.5')] });
      page(3).reply(200, { data: [] });
      const r = await readCustomerEvents(client(), owner, UNMEASURED_PROFILE);
      expect(r.incomplete).toBeNull();
      expect(r.pages).toBe(3);
      expect(r.events).toHaveLength(8);
      expect(r.events.at(-1)).toMatchObject({ id: '900', pointsDiff: -40, creditsDiffCents: -1250, internalNote: 'n900' });
      expect(nock.isDone()).toBe(true);
    });

    it('follows links.next and stops where it is null; meta.total_count must match what was served', async () => {
      page(1).reply(200, { data: [ev(1, 1), ev(2, 1)], links: { next: 'p2' }, meta: { total_count: 3 } });
      page(2).reply(200, { data: [ev(3, 1)], links: { next: null }, meta: { total_count: 3 } });
      const r = await readCustomerEvents(client(), owner, UNMEASURED_PROFILE);
      expect([r.incomplete, r.pages, r.events.length]).toEqual([null, 2, 3]);
      page(1).reply(200, { data: [ev(1, 1)], links: { next: null }, meta: { total_count: 4 } });
      expect((await readCustomerEvents(client(), owner, UNMEASURED_PROFILE)).incomplete).toMatch(/says 4 events but served 1/);
    });

    it('events of another customer (a filter the store ignores) make the listing untrusted', async () => {
      page(1).reply(200, { data: [ev(1, 1), ev(2, 5, '0.0', '8002')], links: { next: null } });
      const r = await readCustomerEvents(client(), owner, UNMEASURED_PROFILE);
      expect(r.events.map((e) => e.id)).toEqual(['1']);
      expect(r.incomplete).toMatch(/another customer/);
    });

    it('a server that ignores the page number is caught instead of looped on', async () => {
      page(1).reply(200, { data: [ev(1, 1)] });
      page(2).reply(200, { data: [ev(1, 1)] });
      expect((await readCustomerEvents(client(), owner, UNMEASURED_PROFILE)).incomplete).toMatch(/repeated/);
    });

    it('a measured page cap: asks for that many, and a page below it is the last', async () => {
      page(1, 7).reply(200, { data: Array.from({ length: 7 }, (_, i) => ev(i + 1, 1)) });
      page(2, 7).reply(200, { data: [ev(8, 1)] });
      const r = await readCustomerEvents(client(), owner, { ...UNMEASURED_PROFILE, listing: { order: 'oldest_first', perPageCap: 7 } });
      expect([r.incomplete, r.pages, r.events.length]).toEqual([null, 2, 8]);
      expect(nock.isDone()).toBe(true);
    });
  });

  it('sends a single event form-encoded by default, with skip_email and source manual', async () => {
    let body = '';
    let type = '';
    api()
      .post('/merchant_api/v1/points_events')
      .reply(function (_uri, raw) {
        body = String(raw);
        type = String(this.req.headers['content-type']);
        return [201, { data: { type: 'points_event', id: '55', attributes: { id: 55, points_diff: 120, credits_diff: '12.5', internal_note: event().internal_note } } }];
      });
    const created = await client().createEvent(event());
    expect(type).toContain('application/x-www-form-urlencoded');
    const form = new URLSearchParams(body);
    expect(form.get('customer_identifier')).toBe('7001');
    expect(form.get('source')).toBe('manual');
    expect(form.get('points_amount')).toBe('120');
    expect(form.get('credits_amount')).toBe('12.50');
    expect(form.get('skip_email')).toBe('true');
    expect(form.get('internal_note')).toBe(event().internal_note);
    expect(created).toMatchObject({ id: '55', pointsDiff: 120, creditsDiffCents: 1250 });
  });

  it('sends a batch as JSON by default: { points_events: [...] }', async () => {
    let body: unknown;
    let type = '';
    api()
      .post('/merchant_api/v1/points_events/batch', (b) => {
        body = b;
        return true;
      })
      .reply(function () {
        type = String(this.req.headers['content-type']);
        return [201, { data: [] }];
      });
    await client().createEventsBatch([event(), event({ customer_identifier: '7002', points_amount: -5, credits_amount: undefined })]);
    expect(type).toContain('application/json');
    expect(body).toEqual({
      points_events: [
        { customer_identifier: '7001', source: 'manual', points_amount: 120, credits_amount: '12.50', internal_note: event().internal_note, skip_email: true },
        { customer_identifier: '7002', source: 'manual', points_amount: -5, internal_note: event().internal_note, skip_email: true },
      ],
    });
  });

  it('switches encodings by config: JSON single, form batch with bracket arrays', async () => {
    let single: unknown;
    let batch = '';
    api()
      .post('/merchant_api/v1/points_events', (b) => {
        single = b;
        return true;
      })
      .reply(201, { data: { type: 'points_event', id: '1', attributes: { id: 1 } } });
    api()
      .post('/merchant_api/v1/points_events/batch')
      .reply((_uri, raw) => {
        batch = String(raw);
        return [201, {}];
      });
    const c = client({ singleEncoding: 'json', batchEncoding: 'form' });
    await c.createEvent(event());
    await c.createEventsBatch([event()]);
    expect(single).toMatchObject({ customer_identifier: '7001', skip_email: true });
    expect(decodeURIComponent(batch)).toContain('points_events[][customer_identifier]=7001');
    expect(decodeURIComponent(batch)).toContain('points_events[][skip_email]=true');
  });

  it('refuses a batch of more than 10 without sending it', async () => {
    await expect(client().createEventsBatch(Array.from({ length: 11 }, () => event()))).rejects.toThrow(/at most 10/);
  });

  it('sets dob with PUT /customers/{id} and the tier with POST /customers/{id}/vip_tier', async () => {
    let dob: unknown;
    let tier: unknown;
    api()
      .put('/merchant_api/v1/customers/7001', (b) => {
        dob = b;
        return true;
      })
      .reply(200, { data: customer() });
    api()
      .post('/merchant_api/v1/customers/7001/vip_tier', (b) => {
        tier = b;
        return true;
      })
      .reply(200, { data: customer() });
    await client().setDob('7001', '2000-05-17');
    await client().setVipTier('7001', '9002');
    expect(dob).toEqual({ dob: '2000-05-17' });
    expect(tier).toEqual({ vip_tier_id: 9002 });
  });

  it('counts every request that left', async () => {
    api().get('/merchant_api/v1/vip_tiers').reply(200, { data: [{ type: 'vip_tier', id: '9001', attributes: { id: 9001, name: 'Bronze' } }] });
    const c = client();
    expect(await c.listTiers()).toEqual([{ id: '9001', name: 'Bronze' }]);
    expect(c.requestCount).toBe(1);
  });
});

describe('RivoClient: every failure is the right error, with the right certainty, and never carries the key', () => {
  const single = (c: RivoClient) => c.createEvent(event());
  const batch = (c: RivoClient) => c.createEventsBatch([event()]);

  it('401: AuthenticationError, certain, not retried', async () => {
    api().post('/merchant_api/v1/points_events').reply(401, { error: 'Unauthorized' });
    const e = await failure(() => single(client()));
    expect(e).toBeInstanceOf(AuthenticationError);
    expect(e.uncertain).toBe(false);
    expect(e.retryable).toBe(false);
    expect(nock.isDone()).toBe(true);
  });

  it('404 on a single event: NotFoundError, certain (nothing applied); on a batch: uncertain', async () => {
    api().post('/merchant_api/v1/points_events').reply(404, { error: 'Customer not found' });
    const e = await failure(() => single(client()));
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.uncertain).toBe(false);
    expect(e.body).toContain('Customer not found');
    api().post('/merchant_api/v1/points_events/batch').reply(404, { error: 'Customer not found' });
    const b = await failure(() => batch(client()));
    expect(b).toBeInstanceOf(NotFoundError);
    expect(b.uncertain).toBe(true);
  });

  it('422 on a single event: InvalidRequestError, certain, body kept; on a batch: uncertain', async () => {
    api().post('/merchant_api/v1/points_events').reply(422, { errors: ['points_tally cannot be negative'] });
    const e = await failure(() => single(client()));
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e.status).toBe(422);
    expect(e.uncertain).toBe(false);
    expect(e.summary()).toContain('cannot be negative');
    api().post('/merchant_api/v1/points_events/batch').reply(422, { errors: [{ index: 1 }] });
    const b = await failure(() => batch(client()));
    expect(b).toBeInstanceOf(InvalidRequestError);
    expect(b.uncertain).toBe(true);
  });

  it('429 with Retry-After: the wait is honoured; a single write is retried (certain), then succeeds', async () => {
    api().post('/merchant_api/v1/points_events').reply(429, { error: 'Too many requests' }, { 'Retry-After': '0' });
    api().post('/merchant_api/v1/points_events').reply(201, { data: { type: 'points_event', id: '9', attributes: { id: 9 } } });
    const created = await single(client());
    expect(created?.id).toBe('9');
    api().post('/merchant_api/v1/points_events').reply(429, {}, { 'Retry-After': '2' });
    const e = await failure(() => single(client({ maxRetries: 0 })));
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e.retryAfterMs).toBe(2000);
    expect(e.uncertain).toBe(false);
  });

  it('429 without Retry-After: RateLimitError without a wait; on a batch uncertain and never resent', async () => {
    api().post('/merchant_api/v1/points_events').reply(429, { error: 'Too many requests' });
    const e = await failure(() => single(client({ maxRetries: 0 })));
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e.retryAfterMs).toBeUndefined();
    api().post('/merchant_api/v1/points_events/batch').once().reply(429, {});
    const b = await failure(() => batch(client({ maxRetries: 5 })));
    expect(b).toBeInstanceOf(RateLimitError);
    expect(b.uncertain).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('500 on a write: ServerError, uncertain, not resent; on a read: retried', async () => {
    api().post('/merchant_api/v1/points_events').once().reply(500, 'oops');
    const e = await failure(() => single(client({ maxRetries: 5 })));
    expect(e).toBeInstanceOf(ServerError);
    expect(e.uncertain).toBe(true);
    expect(e.retryable).toBe(true);
    api().get('/merchant_api/v1/customers/7001').reply(503, 'busy');
    api().get('/merchant_api/v1/customers/7001').reply(200, { data: customer() });
    expect((await client().getCustomer('7001'))?.id).toBe('7001');
  });

  it('connection reset: ConnectionError, uncertain for a write', async () => {
    api()
      .post('/merchant_api/v1/points_events/batch')
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const e = await failure(() => batch(client()));
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e.message).toContain('ECONNRESET');
    expect(e.uncertain).toBe(true);
    expect(e.status).toBeUndefined();
  });

  it('timeout: ConnectionError "timed out", uncertain for a write', async () => {
    api().post('/merchant_api/v1/points_events').delay(500).reply(201, {});
    const e = await failure(() => single(client({ timeoutMs: 50 })));
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e.message).toMatch(/timed out/);
    expect(e.uncertain).toBe(true);
  });

  it('HTML with a 200: BadResponseError, uncertain for a write (the proxy may have passed it on)', async () => {
    api().post('/merchant_api/v1/points_events').reply(200, '<html><body>Bad gateway</body></html>', { 'Content-Type': 'text/html' });
    const e = await failure(() => single(client()));
    expect(e).toBeInstanceOf(BadResponseError);
    expect(e.uncertain).toBe(true);
    api().get('/merchant_api/v1/customers/7001').times(3).reply(200, '<html>maintenance</html>');
    const r = await failure(() => client().getCustomer('7001'));
    expect(r).toBeInstanceOf(BadResponseError);
    expect(r.uncertain).toBe(false);
  });

  it('a 2xx read of the wrong shape is a BadResponseError naming the field', async () => {
    api().get('/merchant_api/v1/customers/7001').reply(200, { data: customer({ credits_tally: 'lots' }) });
    const e = await failure(() => client().getCustomer('7001'));
    expect(e).toBeInstanceOf(BadResponseError);
    expect(e.message).toContain('credits_tally');
  });
});
