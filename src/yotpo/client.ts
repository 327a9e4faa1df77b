import type { Config, Secrets } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { HttpClient, type RequestSpec } from '../http/client.js';
import { HttpError, NotFoundError, RateLimitError } from '../http/errors.js';
import { RateGate } from '../http/limiter.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../http/retry.js';

/** Requests the gate lets run at once. List pages of `/customers/all` use it; spacing still caps the rate. */
export const DEFAULT_YOTPO_CONCURRENCY = 4;

/** A gate at `perWindow` requests per `windowMs` (default: per minute), with the one safety margin every gate has. */
export function yotpoRateGate(perWindow: number, windowMs = 60_000, maxConcurrent = DEFAULT_YOTPO_CONCURRENCY): RateGate {
  return RateGate.withMargin(perWindow, windowMs, maxConcurrent);
}

export interface YotpoClientOptions {
  baseUrl: string;
  guid: string;
  apiKey: string;
  /** The request budget per minute, shared by every call this client makes. */
  rpm: number;
  timeoutMs?: number;
  /** One policy for every failure, a JSON answer of the wrong shape included. */
  retry?: Partial<RetryPolicy>;
  /** Tests pass a gate with a short window; otherwise one is made at `rpm`. */
  gate?: RateGate;
  maxConcurrent?: number;
  onRetry?: (err: HttpError, attempt: number, delayMs: number) => void;
}

export interface RecentPage {
  customers: unknown[];
  /** Cursor of the next page; null on the last page. */
  nextPageInfo: string | null;
}

export interface AllPage {
  customers: unknown[];
  /** `links.total_pages`, when the answer carries it. */
  totalPages: number | null;
}

export interface YotpoClientStats {
  requests: number;
  retries: number;
  /** 429 answers received. */
  rateLimited: number;
  /** Times (ms since epoch) the first and the latest request left. */
  firstRequestAt: number | null;
  lastRequestAt: number | null;
}

/**
 * Yotpo Loyalty's read endpoints. Describes endpoints and their answers only: headers, gate, retries and errors are
 * `HttpClient`'s; which list endpoint to use and how to page is `listing.ts`'s.
 */
export class YotpoClient {
  private readonly http: HttpClient;
  private readonly gate: RateGate;
  private readonly counters: YotpoClientStats = { requests: 0, retries: 0, rateLimited: 0, firstRequestAt: null, lastRequestAt: null };

  constructor(options: YotpoClientOptions) {
    this.gate = options.gate ?? yotpoRateGate(options.rpm, 60_000, options.maxConcurrent ?? DEFAULT_YOTPO_CONCURRENCY);
    // Held in the closure only: the options object is not kept, so nothing that prints the client prints the keys.
    const { guid, apiKey } = options;
    this.http = new HttpClient({
      system: 'yotpo',
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      headers: () => ({ 'x-guid': guid, 'x-api-key': apiKey }),
      gate: this.gate,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      timeoutMs: options.timeoutMs ?? 30_000,
      onRequest: () => {
        const now = Date.now();
        this.counters.requests++;
        this.counters.firstRequestAt ??= now;
        this.counters.lastRequestAt = now;
      },
      onRetry: (err, attempt, delay) => {
        this.counters.retries++;
        if (err instanceof RateLimitError) this.counters.rateLimited++;
        options.onRetry?.(err, attempt, delay);
      },
    });
  }

  static fromConfig(config: Config, secrets: Secrets, extra: Partial<YotpoClientOptions> = {}): YotpoClient {
    if (!secrets.yotpoGuid || !secrets.yotpoApiKey)
      throw new ConfigError('Yotpo credentials are missing:', [
        ...(secrets.yotpoGuid ? [] : ['YOTPO_GUID: not set (put it in the environment or in .env)']),
        ...(secrets.yotpoApiKey ? [] : ['YOTPO_API_KEY: not set (put it in the environment or in .env)']),
      ]);
    return new YotpoClient({
      baseUrl: config.yotpo.baseUrl,
      guid: secrets.yotpoGuid,
      apiKey: secrets.yotpoApiKey,
      rpm: config.yotpo.rpm,
      timeoutMs: config.yotpo.timeoutMs,
      retry: { maxRetries: config.yotpo.maxRetries },
      ...extra,
    });
  }

  /** Requests that left so far, retries included. */
  get requestCount(): number {
    return this.counters.requests;
  }

  stats(): YotpoClientStats {
    return { ...this.counters };
  }

  /** `GET /customers/recent`: cursor pagination (`metadata.next_page_info`). */
  async listRecent(perPage: number, pageInfo: string | null): Promise<RecentPage> {
    return this.getShaped({ method: 'GET', path: '/customers/recent', query: { per_page: perPage, page_info: pageInfo ?? undefined } }, (body) => {
      const customers = customersOf(body);
      if (!customers) return 'the body has no "customers" array';
      const next = (body as { metadata?: { next_page_info?: unknown } }).metadata?.next_page_info;
      if (next !== undefined && next !== null && typeof next !== 'string') return 'metadata.next_page_info is not a string';
      return { customers, nextPageInfo: typeof next === 'string' && next !== '' ? next : null };
    });
  }

  /** `GET /customers/all`: page numbers from 1, `links.total_pages`. */
  async listAll(page: number, perPage: number): Promise<AllPage> {
    return this.getShaped({ method: 'GET', path: '/customers/all', query: { page, per_page: perPage } }, (body) => {
      const customers = customersOf(body);
      if (!customers) return 'the body has no "customers" array';
      const raw = (body as { links?: { total_pages?: unknown } }).links?.total_pages;
      const total = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (total !== undefined && total !== null && !(typeof total === 'number' && Number.isInteger(total) && total >= 0))
        return `links.total_pages is not a page count: ${JSON.stringify(raw)}`;
      return { customers, totalPages: typeof total === 'number' ? total : null };
    });
  }

  /**
   * `GET /customers?customer_email=`: the customer's flat record, or null when there is no loyalty profile (404).
   * `withHistory` adds `with_history=true`: the record then carries `history_items` (history/items.ts reads them).
   */
  async getCustomerByEmail(email: string, options: { withHistory?: boolean } = {}): Promise<Record<string, unknown> | null> {
    const query = options.withHistory ? { customer_email: email, with_history: 'true' } : { customer_email: email };
    try {
      return await this.getShaped({ method: 'GET', path: '/customers', query }, (body) =>
        isObject(body) ? body : 'the body is not a customer object',
      );
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  /** `GET /vip_tiers`: the program's tiers (fields beyond `name` are unconfirmed, so they stay unknown). */
  async listVipTiers(): Promise<unknown[]> {
    return this.getShaped({ method: 'GET', path: '/vip_tiers' }, (body) => {
      if (Array.isArray(body)) return body;
      const wrapped = isObject(body) ? (body.vip_tiers ?? body.tiers) : undefined;
      return Array.isArray(wrapped) ? wrapped : 'the body is not a list of tiers';
    });
  }

  /** Stops the gate: queued requests are dropped. */
  async close(): Promise<void> {
    await this.gate.stop();
  }

  /** A read whose 2xx body must have a shape; an answer of another shape is retried like any failed answer. */
  private async getShaped<T>(spec: RequestSpec, shape: (body: unknown) => T | string): Promise<T> {
    return (await this.http.request<T>(spec, shape)).data;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function customersOf(body: unknown): unknown[] | null {
  return isObject(body) && Array.isArray(body.customers) ? body.customers : null;
}
