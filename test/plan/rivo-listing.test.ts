import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/open.js';
import { forEachRivoPage, LISTING_RANGES_AT_ONCE, listAllRivoCustomers, listingSplits } from '../../src/plan/rivo-index.js';
import type { CustomerIdRange, RivoApi } from '../../src/rivo/api.js';
import { RivoClient } from '../../src/rivo/client.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { tmpDir } from '../extract/helpers.js';

/**
 * Rivo's customer listing read in ranges side by side (issue 13: a listing of 20,000 customers was ~2 s of pages
 * waiting on each other's cursors, twice per `migrate`), against the sandbox over HTTP: every customer exactly once,
 * whatever changed since the listing the ranges were cut from, one request a page, and a store whose cursor is not an
 * id read in one pass instead.
 */

let sb: Sandbox | undefined;
let db: Db | undefined;
let rivo: RivoClient | undefined;

afterEach(async () => {
  await rivo?.close();
  db?.close();
  await sb?.close();
  sb = db = rivo = undefined;
});

async function setup(): Promise<{ sb: Sandbox; db: Db; api: RivoApi; listings: { open: number; most: number } }> {
  sb = await startSandbox({ customers: 1100, seed: 7, awkward: 0.1 });
  db = openDb(join(tmpDir('listing'), 'm.sqlite'));
  rivo = new RivoClient({ baseUrl: sb.rivoUrl, apiKey: sb.credentials.rivoApiKey, rps: 1000, concurrency: 8, timeoutMs: 5000, maxRetries: 0 });
  const client = rivo;
  // How many listings (ranges) are open at once.
  const listings = { open: 0, most: 0 };
  const api = Object.create(client) as RivoApi;
  api.listCustomers = async function* (pageSize?: number, range?: CustomerIdRange) {
    listings.most = Math.max(listings.most, ++listings.open);
    try {
      yield* client.listCustomers(pageSize, range);
    } finally {
      listings.open--;
    }
  };
  return { sb, db, api, listings };
}

/** Every customer handed over by one listing, in the order handed (a restart starts the list again). */
async function listedIds(d: Db, api: RivoApi): Promise<{ ids: string[]; restarts: number }> {
  let ids: string[] = [];
  let restarts = 0;
  await forEachRivoPage(
    d,
    api,
    (page) => {
      ids.push(...page.map((c) => c.id));
    },
    () => {
      ids = [];
      restarts++;
    },
  );
  return { ids, restarts };
}

const sorted = (ids: Iterable<string | number>) => [...ids].map(String).sort();

describe("Rivo's customer listing in ranges", () => {
  it('after a first listing, reads ranges side by side: each customer once, added and removed ones as they are now, one request a page', async () => {
    const { sb: s, db: d, api, listings } = await setup();
    const ids = s.rivo.ids();
    expect(ids.length).toBeGreaterThan(1000);
    // One customer is missing at the first listing and comes back after it, inside the first range.
    const returning = s.rivo.customer(ids[10]!)!;
    s.rivo.removeCustomer(ids[10]!);

    s.resetStats();
    const first = await listAllRivoCustomers(d, api);
    expect(first).toBe(ids.length - 1);
    // Nothing stored before: one pass from the start, a page after another.
    expect(s.stats().rivo.requests).toBe(Math.ceil((ids.length - 1) / 250));
    expect(listings.most).toBe(1);

    const splits = listingSplits(d);
    expect(splits).toHaveLength(Math.floor((ids.length - 1) / 250));
    s.rivo.addCustomer({ ...returning, id: ids[10]! });
    s.rivo.removeCustomer(ids[600]!);
    s.rivo.addCustomer({ email: 'new-after-listing@example.com' }); // a new id, after the last range's first id
    s.resetStats();
    const { ids: second, restarts } = await listedIds(d, api);
    expect(restarts).toBe(0);
    expect(sorted(second)).toEqual(sorted(s.rivo.ids()));
    expect(new Set(second).size).toBe(second.length);
    // A request per range, and one more for the first range, which now holds 251 customers.
    expect(s.stats().rivo.requests).toBe(splits.length + 1 + 1);
    expect(listings.most).toBe(LISTING_RANGES_AT_ONCE);
  });

  it('a store whose cursor is not an id: the ranges are given up and the listing read again from the start, each customer once', async () => {
    const { sb: s, db: d, api } = await setup();
    await listAllRivoCustomers(d, api);
    expect(listingSplits(d).length).toBeGreaterThan(1);
    s.rivo.behaviour.customerCursorOpaque = true;
    s.rivo.addCustomer({ email: 'another@example.com' });
    const { ids, restarts } = await listedIds(d, api);
    expect(restarts).toBe(1);
    expect(sorted(ids)).toEqual(sorted(s.rivo.ids()));
    expect(new Set(ids).size).toBe(ids.length);
    // And what the planner stores is the same listing.
    expect(await listAllRivoCustomers(d, api)).toBe(s.rivo.ids().length);
  });
});
