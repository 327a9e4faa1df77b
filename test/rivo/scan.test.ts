import { describe, expect, it } from 'vitest';
import type { RivoEvent } from '../../src/rivo/api.js';
import type { RivoEventsPage as EventsPage } from '../../src/rivo/api.js';
import { ScanIncompleteError, scanMigrationEvents, summarizeMigrations } from '../../src/rivo/scan.js';

/** The store-wide scan against a fake listing: it follows what the listing says, slices past the page cap, and never concludes from a listing it could not finish. */

const HASH_A = '0123456789abcdef';
const HASH_B = 'fedcba9876543210';

function ev(id: number, note: string | null, points = 10, extra: Partial<RivoEvent> = {}): RivoEvent {
  return {
    id: String(id),
    customerIdentifier: '1',
    pointsDiff: points,
    creditsDiffCents: 0,
    internalNote: note,
    source: 'manual',
    appliedAt: new Date(Date.UTC(2026, 0, 1) + id * 60_000).toISOString(),
    createdAt: null,
    revokedAt: null,
    ...extra,
  };
}

/** Newest first, `perPage` at a time, with or without links/meta; `appliedMax` honoured when `slicing`. */
function lister(events: RivoEvent[], opts: { perPage: number; links: boolean; meta: boolean; slicing: boolean; cap: number }) {
  const queries: Record<string, string | number>[] = [];
  const sorted = [...events].sort((a, b) => b.appliedAt!.localeCompare(a.appliedAt!));
  return {
    queries,
    async queryEventsPage(query: Record<string, string | number>): Promise<EventsPage> {
      queries.push(query);
      const page = Number(query['pagination[page]']);
      if (page > opts.cap) throw new Error('page over the cap');
      const max = query['filters[applied_at_max]'];
      const all = opts.slicing && typeof max === 'string' ? sorted.filter((e) => e.appliedAt! <= max) : sorted;
      const items = all.slice((page - 1) * opts.perPage, page * opts.perPage);
      const lastPage = Math.max(1, Math.ceil(all.length / opts.perPage));
      return {
        events: items,
        links: opts.links ? { next: page < Math.min(lastPage, opts.cap) ? `?page=${page + 1}` : null } : null,
        meta: opts.meta ? { total_count: all.length, total_pages: lastPage } : null,
      };
    },
  };
}

const keyed = (n: number, migration = 'm1', hash = HASH_A) =>
  Array.from({ length: n }, (_, i) => ev(i + 1, `Migrated from Yotpo [y2r:${migration}:${hash}:earned:${i}]`));

describe('scanMigrationEvents', () => {
  it('costs one request on a store whose listing says it has one page, and reads the keys', async () => {
    const l = lister([...keyed(3), ev(100, 'a manual gift')], { perPage: 250, links: true, meta: true, slicing: false, cap: 500 });
    const r = await scanMigrationEvents(l);
    expect(r.requests).toBe(1);
    expect(r.events).toBe(4);
    expect(r.keyed.map((k) => k.parsed.migrationId)).toEqual(['m1', 'm1', 'm1']);
    expect(l.queries[0]).toMatchObject({ 'filters[source]': 'manual', 'pagination[per_page]': 250 });
  });

  it('never takes a short page for the end: follows links, or reads until an empty page', async () => {
    // A Rivo that caps per_page at 2 and says nothing about pages: every event is still read.
    const l = lister(keyed(7), { perPage: 2, links: false, meta: false, slicing: false, cap: 500 });
    const r = await scanMigrationEvents(l);
    expect(r.keyed).toHaveLength(7);
    expect(r.requests).toBe(5); // 4 pages of events, then the empty page that proves the end
  });

  it('slices by applied-at window past the page cap, counting overlapping events once', async () => {
    const l = lister(keyed(25), { perPage: 2, links: true, meta: true, slicing: true, cap: 3 });
    const r = await scanMigrationEvents(l, { perPage: 2, pageCap: 3 });
    expect(r.keyed).toHaveLength(25);
    expect(r.events).toBe(25);
    expect(l.queries.some((q) => 'filters[applied_at_max]' in q)).toBe(true);
  });

  it('refuses to conclude when the cap is hit and the window filter is ignored', async () => {
    const l = lister(keyed(25), { perPage: 2, links: true, meta: true, slicing: false, cap: 3 });
    await expect(scanMigrationEvents(l, { perPage: 2, pageCap: 3 })).rejects.toThrow(ScanIncompleteError);
  });
});

describe('summarizeMigrations', () => {
  it('a migration blocks while a customer it credited has no rollback; a rolled-back one does not', async () => {
    const events = [
      ev(1, `[y2r:live:${HASH_A}:earned:0]`, 100),
      ev(2, `[y2r:live:${HASH_A}:spent:0]`, -40),
      ev(3, `[y2r:undone:${HASH_A}:balance:0]`, 50),
      ev(4, `[y2r:undone:${HASH_A}:rollback:0]`, -50),
      ev(5, `[y2r:revoked:${HASH_B}:balance:0]`, 50, { revokedAt: '2026-01-02T00:00:00Z' }),
    ];
    const l = lister(events, { perPage: 250, links: true, meta: true, slicing: false, cap: 500 });
    const byId = new Map(summarizeMigrations((await scanMigrationEvents(l)).keyed).map((m) => [m.migrationId, m]));
    expect(byId.get('live')).toMatchObject({ events: 2, creditedCustomers: 1, points: 60 });
    expect(byId.get('undone')).toMatchObject({ events: 2, creditedCustomers: 0, rolledBackCustomers: 1 });
    expect(byId.has('revoked')).toBe(false);
  });
});
