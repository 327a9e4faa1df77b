import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox, type YotpoRecord } from '../../src/sandbox/index.js';
import { yget, yotpoHeaders } from './helpers.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ customers: 237, seed: 4, awkward: 0.3 });
});
afterAll(() => sb.close());

describe('Yotpo stand-in: access', () => {
  it('serves under /api/v2 on 127.0.0.1', () => {
    expect(sb.yotpoUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v2$/);
  });

  it('refuses missing or wrong credentials with 401 JSON', async () => {
    const none = await yget(sb, '/vip_tiers', {});
    expect(none.status).toBe(401);
    expect(none.json).toBeTypeOf('object');
    const wrongKey = await yget(sb, '/vip_tiers', { ...yotpoHeaders(sb), 'x-api-key': 'nope' });
    expect(wrongKey.status).toBe(401);
    const guidOnly = await yget(sb, '/vip_tiers', { 'x-guid': sb.credentials.yotpoGuid });
    expect(guidOnly.status).toBe(401);
  });

  it('answers 404 for unknown paths and writes', async () => {
    expect((await yget(sb, '/nothing/here')).status).toBe(404);
    const post = await fetch(`${sb.yotpoUrl}/customers/recent`, { method: 'POST', headers: yotpoHeaders(sb), body: '{}' });
    expect(post.status).toBe(404);
  });
});

describe('Yotpo stand-in: listing', () => {
  it('/customers/recent pages with an opaque cursor to the end', async () => {
    const seen: YotpoRecord[] = [];
    let cursor: string | null | undefined;
    let pages = 0;
    do {
      const q = cursor ? `?per_page=100&page_info=${encodeURIComponent(cursor)}` : '?per_page=100';
      const res = await yget(sb, `/customers/recent${q}`);
      expect(res.status).toBe(200);
      expect(Array.isArray(res.json.customers)).toBe(true);
      expect(res.json.metadata).toBeTypeOf('object');
      seen.push(...res.json.customers);
      cursor = res.json.metadata.next_page_info;
      if (cursor) expect(cursor).not.toMatch(/^\d+$/);
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.map((r) => r.email)).toEqual(sb.shop.yotpoCustomers.map((r) => r.email));
    expect(seen).toEqual(sb.yotpo.customers());
  });

  it('/customers/recent clamps per_page above 100 and rejects a bad cursor', async () => {
    const res = await yget(sb, '/customers/recent?per_page=250');
    expect(res.json.customers).toHaveLength(100);
    expect((await yget(sb, '/customers/recent?page_info=garbage!!')).status).toBe(400);
  });

  it('/customers/all pages by number from 1 with links.total_pages', async () => {
    const first = await yget(sb, '/customers/all?page=1&per_page=50');
    expect(first.status).toBe(200);
    const total = first.json.links.total_pages;
    expect(total).toBe(Math.ceil(237 / 50));
    const seen: YotpoRecord[] = [...first.json.customers];
    for (let p = 2; p <= total; p++) seen.push(...(await yget(sb, `/customers/all?page=${p}&per_page=50`)).json.customers);
    expect(seen.map((r) => r.email)).toEqual(sb.shop.yotpoCustomers.map((r) => r.email));
    const beyond = await yget(sb, `/customers/all?page=${total + 1}&per_page=50`);
    expect(beyond.json.customers).toEqual([]);
  });

  it('/customers/all filters by last_seen_at', async () => {
    const cut = '2024-06-01T00:00:00.000Z';
    const expected = sb.shop.yotpoCustomers.filter((r) => typeof r.last_seen_at === 'string' && r.last_seen_at >= cut);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(237);
    const res = await yget(sb, `/customers/all?page=1&per_page=100&last_seen_at=${encodeURIComponent(cut)}`);
    expect(res.json.links.total_pages).toBe(Math.ceil(expected.length / 100));
    expect(res.json.customers.map((r: YotpoRecord) => r.email)).toEqual(expected.slice(0, 100).map((r) => r.email));
    expect((await yget(sb, '/customers/all?last_seen_at=yesterday')).status).toBe(400);
  });

  it('records are flat, awkward values served as they are', async () => {
    const res = await yget(sb, '/customers/all?page=1&per_page=100');
    const all: YotpoRecord[] = res.json.customers;
    const withSpaces = all.find((r) => r.email !== r.email.trim());
    const twin = sb.shop.yotpoCustomers.find((r) => 'thirty_party_id' in r);
    expect(twin).toBeDefined();
    for (const r of all) expect(typeof r.email).toBe('string');
    if (withSpaces) expect(withSpaces.email).toMatch(/^\s|\s$/);
  });

  it('a list endpoint switched off answers 404, at start or at run time', async () => {
    const only = await startSandbox({ customers: 5, yotpo: { listEndpoints: ['all'] } });
    try {
      expect((await yget(only, '/customers/recent')).status).toBe(404);
      expect((await yget(only, '/customers/all')).status).toBe(200);
      only.yotpo.listEndpoints = ['recent'];
      expect((await yget(only, '/customers/all')).status).toBe(404);
      expect((await yget(only, '/customers/recent')).status).toBe(200);
    } finally {
      await only.close();
    }
  });
});

describe('Yotpo stand-in: one customer and tiers', () => {
  it('finds by email (any case), by Shopify id (either spelling), 404 otherwise', async () => {
    const rec = sb.shop.yotpoCustomers.find((r) => !(r.email in sb.shop.cases))!;
    const byEmail = await yget(sb, `/customers?customer_email=${encodeURIComponent(rec.email.toUpperCase())}`);
    expect(byEmail.status).toBe(200);
    expect(byEmail.json).toEqual(rec);
    const byId = await yget(sb, `/customers?customer_id=${rec.third_party_id}`);
    expect(byId.json.email).toBe(rec.email);
    const twin = sb.shop.yotpoCustomers.find((r) => 'thirty_party_id' in r)!;
    expect((await yget(sb, `/customers?customer_id=${twin.thirty_party_id}`)).json.email).toBe(twin.email);
    expect((await yget(sb, '/customers?customer_email=nobody%40nowhere.test')).status).toBe(404);
    expect((await yget(sb, '/customers')).status).toBe(400);
  });

  it('with_history=true adds history items consistent with the balances', async () => {
    const rec = sb.shop.yotpoCustomers.find((r) => !(r.email in sb.shop.cases) && (r.points_earned as number) > (r.points_balance as number) + 10)!;
    sb.yotpo.setHistory(rec.email, 'simple');
    const simple = (await yget(sb, `/customers?customer_email=${encodeURIComponent(rec.email)}&with_history=true`)).json.history_items as { points: number }[];
    expect(simple.map((i) => i.points)).toEqual([rec.points_earned, (rec.points_balance as number) - (rec.points_earned as number)]);
    sb.yotpo.setHistory(rec.email, 'rich');
    const res = await yget(sb, `/customers?customer_email=${encodeURIComponent(rec.email)}&with_history=true`);
    sb.yotpo.setHistory(rec.email, null);
    const items = res.json.history_items as { points: number; status: string; action: string }[];
    // Several earnings, a redemption (status: its coupon code), an expiry, and a pending purchase that counts for nothing yet.
    expect(items.map((i) => i.action)).toEqual([
      'Created an account', 'Followed us on Instagram', 'Made a purchase', 'Redeemed $5 off', 'Made a purchase', 'Points expired', 'Made a purchase',
    ]);
    expect(items[3]!.status).toMatch(/^FIVEOFF-/);
    expect(items[6]!.status).toBe('Pending');
    const counted = items.filter((i) => i.status !== 'Pending');
    expect(counted.reduce((s, i) => s + i.points, 0)).toBe(rec.points_balance);
    expect(counted.filter((i) => i.points > 0).reduce((s, i) => s + i.points, 0)).toBe(rec.points_earned);
    const plain = await yget(sb, `/customers?customer_email=${encodeURIComponent(rec.email)}`);
    expect(plain.json.history_items).toBeUndefined();
  });

  it('/vip_tiers is an array of tiers', async () => {
    const res = await yget(sb, '/vip_tiers');
    expect(res.status).toBe(200);
    expect(res.json.map((t: { name: string }) => t.name)).toEqual(['Bronze', 'Silver', 'Gold', 'Diamond']);
    expect(res.json[0].id).toBeTypeOf('number');
  });
});

describe('Yotpo stand-in: state changes between runs', () => {
  it('update, add and remove show in what is served', async () => {
    const s = await startSandbox({ customers: 3, seed: 9, awkward: 0 });
    try {
      const [a, b] = s.shop.yotpoCustomers as [YotpoRecord, YotpoRecord];
      s.yotpo.update(a.email.toUpperCase(), { points_balance: 777, phone_number: undefined });
      s.yotpo.remove(b.email);
      s.yotpo.add({ email: 'new@example.com', third_party_id: '123', points_balance: 5, points_earned: 5 });
      const res = await yget(s, '/customers/recent');
      const emails = res.json.customers.map((r: YotpoRecord) => r.email);
      expect(emails).toEqual([a.email, s.shop.yotpoCustomers[2]!.email, 'new@example.com']);
      expect(res.json.customers[0].points_balance).toBe(777);
      expect('phone_number' in res.json.customers[0]).toBe(false);
      // The shop snapshot is not the live state.
      expect(s.shop.yotpoCustomers[0]!.points_balance).toBe(a.points_balance);
      expect(() => s.yotpo.update('ghost@example.com', {})).toThrow();
    } finally {
      await s.close();
    }
  });

  it('a cursor stays valid when records are removed mid-listing', async () => {
    const s = await startSandbox({ customers: 10, seed: 9, awkward: 0 });
    try {
      const first = await yget(s, '/customers/recent?per_page=4');
      s.yotpo.remove(s.shop.yotpoCustomers[2]!.email); // already served
      s.yotpo.remove(s.shop.yotpoCustomers[5]!.email); // not yet served
      const second = await yget(s, `/customers/recent?per_page=4&page_info=${first.json.metadata.next_page_info}`);
      expect(second.json.customers.map((r: YotpoRecord) => r.email)).toEqual(
        [4, 6, 7, 8].map((i) => s.shop.yotpoCustomers[i]!.email),
      );
    } finally {
      await s.close();
    }
  });
});

describe('Yotpo stand-in: rate limit', () => {
  it('rpm 5: the 6th request in a minute is 429 with rate-limit headers; 429s are counted, not served', async () => {
    const s = await startSandbox({ customers: 5, seed: 3, yotpo: { rpm: 5 } });
    try {
      const ok = [];
      for (let i = 0; i < 5; i++) ok.push(await yget(s, '/vip_tiers'));
      expect(ok.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      expect(ok.map((r) => r.headers.get('ratelimit-remaining'))).toEqual(['4', '3', '2', '1', '0']);
      expect(ok[0]!.headers.get('ratelimit-limit')).toBe('5');
      expect(ok[0]!.headers.get('x-ratelimit-limit-minute')).toBe('5');
      const limited = [];
      for (let i = 0; i < 8; i++) limited.push(await yget(s, '/customers/recent'));
      for (const r of limited) {
        expect(r.status).toBe(429);
        expect(r.headers.get('ratelimit-remaining')).toBe('0');
        expect(r.headers.get('x-ratelimit-remaining-minute')).toBe('0');
        const reset = Number(r.headers.get('ratelimit-reset'));
        expect(reset).toBeGreaterThanOrEqual(55);
        expect(reset).toBeLessThanOrEqual(60);
      }
      // Retry-After is undocumented: some 429s carry it, some do not.
      const withRetry = limited.filter((r) => r.headers.get('retry-after') !== null);
      expect(withRetry.length).toBeGreaterThan(0);
      expect(withRetry.length).toBeLessThan(8);
      const st = s.stats().yotpo;
      expect(st.requests).toBe(13);
      expect(st.status429).toBe(8);
      expect(st.byPath).toEqual({ '/vip_tiers': 5, '/customers/recent': 8 });
      expect(st.maxInAnyWindow).toBe(13);
    } finally {
      await s.close();
    }
  });

  it('a bad credential does not use the budget', async () => {
    const s = await startSandbox({ customers: 1, yotpo: { rpm: 1 } });
    try {
      expect((await yget(s, '/vip_tiers', {})).status).toBe(401);
      expect((await yget(s, '/vip_tiers')).status).toBe(200);
      expect((await yget(s, '/vip_tiers')).status).toBe(429);
    } finally {
      await s.close();
    }
  });
});
