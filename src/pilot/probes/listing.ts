import { readListingAsServed, PILOT_PER_PAGE, type ServedListing } from '../listing.js';
import type { ProbeContext } from '../context.js';
import { confirmed, differs, unknown, type AssumptionResult } from '../types.js';
import type { WriteOutcome } from '../writer.js';

/**
 * `events_listing`: how `GET /points_events` orders one customer's events and how many it serves per page. Two pilot
 * events are written one after the other (the caller writes them); their positions in the listing give the order,
 * a page shorter than asked that is followed by more events gives the cap.
 */
export interface ListingObservation {
  order: 'newest_first' | 'oldest_first' | 'unknown';
  perPageCap: number | null;
  pageLengths: number[];
  complete: boolean;
  /** Whether both written events were found. */
  found: boolean;
}

export async function observeListing(ctx: ProbeContext, first: WriteOutcome, second: WriteOutcome): Promise<{ observation: ListingObservation; listing: ServedListing }> {
  const listing = await readListingAsServed(ctx.rivo, ctx.rivoId, PILOT_PER_PAGE);
  const at = (key: string) => listing.events.findIndex((e) => e.internalNote?.includes(`[${key}]`));
  const a = at(first.key);
  const b = at(second.key);
  const found = a >= 0 && b >= 0;
  const order = !found ? 'unknown' : b < a ? 'newest_first' : 'oldest_first';
  return { observation: { order, perPageCap: listing.capSeen, pageLengths: listing.pageLengths, complete: listing.complete, found }, listing };
}

export function judgeListing(o: ListingObservation): AssumptionResult {
  const pages = `${o.pageLengths.length} page(s) of ${o.pageLengths.join(', ')} events`;
  if (!o.found) {
    const observed = { order: 'unknown', perPageCap: o.perPageCap, pages, complete: o.complete };
    // An event Rivo accepted that its own listing does not show: read-backs cannot prove anything on this store.
    return o.complete
      ? differs(observed, 'none: events this tool wrote are missing from the customer listing, so a lost answer could never be settled', 'blocking')
      : unknown(observed, 'the listing never said it was complete; read-backs hold customers rather than conclude "absent"', 'attention');
  }
  const observed = { order: o.order, perPageCap: o.perPageCap ?? PILOT_PER_PAGE, pages, capMeasured: o.perPageCap !== null };
  const setting = `read-backs follow every page (${o.perPageCap ?? PILOT_PER_PAGE} events per page, ${o.order.replace('_', ' ')})`;
  if (o.order === 'newest_first' && o.perPageCap === null) return confirmed(observed, setting);
  return differs(observed, setting, 'adapted');
}
