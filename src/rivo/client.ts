import type { Config, Secrets } from '../config/schema.js';
import type { RivoCustomerSnapshot, RivoTier } from '../domain.js';
import { ConfigError } from '../errors.js';
import { HttpClient } from '../http/client.js';
import { InvalidRequestError, NotFoundError, type HttpError } from '../http/errors.js';
import { RateGate } from '../http/limiter.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../http/retry.js';
import { ListingRangeError, type CustomerIdRange, type OutgoingEvent, type RivoApi, type RivoEvent, type RivoEventsPage, type WriteOptions } from './api.js';
import { readBatchAnswer, type BatchAnswer } from './batch-answer.js';
import { EVENTS_CUSTOMER_FILTER } from './listing.js';
import { listResources, parseCustomer, parseEvent, parseTier, requireResource, singleResource } from './parse.js';
import { UNMEASURED_PROFILE, type RivoProfile } from './profile.js';

export interface RivoClientOptions {
  baseUrl: string;
  /** The raw merchant key: sent as `Authorization: <key>`; a `Bearer` prefix is answered 401 by Rivo. */
  apiKey: string;
  /** Request budget per second, shared by every request this client makes. */
  rps: number;
  /** Requests that may be open at once (the gate's limit; the loader's p-limit sits above it). */
  concurrency?: number;
  timeoutMs: number;
  maxRetries: number;
  singleEncoding?: 'form' | 'json';
  batchEncoding?: 'form' | 'json';
  /** Backoff of the safe retries; tests shorten it. */
  retry?: Partial<Omit<RetryPolicy, 'maxRetries'>>;
  /** A gate shared with other Rivo clients of the same store; by default the client makes its own. */
  gate?: RateGate;
  onRetry?: (err: HttpError, attempt: number, delayMs: number) => void;
}

export const RIVO_LIST_LIMIT = 250;

export const RIVO_BATCH_MAX = 10;

/**
 * Rivo's merchant API over `HttpClient`. Describes endpoints only: auth, the rate gate, retries and error classes are
 * the HTTP layer's. Writes are never retried when their outcome is uncertain; the loader settles them by reading back.
 */
export class RivoClient implements RivoApi {
  private readonly http: HttpClient;
  private readonly gate: RateGate;
  private readonly ownsGate: boolean;
  private requests = 0;
  private readonly singleEncoding: 'form' | 'json';
  private readonly batchEncoding: 'form' | 'json';

  constructor(options: RivoClientOptions) {
    if (!options.apiKey) throw new ConfigError('RIVO_API_KEY: not set');
    const key = options.apiKey.trim();
    this.ownsGate = !options.gate;
    this.gate = options.gate ?? RateGate.perSecond(options.rps, options.concurrency ?? 4);
    this.singleEncoding = options.singleEncoding ?? 'form';
    this.batchEncoding = options.batchEncoding ?? 'json';
    this.http = new HttpClient({
      system: 'rivo',
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      headers: () => ({ Authorization: key }),
      gate: this.gate,
      retry: { ...DEFAULT_RETRY, ...options.retry, maxRetries: options.maxRetries },
      timeoutMs: options.timeoutMs,
      onRequest: () => {
        this.requests++;
      },
      onRetry: options.onRetry,
    });
  }

  get requestCount(): number {
    return this.requests;
  }

  /** The HTTP layer, for endpoints described in their own module (earning rules and awards: `rivo/awards.ts`). */
  get requester(): Pick<HttpClient, 'request'> {
    return this.http;
  }

  async getCustomer(identifier: string): Promise<RivoCustomerSnapshot | null> {
    const path = `/customers/${encodeURIComponent(identifier)}`;
    try {
      const res = await this.http.request({ method: 'GET', path });
      const attrs = singleResource(res.data);
      return parseCustomer(requireResource(attrs, path), path);
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  async *listCustomers(pageSize = RIVO_LIST_LIMIT, range?: CustomerIdRange): AsyncIterable<RivoCustomerSnapshot> {
    const limit = Math.max(1, Math.min(RIVO_LIST_LIMIT, Math.floor(pageSize)));
    const fetchPage = (sinceId: string) =>
      this.http.request({ method: 'GET', path: '/customers', query: { 'pagination[since_id]': sinceId, 'pagination[limit]': limit } });
    let sinceId = range?.afterId ?? '0';
    // A range is read apart from the others only if the store lists ids above the one asked for, ascending.
    let lastId = range ? numericId(range.afterId) : null;
    const throughId = range?.throughId != null ? numericId(range.throughId) : null;
    let pending = fetchPage(sinceId);
    for (;;) {
      const res = await pending;
      const items = listResources(res.data, '/customers');
      let customers = items.map((a) => parseCustomer(a, '/customers'));
      const links = (res.data as { links?: { next_since_id?: unknown } }).links;
      const next = links?.next_since_id;
      let nextId: string | null;
      if (next === null || customers.length === 0) nextId = null;
      else if (next === undefined) {
        // No cursor in the answer: a short page is the last one; otherwise carry on after the last id seen.
        nextId = customers.length < limit ? null : customers[customers.length - 1]!.id;
      } else {
        nextId = String(next);
        if (nextId === sinceId) nextId = null; // a server that repeats its cursor would otherwise loop forever
      }
      if (range && lastId !== null) {
        for (const c of customers) {
          const id = /^\d+$/.test(c.id) ? BigInt(c.id) : null;
          if (id === null || id <= lastId) throw new ListingRangeError(range, c.id);
          lastId = id;
        }
        // Past the end of the range: the rest is another range's, and no further page is asked for.
        if (throughId !== null && lastId >= throughId) {
          customers = customers.filter((c) => BigInt(c.id) <= throughId);
          nextId = null;
        }
      }
      // The next page is asked for before this one is handed over: the caller's work on it (storing 250 customers)
      // overlaps the request instead of following it. A caller that stops early leaves one read unused; its failure,
      // if any, is nobody's (the caller is gone), so it is swallowed here and thrown only when awaited.
      if (nextId !== null) {
        pending = fetchPage(nextId);
        pending.catch(() => undefined);
        sinceId = nextId;
      }
      yield* customers;
      if (nextId === null) return;
    }
  }

  async listTiers(): Promise<RivoTier[]> {
    const res = await this.http.request({ method: 'GET', path: '/vip_tiers' });
    return listResources(res.data, '/vip_tiers').map((a) => parseTier(a, '/vip_tiers'));
  }

  async listEventsPage(identifier: string, page: number, perPage: number): Promise<RivoEventsPage> {
    return this.queryEventsPage({ [EVENTS_CUSTOMER_FILTER]: identifier, 'pagination[page]': page, 'pagination[per_page]': perPage });
  }

  /**
   * One page of `GET /points_events` with whatever query the caller gives, and the listing's own `links` and `meta`
   * as received. What the query means (filter names, order, page cap) is the callers' to assume: one customer's
   * listing in `listing.ts`, the store-wide scan in `scan.ts`.
   */
  async queryEventsPage(query: Record<string, string | number>): Promise<RivoEventsPage> {
    const res = await this.http.request({ method: 'GET', path: '/points_events', query });
    const events = listResources(res.data, '/points_events').map((a) => parseEvent(a, '/points_events'));
    const body = res.data as { links?: unknown; meta?: unknown } | null;
    const obj = (v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
    return { events, links: obj(body?.links), meta: obj(body?.meta) };
  }

  async createEvent(event: OutgoingEvent, options: WriteOptions = {}): Promise<RivoEvent | null> {
    const res = await this.http.request({ method: 'POST', path: '/points_events', body: event, encoding: this.singleEncoding, onLeave: options.onLeave });
    const attrs = singleResource(res.data);
    if (!attrs) return null;
    try {
      return parseEvent(attrs, '/points_events');
    } catch {
      // Rivo said 2xx: the event exists. An answer we cannot read does not make it less done.
      return null;
    }
  }

  /**
   * Sends up to 10 events and says, item by item, what Rivo's answer shows (`batch-answer.ts`). A refusal (4xx) whose
   * body names items is an answer too; any other failure throws, uncertain (atomicity is undocumented: an error may
   * have applied none, some or all of the batch).
   */
  async createEventsBatch(events: OutgoingEvent[], profile: RivoProfile = UNMEASURED_PROFILE, options: WriteOptions = {}): Promise<BatchAnswer> {
    if (events.length === 0) return { status: 200, items: [] };
    if (events.length > RIVO_BATCH_MAX) throw new Error(`a Rivo batch holds at most ${RIVO_BATCH_MAX} events, got ${events.length}`);
    let res;
    try {
      res = await this.http.request({
        method: 'POST',
        path: '/points_events/batch',
        body: { points_events: events },
        encoding: this.batchEncoding,
        writeMayApplyOnError: true,
        onLeave: options.onLeave,
      });
    } catch (err) {
      if ((err instanceof InvalidRequestError || err instanceof NotFoundError) && err.status !== undefined && err.fullBody) {
        const answer = readBatchAnswer(err.status, parseJsonOrNull(err.fullBody), events, profile);
        if (answer) return answer;
      }
      throw err;
    }
    return readBatchAnswer(res.status, res.data, events, profile) ?? { status: res.status, items: events.map(() => ({ outcome: 'unknown' })) };
  }

  /** `PUT /customers/{id}` with `{ dob }`; the date's format is the mapper's (one place). `null` clears it (the pilot restoring). */
  async setDob(identifier: string, dob: string | null, options: WriteOptions = {}): Promise<void> {
    await this.http.request({ method: 'PUT', path: `/customers/${encodeURIComponent(identifier)}`, body: { dob }, encoding: 'json', onLeave: options.onLeave });
  }

  /**
   * [unconfirmed] Rivo's docs index lists a POST that updates a customer's VIP tier, but neither its path nor its body
   * is documented. Modelled as `POST /customers/{id}/vip_tier` with `{ vip_tier_id }` (rivo-api.md); if a live store
   * answers otherwise, this is the only function to change.
   */
  async setVipTier(identifier: string, tierId: string, options: WriteOptions = {}): Promise<void> {
    const numeric = /^\d+$/.test(tierId) && Number.isSafeInteger(Number(tierId));
    await this.http.request({
      method: 'POST',
      path: `/customers/${encodeURIComponent(identifier)}/vip_tier`,
      body: { vip_tier_id: numeric ? Number(tierId) : tierId },
      encoding: 'json',
      onLeave: options.onLeave,
    });
  }

  /**
   * The pilot's batch: the raw answer whatever its status (the pilot measures what a batch answer says), with items
   * sent as given, invalid ones included. Transport failures still throw, uncertain.
   */
  async probeBatch(items: readonly Record<string, unknown>[]): Promise<{ status: number; body: unknown }> {
    const res = await this.http.request({
      method: 'POST',
      path: '/points_events/batch',
      body: { points_events: items },
      encoding: this.batchEncoding,
      writeMayApplyOnError: true,
      // A refusal's body is what is being measured; auth, rate and server errors stay errors.
      okStatus: (status) => (status >= 200 && status < 300) || status === 400 || status === 422,
    });
    return { status: res.status, body: res.data };
  }

  /** Stops the gate this client made (a shared gate is its owner's to stop). */
  async close(): Promise<void> {
    if (this.ownsGate) await this.gate.stop();
  }
}

/** A Rivo customer id as a number, or null if it is not one (ranges are only read apart over numeric ids). */
function numericId(id: string): bigint | null {
  return /^\d+$/.test(id) ? BigInt(id) : null;
}

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The client a command uses: settings from config, the key from the environment only. */
export function rivoClientFromConfig(config: Config, secrets: Secrets, extra: Partial<RivoClientOptions> = {}): RivoClient {
  if (!secrets.rivoApiKey) throw new ConfigError('RIVO_API_KEY: not set (put it in the environment or in .env; it is never accepted as a flag)');
  return new RivoClient({
    baseUrl: config.rivo.baseUrl,
    apiKey: secrets.rivoApiKey,
    rps: config.rivo.rps,
    concurrency: config.rivo.concurrency,
    timeoutMs: config.rivo.timeoutMs,
    maxRetries: config.rivo.maxRetries,
    singleEncoding: config.rivo.singleEncoding,
    batchEncoding: config.rivo.batchEncoding,
    ...extra,
  });
}
