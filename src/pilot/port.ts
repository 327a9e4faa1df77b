import type { RivoCustomerSnapshot, RivoTier } from '../domain.js';
import type { OutgoingEvent, RivoEvent } from '../rivo/api.js';
import type { RivoClient } from '../rivo/client.js';
import { metaCount } from '../rivo/parse.js';

/**
 * What the pilot needs from Rivo: the client's endpoints, plus a listing page with what the server said about paging
 * (the pilot measures paging, so it cannot use a reader that already assumes it).
 */
export interface EventsPage {
  events: RivoEvent[];
  /** `links.next` when the answer has links: a URL (more), null (last page); undefined when the answer says nothing. */
  next: string | null | undefined;
  /** `meta.per_page` / `meta.total_count` when the answer has them. */
  perPage: number | null;
  totalCount: number | null;
}

export interface PilotRivo {
  getCustomer(identifier: string): Promise<RivoCustomerSnapshot | null>;
  eventsPage(identifier: string, page: number, perPage: number): Promise<EventsPage>;
  createEvent(event: OutgoingEvent): Promise<RivoEvent | null>;
  /** The raw answer of `/points_events/batch` (2xx, 400 and 422 alike). */
  batch(items: readonly Record<string, unknown>[]): Promise<{ status: number; body: unknown }>;
  listTiers(): Promise<RivoTier[]>;
  setVipTier(identifier: string, tierId: string): Promise<void>;
  setDob(identifier: string, dob: string | null): Promise<void>;
}

type RawPage = { events: RivoEvent[]; links?: unknown; meta?: unknown };

export function pilotRivo(client: RivoClient): PilotRivo {
  return {
    getCustomer: (id) => client.getCustomer(id),
    eventsPage: async (id, page, perPage) => pageOf((await client.listEventsPage(id, page, perPage)) as RawPage),
    createEvent: (e) => client.createEvent(e),
    batch: (items) => client.probeBatch(items),
    listTiers: () => client.listTiers(),
    setVipTier: (id, tier) => client.setVipTier(id, tier),
    setDob: (id, dob) => client.setDob(id, dob),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function pageOf(raw: RawPage): EventsPage {
  const links = isObject(raw.links) ? raw.links : undefined;
  const meta = isObject(raw.meta) ? raw.meta : undefined;
  const next = links && 'next' in links ? (typeof links.next === 'string' && links.next !== '' ? links.next : null) : undefined;
  return { events: raw.events, next, perPage: metaCount(meta?.per_page), totalCount: metaCount(meta?.total_count) };
}
