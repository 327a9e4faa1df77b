import { AppError } from '../errors.js';
import { BadResponseError, NotFoundError } from '../http/errors.js';
import { DEFAULT_YOTPO_CONCURRENCY, type AllPage, type YotpoClient } from './client.js';

export type ListEndpoint = 'recent' | 'all';
export type ListEndpointSetting = ListEndpoint | 'auto';

/** One page of raw customer records, and where the listing goes on from. */
export interface CustomerPage {
  records: unknown[];
  /** The cursor this page was asked for with (`/customers/all`: its page number); null for the first recent page. */
  cursor: string | null;
  /** What to ask for after this page; null when it was the last. Stored as the resume point once the page is stored. */
  next: string | null;
  totalPages?: number;
}

/** Every customer of the account, page by page, from wherever a previous run stopped. */
export interface CustomerListing {
  readonly endpoint: ListEndpoint;
  /** Name of the cursor in `extract_cursors`. */
  readonly source: string;
  pages(start: string | null): AsyncGenerator<CustomerPage, void, undefined>;
}

export interface ListingOptions {
  setting: ListEndpointSetting;
  perPage: number;
  /** Pages of `/customers/all` asked for ahead of the one being stored (the gate still spaces them). */
  concurrency?: number;
  /** The endpoint an earlier run of this migration used: `auto` keeps to it rather than asking again. */
  previous?: ListEndpoint | null;
}

export const listSource = (endpoint: ListEndpoint): string => `api:${endpoint}`;

/**
 * [unconfirmed] Which list endpoint an account answers. Asks `/customers/recent` for one record; a 404 means the
 * account only knows `/customers/all`. Any other failure (bad credentials above all) is the caller's to report.
 */
export async function detectListEndpoint(client: YotpoClient): Promise<ListEndpoint> {
  try {
    await client.listRecent(1, null);
    return 'recent';
  } catch (err) {
    if (err instanceof NotFoundError) return 'all';
    throw err;
  }
}

/** Picks the list endpoint (config, the earlier run's, or detection) and returns its page iterator. */
export async function openListing(client: YotpoClient, options: ListingOptions): Promise<CustomerListing> {
  const endpoint = options.setting !== 'auto' ? options.setting : (options.previous ?? (await detectListEndpoint(client)));
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_YOTPO_CONCURRENCY);
  return {
    endpoint,
    source: listSource(endpoint),
    pages: (start) => (endpoint === 'recent' ? recentPages(client, options.perPage, start) : allPages(client, options.perPage, start, concurrency)),
  };
}

/** Marks a promise as handled (it may be dropped when the consumer stops early) while keeping its outcome. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * Cursor pagination is sequential by nature; the next page is asked for as soon as its cursor is known, so the
 * request overlaps with storing the current page.
 */
async function* recentPages(client: YotpoClient, perPage: number, start: string | null): AsyncGenerator<CustomerPage, void, undefined> {
  const seen = new Set<string>(start === null ? [] : [start]);
  let cursor = start;
  let pending = handled(client.listRecent(perPage, cursor));
  for (;;) {
    const page = await pending;
    const next = page.nextPageInfo;
    if (next !== null) {
      // A server that hands back a cursor it gave before would keep this loop going for ever.
      if (seen.has(next))
        throw new BadResponseError({
          system: 'yotpo',
          method: 'GET',
          path: `/customers/recent?page_info=${encodeURIComponent(cursor ?? '')}`,
          status: 200,
          retryable: false,
          uncertain: false,
          detail: `metadata.next_page_info repeats an earlier cursor (${next.slice(0, 40)}): the listing would never end`,
        });
      seen.add(next);
      pending = handled(client.listRecent(perPage, next));
    }
    yield { records: page.customers, cursor, next };
    if (next === null) return;
    cursor = next;
  }
}

function pageNumber(cursor: string | null): number {
  if (cursor === null) return 1;
  if (!/^[1-9]\d*$/.test(cursor)) throw new AppError(`The stored /customers/all cursor is not a page number: ${JSON.stringify(cursor)}`);
  return Number(cursor);
}

/**
 * Page-number pagination. Once `total_pages` is known, up to `concurrency` pages are asked for ahead; pages are
 * still handed out strictly in order, so the stored cursor always means "every page before this one is stored".
 */
async function* allPages(client: YotpoClient, perPage: number, start: string | null, concurrency: number): AsyncGenerator<CustomerPage, void, undefined> {
  let page = pageNumber(start);
  const inflight = new Map<number, Promise<AllPage>>();
  let requested = page;
  let current = await client.listAll(page, perPage);
  let total = current.totalPages;
  let previousFingerprint: string | null = null;
  for (;;) {
    if (current.totalPages !== null) total = current.totalPages;
    let last: boolean;
    if (total !== null) {
      last = page >= total;
      for (const upTo = Math.min(total, page + concurrency); !last && requested < upTo; ) {
        requested++;
        inflight.set(requested, handled(client.listAll(requested, perPage)));
      }
    } else {
      // No total: an empty page ends the listing; a server ignoring `page` would repeat itself for ever.
      last = current.customers.length === 0;
      const fingerprint = current.customers.length ? JSON.stringify(current.customers) : null;
      if (fingerprint !== null && fingerprint === previousFingerprint)
        throw new BadResponseError({
          system: 'yotpo',
          method: 'GET',
          path: `/customers/all?page=${page}&per_page=${perPage}`,
          status: 200,
          retryable: false,
          uncertain: false,
          detail: 'the page repeats the previous one and no links.total_pages says where the listing ends',
        });
      previousFingerprint = fingerprint;
      if (!last && requested <= page) {
        requested = page + 1;
        inflight.set(requested, handled(client.listAll(requested, perPage)));
      }
    }
    yield { records: current.customers, cursor: String(page), next: last ? null : String(page + 1), ...(total !== null ? { totalPages: total } : {}) };
    if (last) return;
    page++;
    const pending = inflight.get(page) ?? handled(client.listAll(page, perPage));
    inflight.delete(page);
    current = await pending;
  }
}
