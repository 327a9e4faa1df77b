import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticationError, BadResponseError } from '../../src/http/errors.js';
import { detectListEndpoint, openListing, type CustomerPage } from '../../src/yotpo/listing.js';
import { customers, pageOf, startFake, testClient, yotpoRoutes, type FakeServer } from './helpers.js';

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function collect(pages: AsyncGenerator<CustomerPage>): Promise<CustomerPage[]> {
  const out: CustomerPage[] = [];
  for await (const p of pages) out.push(p);
  return out;
}

describe('customer listing', () => {
  it('pages /customers/recent to the end by cursor, from a stored cursor too', async () => {
    const records = customers(25);
    server = await startFake(yotpoRoutes(records));
    const client = testClient(server.url);
    const listing = await openListing(client, { setting: 'recent', perPage: 10 });
    expect(listing.source).toBe('api:recent');
    const pages = await collect(listing.pages(null));
    expect(pages.map((p) => [p.cursor, p.records.length, p.next])).toEqual([
      [null, 10, 'off10'],
      ['off10', 10, 'off20'],
      ['off20', 5, null],
    ]);
    expect(pages.flatMap((p) => p.records)).toEqual(records);
    const resumed = await collect(listing.pages('off20'));
    expect(resumed.map((p) => p.records.length)).toEqual([5]);
    expect(pageOf(server.seen.at(-1)!)).toBe('off20');
    await client.close();
  });

  it('pages /customers/all by number, several in flight, handed out in order', async () => {
    const records = customers(95);
    let inFlight = 0;
    let maxInFlight = 0;
    const routes = yotpoRoutes(records);
    server = await startFake(async (req) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Later pages answer faster than earlier ones: order must come from the listing, not from the wire.
      const page = Number(req.query.get('page'));
      await new Promise((r) => setTimeout(r, Math.max(5, 60 - page * 5)));
      inFlight--;
      return routes(req);
    });
    const client = testClient(server.url);
    const listing = await openListing(client, { setting: 'all', perPage: 10, concurrency: 4 });
    const pages = await collect(listing.pages(null));
    expect(pages.map((p) => p.cursor)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(pages.map((p) => p.next)).toEqual(['2', '3', '4', '5', '6', '7', '8', '9', '10', null]);
    expect(pages.every((p) => p.totalPages === 10)).toBe(true);
    expect(pages.flatMap((p) => p.records)).toEqual(records);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(server.seen).toHaveLength(10);
    const resumed = await collect(listing.pages('9'));
    expect(resumed.map((p) => p.cursor)).toEqual(['9', '10']);
    await client.close();
  });

  it('ends /customers/all on an empty page when no total_pages is given', async () => {
    const records = customers(12);
    server = await startFake((req) => {
      const page = Number(req.query.get('page'));
      return { json: { customers: records.slice((page - 1) * 5, page * 5) } };
    });
    const client = testClient(server.url);
    const listing = await openListing(client, { setting: 'all', perPage: 5 });
    const pages = await collect(listing.pages(null));
    expect(pages.map((p) => p.records.length)).toEqual([5, 5, 2, 0]);
    expect(pages.at(-1)?.next).toBeNull();
    await client.close();
  });

  it('auto: uses /customers/recent when the account answers it', async () => {
    server = await startFake(yotpoRoutes(customers(3)));
    const client = testClient(server.url);
    expect(await detectListEndpoint(client)).toBe('recent');
    expect((await openListing(client, { setting: 'auto', perPage: 10 })).endpoint).toBe('recent');
    await client.close();
  });

  it('auto: falls back to /customers/all on a 404, and keeps to an earlier run\'s choice without asking', async () => {
    server = await startFake(yotpoRoutes(customers(3), { endpoints: ['all'] }));
    const client = testClient(server.url);
    const listing = await openListing(client, { setting: 'auto', perPage: 10 });
    expect(listing.endpoint).toBe('all');
    expect(server.seen.map((s) => s.path)).toEqual(['/customers/recent']);
    const again = await openListing(client, { setting: 'auto', perPage: 10, previous: 'all' });
    expect(again.endpoint).toBe('all');
    expect(server.seen).toHaveLength(1);
    await client.close();
  });

  it('auto: does not mistake bad credentials for a missing endpoint', async () => {
    server = await startFake(() => ({ status: 401, json: { error: 'Unauthorized' } }));
    const client = testClient(server.url);
    await expect(detectListEndpoint(client)).rejects.toBeInstanceOf(AuthenticationError);
    await client.close();
  });

  it('stops a server that hands back an earlier cursor instead of looping for ever', async () => {
    server = await startFake((req) => ({
      json: { customers: customers(2), metadata: { next_page_info: req.query.get('page_info') === 'b' ? 'a' : req.query.get('page_info') === 'a' ? 'b' : 'a' } },
    }));
    const client = testClient(server.url);
    const listing = await openListing(client, { setting: 'recent', perPage: 2 });
    await expect(collect(listing.pages(null))).rejects.toBeInstanceOf(BadResponseError);
    expect(server.seen.length).toBeLessThan(5);
    await client.close();
  });
});
