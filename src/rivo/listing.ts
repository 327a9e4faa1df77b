import type { RivoApi, RivoEvent, RivoEventsPage } from './api.js';
import { metaCount } from './parse.js';
import type { RivoProfile } from './profile.js';

/**
 * Reading one customer's events back from Rivo, and whether that reading can be trusted to be complete.
 *
 * Every assumption about `GET /points_events` lives here, in `readCustomerEvents` and its constants: the filter
 * name (`EVENTS_CUSTOMER_FILTER`, which the client's one-page read sends), the page size asked (250, Rivo's
 * documented maximum, or the store's measured cap), the 500-page limit, and how the end is recognised. The end is never inferred from a short page
 * (a store may cap `per_page` below what was asked): only the listing's own `links.next` / `meta.total_pages`, or,
 * when the answer carries neither, an empty page (or a short one when the store's cap was measured by `pilot`).
 * Order does not matter to it: every page is read and events are deduplicated by id.
 */

/** The query parameter that narrows `GET /points_events` to one customer (the only filter name rivo-api.md confirms). */
export const EVENTS_CUSTOMER_FILTER = 'filters[customer_identifier]';
/** Rivo's documented page-number limit (rivo-api.md): a listing needing more pages cannot be read whole. */
export const EVENTS_MAX_PAGE = 500;
/** The largest `per_page` Rivo documents. */
export const EVENTS_MAX_PER_PAGE = 250;

/** Who the events must belong to: the identifier asked for and every other name Rivo may list the customer under. */
export interface EventOwner {
  identifier: string;
  id?: string | null;
  email?: string | null;
}

export interface CustomerListing {
  /** The customer's events (foreign ones removed), each id once. */
  events: RivoEvent[];
  /** Null when the listing proves it was read whole; otherwise why it cannot be trusted to be. */
  incomplete: string | null;
  pages: number;
}

export async function readCustomerEvents(rivo: RivoApi, owner: EventOwner, profile: RivoProfile): Promise<CustomerListing> {
  const cap = profile.listing.perPageCap;
  const perPage = cap !== null && cap > 0 ? Math.min(cap, EVENTS_MAX_PER_PAGE) : EVENTS_MAX_PER_PAGE;
  const byId = new Map<string, RivoEvent>();
  const foreign: string[] = [];
  let incomplete: string | null = null;
  let totalCount: number | null = null;
  let pages = 0;
  for (let page = 1; ; page++) {
    if (page > EVENTS_MAX_PAGE) {
      incomplete = `the listing has more than ${EVENTS_MAX_PAGE} pages, the most Rivo serves`;
      break;
    }
    const answer = await rivo.listEventsPage(owner.identifier, page, perPage);
    pages++;
    let fresh = 0;
    for (const e of answer.events) {
      if (!belongsTo(e, owner)) {
        foreign.push(`${e.id} (${e.customerIdentifier})`);
        continue;
      }
      if (!byId.has(e.id)) fresh++;
      byId.set(e.id, e);
    }
    const total = metaCount(answer.meta?.total_count);
    if (total !== null) totalCount = total;
    const end = endOf(answer, page, perPage, cap !== null);
    if (end === 'end') break;
    if (end === 'empty') break;
    // A page that brings nothing new although the listing says there is more: the server ignores `page`.
    if (answer.events.length > 0 && fresh === 0 && foreign.length === 0) {
      incomplete = `page ${page} repeated events already listed (the server may ignore the page number)`;
      break;
    }
  }
  if (foreign.length) incomplete ??= `the listing returned events of another customer (${foreign.slice(0, 3).join(', ')}): the customer filter was not applied`;
  if (incomplete === null && totalCount !== null && byId.size + foreign.length < totalCount)
    incomplete = `the listing says ${totalCount} events but served ${byId.size}`;
  return { events: [...byId.values()], incomplete, pages };
}

/**
 * Whether this page is the last: the listing's `links.next` (null: last), else `meta.total_pages`, else an empty
 * page. A short page ends the listing only when the store's page cap was measured and the page is below it.
 */
function endOf(answer: RivoEventsPage, page: number, perPage: number, capMeasured: boolean): 'end' | 'more' | 'empty' {
  const links = answer.links;
  if (links && 'next' in links) return links.next === null || links.next === '' ? 'end' : 'more';
  const totalPages = metaCount(answer.meta?.total_pages);
  if (totalPages !== null) return page >= totalPages ? 'end' : 'more';
  if (answer.events.length === 0) return 'empty';
  if (capMeasured && answer.events.length < perPage) return 'end';
  return 'more';
}

/** An event listed without any customer identifier cannot be checked here; the tally proof catches a wrong listing. */
function belongsTo(e: RivoEvent, owner: EventOwner): boolean {
  const who = e.customerIdentifier?.trim();
  if (!who) return true;
  const names = [owner.identifier, owner.id, owner.email].filter((n): n is string => typeof n === 'string' && n !== '');
  return names.some((n) => (n.includes('@') ? n.toLowerCase() === who.toLowerCase() : n === who));
}
