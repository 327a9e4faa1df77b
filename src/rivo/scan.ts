import { parseKey, parseKeysFromNote, type ParsedKey } from '../mapper/keys.js';
import { metaCount } from './parse.js';
import type { RivoEvent } from './api.js';
import type { RivoEventsPage } from './api.js';

/**
 * The store-wide scan for this tool's event keys: what a DB with no history in a Rivo store reads before its first
 * write, and what `adopt` rebuilds a ledger from. Every assumption about Rivo's store-wide listing is here, in one
 * place, because most of it is [unconfirmed] (shared/reference/rivo-api.md, "Points events"):
 * - `GET /points_events` without a customer filter lists the store's events; `filters[source]=manual` narrows it to
 *   manual events (every event this tool writes is manual). A Rivo that ignores the filter only makes the scan longer.
 * - Pages are `pagination[page]` (1 to 500) and `pagination[per_page]` (≤ 250). The end is what the listing says
 *   (`links.next` null, or `meta.total_pages` reached); without either, an empty page. A short page proves nothing.
 * - Past page 500 the scan is sliced by applied-at window: the next slice asks for events applied at or before the
 *   oldest one seen (`filters[applied_at_max]`, name [unconfirmed]), which assumes newest-first order. A slice that
 *   brings nothing new while the cap was hit means the slicing does not work on this store: the scan is incomplete
 *   and says so (it never concludes "none found" from a listing it could not finish).
 * - Every event is deduplicated by its Rivo id, so overlapping pages or slices count once.
 */

export interface EventsLister {
  queryEventsPage(query: Record<string, string | number>): Promise<RivoEventsPage>;
}

export const SCAN_PER_PAGE = 250;
export const SCAN_PAGE_CAP = 500;

export interface KeyedEvent {
  key: string;
  parsed: ParsedKey;
  event: RivoEvent;
}

export interface ScanProgress {
  requests: number;
  events: number;
  keyed: number;
  /** What the listing says it holds, when it says so (meta.total_count): the cost estimate follows from it. */
  totalEvents: number | null;
  estimatedRequests: number | null;
}

export interface ScanResult {
  requests: number;
  events: number;
  keyed: KeyedEvent[];
  ms: number;
}

export class ScanIncompleteError extends Error {}


export async function scanMigrationEvents(
  rivo: EventsLister,
  options: { onProgress?: (p: ScanProgress) => void; signal?: AbortSignal; perPage?: number; pageCap?: number } = {},
): Promise<ScanResult> {
  const started = Date.now();
  const perPage = options.perPage ?? SCAN_PER_PAGE;
  const cap = options.pageCap ?? SCAN_PAGE_CAP;
  const seen = new Set<string>();
  const keyed: KeyedEvent[] = [];
  let requests = 0;
  let totalEvents: number | null = null;
  let upperBound: string | null = null;
  for (;;) {
    let oldest: string | null = null;
    let freshInSlice = 0;
    let hitCap = false;
    for (let page = 1; ; page++) {
      if (options.signal?.aborted) throw new ScanIncompleteError('the scan was interrupted');
      const query: Record<string, string | number> = { 'filters[source]': 'manual', 'pagination[page]': page, 'pagination[per_page]': perPage };
      if (upperBound) query['filters[applied_at_max]'] = upperBound;
      const res = await rivo.queryEventsPage(query);
      requests++;
      const total = metaCount(res.meta?.total_count);
      if (upperBound === null && page === 1 && total !== null) totalEvents = total;
      for (const e of res.events) {
        if (seen.has(e.id)) continue;
        seen.add(e.id);
        freshInSlice++;
        if (e.appliedAt && (oldest === null || e.appliedAt < oldest)) oldest = e.appliedAt;
        for (const key of parseKeysFromNote(e.internalNote)) {
          const parsed = parseKey(key);
          // A pilot's probe events are taken back by the pilot itself (its own ledger): they credit nobody.
          if (parsed && parsed.role !== 'pilot') keyed.push({ key, parsed, event: e });
        }
      }
      options.onProgress?.({
        requests,
        events: seen.size,
        keyed: keyed.length,
        totalEvents,
        estimatedRequests: totalEvents === null ? null : Math.max(1, Math.ceil(totalEvents / perPage)),
      });
      const totalPages = metaCount(res.meta?.total_pages);
      const next = res.links ? res.links.next : undefined;
      const saysLast = next === null || (totalPages !== null && page >= totalPages);
      const saysMore = (typeof next === 'string' && next !== '') || (totalPages !== null && page < totalPages);
      if (res.events.length === 0 || (saysLast && !saysMore)) break;
      if (page >= cap) {
        hitCap = true;
        break;
      }
    }
    if (!hitCap) break;
    if (freshInSlice === 0 || oldest === null || oldest === upperBound)
      throw new ScanIncompleteError(
        `the listing holds more than ${cap} pages and slicing it by applied-at window brought nothing new (${seen.size} events read in ${requests} requests)`,
      );
    upperBound = oldest;
  }
  return { requests, events: seen.size, keyed, ms: Date.now() - started };
}

/** What the scan found of one migration id. */
export interface EarlierMigration {
  migrationId: string;
  events: number;
  /** Customers (by hash) with any event of this migration. */
  customers: number;
  /** Customers with migration events, no rollback event, and a non-zero net change: what a second migration would credit again. */
  creditedCustomers: number;
  rolledBackCustomers: number;
  points: number;
  creditsCents: number;
  firstAt: string | null;
  lastAt: string | null;
}

/** Groups keyed events by migration id; revoked events are left out (they no longer count in Rivo). Pure. */
export function summarizeMigrations(keyed: KeyedEvent[]): EarlierMigration[] {
  const byId = new Map<string, { events: number; customers: Map<string, { net: number; credits: number; migration: boolean; rollback: boolean }>; points: number; credits: number; first: string | null; last: string | null }>();
  for (const k of keyed) {
    if (k.event.revokedAt) continue;
    let m = byId.get(k.parsed.migrationId);
    if (!m) byId.set(k.parsed.migrationId, (m = { events: 0, customers: new Map(), points: 0, credits: 0, first: null, last: null }));
    m.events++;
    m.points += k.event.pointsDiff;
    m.credits += k.event.creditsDiffCents;
    const at = k.event.createdAt ?? k.event.appliedAt;
    if (at && (m.first === null || at < m.first)) m.first = at;
    if (at && (m.last === null || at > m.last)) m.last = at;
    let c = m.customers.get(k.parsed.customerHash);
    if (!c) m.customers.set(k.parsed.customerHash, (c = { net: 0, credits: 0, migration: false, rollback: false }));
    c.net += k.event.pointsDiff;
    c.credits += k.event.creditsDiffCents;
    if (k.parsed.role === 'rollback') c.rollback = true;
    else c.migration = true;
  }
  return [...byId.entries()]
    .map(([migrationId, m]) => {
      const list = [...m.customers.values()];
      return {
        migrationId,
        events: m.events,
        customers: list.length,
        creditedCustomers: list.filter((c) => c.migration && !c.rollback && (c.net !== 0 || c.credits !== 0)).length,
        rolledBackCustomers: list.filter((c) => c.rollback).length,
        points: m.points,
        creditsCents: m.credits,
        firstAt: m.first,
        lastAt: m.last,
      };
    })
    .sort((a, b) => b.events - a.events);
}
