import type { RivoCustomerSnapshot, RivoTier } from '../domain.js';

/** A points event as the loader sends it (`POST /points_events`, one item of `/points_events/batch`). */
export interface OutgoingEvent {
  customer_identifier: string;
  source: 'manual';
  points_amount?: number;
  /** Decimal string with two places, e.g. "12.50". */
  credits_amount?: string;
  internal_note: string;
  external_note?: string;
  applied_at?: string;
  skip_email: true;
}

/** A points event as Rivo lists it. */
export interface RivoEvent {
  id: string;
  customerIdentifier: string | null;
  pointsDiff: number;
  creditsDiffCents: number;
  internalNote: string | null;
  source: string | null;
  appliedAt: string | null;
  createdAt: string | null;
  revokedAt: string | null;
}

/** One page of `GET /points_events` for a customer: the events, and the listing's own `links`/`meta` as served. */
export interface RivoEventsPage {
  events: RivoEvent[];
  /** The answer's `links` object (e.g. `next`: a URL or null); null when the answer has none. */
  links: Record<string, unknown> | null;
  /** The answer's `meta` object (e.g. `total_count`, `total_pages`, `per_page`); null when the answer has none. */
  meta: Record<string, unknown> | null;
}

/**
 * Everything the tool does to Rivo. The planner and verifier read; the loader writes. Implemented over HTTP by
 * `RivoClient`; tests may give a fake.
 */
export interface RivoApi {
  /** Null when Rivo does not know the customer (404). */
  getCustomer(identifier: string): Promise<RivoCustomerSnapshot | null>;
  /** Every customer, ascending id, through cursor pagination. */
  listCustomers(pageSize?: number): AsyncIterable<RivoCustomerSnapshot>;
  listTiers(): Promise<RivoTier[]>;
  /** Every event of one customer, all pages. */
  listEvents(identifier: string): AsyncIterable<RivoEvent>;
  /** One page of a customer's events, as asked (`page` from 1), with the listing's `links` and `meta`. */
  listEventsPage(identifier: string, page: number, perPage: number): Promise<RivoEventsPage>;
  /** One event. Throws HttpError; `uncertain` on the error says whether it may have been applied. */
  createEvent(event: OutgoingEvent): Promise<RivoEvent | null>;
  /** Up to 10 events. Any error is uncertain: the batch's atomicity is undocumented. */
  createEventsBatch(events: OutgoingEvent[]): Promise<void>;
  /** Sets the birthday (format decided by the mapper). */
  setDob(identifier: string, dob: string): Promise<void>;
  setVipTier(identifier: string, tierId: string): Promise<void>;
  /** Requests sent so far (all kinds). */
  readonly requestCount: number;
}
