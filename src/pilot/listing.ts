import type { RivoEvent } from '../rivo/api.js';
import type { EventsPage, PilotRivo } from './port.js';

/** The page size the pilot asks for: Rivo's documented maximum. */
export const PILOT_PER_PAGE = 250;
/** Rivo's listing cannot page past 500 (rivo-api.md). */
const MAX_PAGES = 500;

export interface ServedListing {
  /** Every event listed, in the order the pages gave them. */
  events: RivoEvent[];
  /** Length of each page read, in order. */
  pageLengths: number[];
  /** True when the listing itself said it had ended (no next link, an empty page, or the total reached). */
  complete: boolean;
  /**
   * The largest page the server is seen to serve when asked for more: a page shorter than asked that was followed by
   * more events, or a smaller `meta.per_page`. Null when no page came back short while more remained.
   */
  capSeen: number | null;
}

/**
 * Reads all of one customer's events without assuming how the listing pages (the loader's reader takes the measured
 * profile; this one is what measures it): it never takes a short page for the
 * end (that is exactly what a page cap looks like), and stops only when the listing says so or a page is empty.
 */
export async function readListingAsServed(rivo: PilotRivo, identifier: string, perPage = PILOT_PER_PAGE): Promise<ServedListing> {
  const events: RivoEvent[] = [];
  const seen = new Set<string>();
  const pageLengths: number[] = [];
  let capSeen: number | null = null;
  let complete = false;
  let shortBefore: number | null = null;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const p: EventsPage = await rivo.eventsPage(identifier, page, perPage);
    pageLengths.push(p.events.length);
    if (p.perPage !== null && p.perPage < perPage) capSeen = Math.min(capSeen ?? p.perPage, p.perPage);
    if (p.events.length === 0) {
      complete = true;
      break;
    }
    // A short page followed by more events: the server serves at most that many per page.
    if (shortBefore !== null) capSeen = Math.min(capSeen ?? shortBefore, shortBefore);
    shortBefore = null;
    const fresh = p.events.filter((e) => !seen.has(e.id));
    // A page of nothing new: the server ignores `page`. The listing cannot be trusted to be complete.
    if (fresh.length === 0) break;
    for (const e of fresh) seen.add(e.id);
    events.push(...fresh);
    if (p.next === null || (p.totalCount !== null && seen.size >= p.totalCount)) {
      complete = true;
      break;
    }
    if (p.events.length < perPage) shortBefore = p.events.length;
  }
  return { events, pageLengths, complete, capSeen };
}
