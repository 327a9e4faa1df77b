import type { RivoCustomerSnapshot, RivoTier } from '../domain.js';
import type { BatchAnswer } from './batch-answer.js';
import type { RivoProfile } from './profile.js';

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
  /** Undocumented on created events ([unconfirmed]); sent only as `rivo/expiry.ts` decides. */
  expires_at?: string;
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
  /** `expires_at` as listed (absent in events built by hand). */
  expiresAt?: string | null;
}

/** One page of `GET /points_events` for a customer: the events, and the listing's own `links`/`meta` as served. */
export interface RivoEventsPage {
  events: RivoEvent[];
  /** The answer's `links` object (e.g. `next`: a URL or null); null when the answer has none. */
  links: Record<string, unknown> | null;
  /** The answer's `meta` object (e.g. `total_count`, `total_pages`, `per_page`); null when the answer has none. */
  meta: Record<string, unknown> | null;
}

/** For a write: told when its request leaves (after the rate gate, before the HTTP client), once per attempt. */
export interface WriteOptions {
  onLeave?: () => void;
}

/**
 * Everything the tool does to Rivo. The planner and verifier read; the loader writes. Implemented over HTTP by
 * `RivoClient`; tests may give a fake.
 */
/** Customers with numeric ids in (`afterId`, `throughId`]; `throughId` null: no end. */
export interface CustomerIdRange {
  afterId: string;
  throughId: string | null;
}

/**
 * The store's customer listing, asked to start after an id, served one at or below it (or out of order): its cursor
 * is not an id, so ranges cannot be read side by side; the listing is read in one pass from the start instead.
 */
export class ListingRangeError extends Error {
  constructor(range: CustomerIdRange, servedId: string) {
    super(`Rivo's customer listing, asked for ids after ${range.afterId}, served ${servedId}: its cursor is not an id`);
  }
}

export interface RivoApi {
  /** Null when Rivo does not know the customer (404). */
  getCustomer(identifier: string): Promise<RivoCustomerSnapshot | null>;
  /**
   * Every customer, ascending id, through cursor pagination; with `range`, those with ids in it, starting after its
   * `afterId` (throws `ListingRangeError` if the store does not list ids above the one asked for, ascending).
   */
  listCustomers(pageSize?: number, range?: CustomerIdRange): AsyncIterable<RivoCustomerSnapshot>;
  listTiers(): Promise<RivoTier[]>;
  /**
   * One page of a customer's events, as asked (`page` from 1), with the listing's `links` and `meta`. Reading a whole
   * listing is `rivo/listing.ts`'s job (it alone knows how the end is recognised).
   */
  listEventsPage(identifier: string, page: number, perPage: number): Promise<RivoEventsPage>;
  /** One event. Throws HttpError; `uncertain` on the error says whether it may have been applied. */
  createEvent(event: OutgoingEvent, options?: WriteOptions): Promise<RivoEvent | null>;
  /**
   * Up to 10 events; the answer item by item (applied, refused, not applied, unknown), read from 2xx and 4xx bodies
   * alike. Throws when the answer says nothing item by item; any such error is uncertain (atomicity is undocumented).
   */
  createEventsBatch(events: OutgoingEvent[], profile?: RivoProfile, options?: WriteOptions): Promise<BatchAnswer>;
  /** Sets the birthday (format decided by the mapper). */
  setDob(identifier: string, dob: string, options?: WriteOptions): Promise<void>;
  setVipTier(identifier: string, tierId: string, options?: WriteOptions): Promise<void>;
  /** Requests sent so far (all kinds). */
  readonly requestCount: number;
}
