import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import {
  BadResponseError,
  HttpError,
  RateLimitError,
  httpErrorFromResponse,
  httpErrorFromTransport,
  truncateBody,
  type System,
} from './errors.js';
import { RateGate, serverWaitMs } from './limiter.js';
import { backoffDelay, mayRetry, sleep, type RetryPolicy } from './retry.js';

export interface HttpClientOptions {
  system: System;
  baseUrl: string;
  /** Headers sent on every request (credentials); they never appear in errors or logs. */
  headers: () => Record<string, string>;
  gate: RateGate;
  retry: RetryPolicy;
  timeoutMs: number;
  /** Counts every request that left (status shows it; benchmarks compare it to the budget). */
  onRequest?: () => void;
  /** Told about every wait caused by an error, for logs and progress. */
  onRetry?: (err: HttpError, attempt: number, delayMs: number) => void;
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  encoding?: 'json' | 'form';
  /** For writes that are not atomic (Rivo's batch): an error answer may still have applied part of it. */
  writeMayApplyOnError?: boolean;
  /** Expected statuses; anything else is an error. Default: 200–299. */
  okStatus?: (status: number) => boolean;
  /**
   * Called once per attempt after the rate gate let the request go and before its bytes are handed to the HTTP client
   * (the loader's sent journal: `load/sent-journal.ts`). If it throws, nothing leaves.
   */
  onLeave?: () => void;
}

export interface HttpResponse<T = unknown> {
  status: number;
  data: T;
  headers: Record<string, unknown>;
}

/**
 * Moves requests to one outside system: auth headers, rate gate, timeouts, retries of what is safe to retry, and
 * conversion of every failure into an `HttpError`. Resource modules (yotpo/, rivo/) describe endpoints on top of it.
 */
export class HttpClient {
  private readonly axios: AxiosInstance;

  constructor(private readonly options: HttpClientOptions) {
    const keepAlive = { keepAlive: true, maxSockets: 16 };
    this.axios = axios.create({
      baseURL: options.baseUrl,
      timeout: options.timeoutMs,
      // Status handling and body parsing are ours: an HTML page with a 200 must be an error, not data.
      validateStatus: () => true,
      transformResponse: [(raw) => raw],
      responseType: 'text',
      maxRedirects: 0,
      httpAgent: new http.Agent(keepAlive),
      httpsAgent: new https.Agent(keepAlive),
    });
  }

  get system(): System {
    return this.options.system;
  }

  /**
   * Sends once through the gate; throws an HttpError on any failure. Reads (and safe failures) are retried.
   * `shape` turns a 2xx body into the value the caller needs, or says why it cannot (a string): such an answer is a
   * `BadResponseError`, retried by the same policy as any other failure rather than by a loop of the caller's.
   */
  async request<T = unknown>(spec: RequestSpec, shape?: (body: unknown) => T | string): Promise<HttpResponse<T>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.options.gate.schedule(() => this.sendOnce<T>(spec, shape));
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        if (!mayRetry(err) || attempt >= this.options.retry.maxRetries) throw err;
        const delay = backoffDelay(attempt, this.options.retry, err.retryAfterMs);
        this.options.onRetry?.(err, attempt + 1, delay);
        await sleep(delay);
      }
    }
  }

  private async sendOnce<T>(spec: RequestSpec, shape?: (body: unknown) => T | string): Promise<HttpResponse<T>> {
    const { system } = this.options;
    const path = spec.path + queryString(spec.query);
    const encoding = spec.encoding ?? 'json';
    const headers: Record<string, string> = { Accept: 'application/json', ...this.options.headers() };
    let data: string | undefined;
    if (spec.body !== undefined) {
      data = encoding === 'form' ? formEncode(spec.body) : JSON.stringify(spec.body);
      headers['Content-Type'] = encoding === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
    }
    spec.onLeave?.();
    this.options.onRequest?.();
    let res;
    try {
      res = await this.axios.request<string>({ method: spec.method, url: path, data, headers });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      // Deliberately not passing `err` on as a cause: it holds the request config and its credential headers.
      throw httpErrorFromTransport(system, spec.method, path, e.code, String(e.message ?? 'request failed'));
    }
    const resHeaders = res.headers as Record<string, unknown>;
    const wait = serverWaitMs(resHeaders, res.status);
    if (wait !== undefined) this.options.gate.pauseFor(wait);
    const body = typeof res.data === 'string' ? res.data : String(res.data ?? '');
    // A server may quote the credentials back ("invalid key sk_live_…"), and the bodies of failed answers are kept for
    // reports and logs: those are blanked out first. A good answer is data, and is left exactly as it came.
    const kept = () => scrubCredentials(body, this.options.headers());
    const ok = spec.okStatus ?? ((s: number) => s >= 200 && s < 300);
    if (!ok(res.status)) {
      const error = httpErrorFromResponse({
        system,
        method: spec.method,
        path,
        status: res.status,
        body: kept(),
        retryAfterMs: wait,
        writeMayApplyOnError: spec.writeMayApplyOnError ?? false,
      });
      if (error instanceof RateLimitError) {
        this.options.gate.refused();
        // No header said how long: still slow the whole gate a little, so a 429 storm is not met at full speed.
        if (wait === undefined) this.options.gate.pauseFor(1000);
      }
      throw error;
    }
    const parsed = parseJson<unknown>(system, spec.method, path, res.status, body, kept);
    if (!shape) return { status: res.status, data: parsed as T, headers: resHeaders };
    const shaped = shape(parsed);
    if (typeof shaped === 'string')
      // JSON, but not what this endpoint answers: a read may ask again; a write may have been applied.
      throw new BadResponseError({ system, method: spec.method, path, status: res.status, body: truncateBody(kept()), retryable: true, uncertain: spec.method !== 'GET', detail: shaped });
    return { status: res.status, data: shaped, headers: resHeaders };
  }
}

function parseJson<T>(system: System, method: string, path: string, status: number, body: string, kept: () => string): T {
  if (status === 204 || body.trim() === '') return undefined as T;
  try {
    return JSON.parse(body) as T;
  } catch {
    // A proxy's HTML page or a truncated body: the request may or may not have been applied.
    throw new BadResponseError({
      system,
      method,
      path,
      status,
      body: truncateBody(kept()),
      retryable: true,
      uncertain: method !== 'GET',
      detail: 'the body is not JSON',
    });
  }
}

/** `text` with every credential header value (raw or URL-encoded) replaced by `[redacted]`. */
export function scrubCredentials(text: string, credentials: Record<string, string>): string {
  let out = text;
  for (const value of Object.values(credentials)) {
    if (typeof value !== 'string' || value.length < 4) continue;
    for (const form of new Set([value, encodeURIComponent(value)])) out = out.split(form).join('[redacted]');
  }
  return out;
}

export function queryString(query: RequestSpec['query']): string {
  if (!query) return '';
  const parts = Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Rails-style bracket form encoding: `{ a: { b: 1 }, c: [ { d: 2 } ] }` -> `a[b]=1&c[][d]=2`. */
export function formEncode(value: unknown): string {
  const pairs: string[] = [];
  const walk = (prefix: string, v: unknown) => {
    if (v === undefined) return;
    if (Array.isArray(v)) v.forEach((item) => walk(`${prefix}[]`, item));
    else if (v !== null && typeof v === 'object')
      for (const [k, inner] of Object.entries(v)) walk(prefix ? `${prefix}[${k}]` : k, inner);
    else pairs.push(`${encodeURIComponent(prefix).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${encodeURIComponent(v === null ? '' : String(v))}`);
  };
  walk('', value);
  return pairs.join('&');
}
