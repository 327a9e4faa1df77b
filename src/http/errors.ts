import { AppError } from '../errors.js';

export type System = 'yotpo' | 'rivo';

export interface HttpErrorInit {
  system: System;
  method: string;
  /** Path and query only: never the host's credentials, never headers. */
  path: string;
  status?: number;
  /** Response body, truncated; kept for the reports. */
  body?: string;
  /**
   * The whole response body (up to 256 KB), for callers that read an error answer item by item (a batch's 4xx names
   * the failed items). Never printed: `message` and `summary()` use the truncated `body`.
   */
  fullBody?: string;
  /** A retry after a wait may succeed. */
  retryable: boolean;
  /** The write may have been applied although no success was seen: settle by reading back, never resend blindly. */
  uncertain: boolean;
  retryAfterMs?: number;
  detail?: string;
}

const BODY_LIMIT = 500;
const FULL_BODY_LIMIT = 256 * 1024;

export function truncateBody(body: string): string {
  return body.length > BODY_LIMIT ? `${body.slice(0, BODY_LIMIT)}… (${body.length} bytes)` : body;
}

/**
 * An outside system answered badly or not at all. Built only by `httpErrorFrom*`, and never wraps the HTTP client's
 * own error object, whose `config.headers` would carry the API keys into logs.
 */
export class HttpError extends AppError {
  readonly system: System;
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly body: string | undefined;
  readonly fullBody: string | undefined;
  readonly retryable: boolean;
  readonly uncertain: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(init: HttpErrorInit) {
    const what = init.status !== undefined ? `HTTP ${init.status}` : (init.detail ?? 'no response');
    const body = init.body ? `: ${init.body.replace(/\s+/g, ' ').slice(0, 200)}` : '';
    super(`${init.system === 'yotpo' ? 'Yotpo' : 'Rivo'} ${init.method} ${init.path} failed with ${what}${init.status !== undefined && init.detail ? ` (${init.detail})` : ''}${body}`);
    this.system = init.system;
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.body = init.body;
    this.fullBody = init.fullBody;
    this.retryable = init.retryable;
    this.uncertain = init.uncertain;
    this.retryAfterMs = init.retryAfterMs;
  }

  /** A one-line summary for the ledger and reports: status and body, nothing else. */
  summary(): string {
    return `${this.status ?? this.message}${this.body ? ` ${this.body}` : ''}`.slice(0, 600);
  }
}

/** 401/403: the credentials are wrong. Nothing further will work: a usage error. */
export class AuthenticationError extends HttpError {
  override readonly kind = 'usage';
}
/** 404: unknown customer or path. */
export class NotFoundError extends HttpError {}
/** 400/422 and other 4xx: the server understood and refused. */
export class InvalidRequestError extends HttpError {}
/** 429. */
export class RateLimitError extends HttpError {}
/** 5xx. */
export class ServerError extends HttpError {}
/** Reset, refused, timeout, DNS: no complete answer arrived. */
export class ConnectionError extends HttpError {}
/** 2xx with a body that is not what the API sends (HTML error page, broken JSON, wrong shape). */
export class BadResponseError extends HttpError {}

export interface ResponseFacts {
  system: System;
  method: string;
  path: string;
  status: number;
  body: string;
  retryAfterMs?: number;
  /**
   * Whether a failed request could have changed something on the server. For a non-atomic batch (Rivo's), even a
   * 4xx may have applied part of it, so the caller says so.
   */
  writeMayApplyOnError: boolean;
}

/** The one factory for error responses: status decides the class, the request decides certainty. */
export function httpErrorFromResponse(r: ResponseFacts): HttpError {
  const fullBody = r.body.length <= FULL_BODY_LIMIT ? r.body : undefined;
  const base = { system: r.system, method: r.method, path: r.path, status: r.status, body: truncateBody(r.body), fullBody };
  const isWrite = r.method !== 'GET';
  if (r.status === 401 || r.status === 403)
    return new AuthenticationError({ ...base, retryable: false, uncertain: false, detail: 'check the API credentials' });
  if (r.status === 404) return new NotFoundError({ ...base, retryable: false, uncertain: isWrite && r.writeMayApplyOnError });
  if (r.status === 429)
    return new RateLimitError({ ...base, retryable: true, uncertain: isWrite && r.writeMayApplyOnError, retryAfterMs: r.retryAfterMs });
  if (r.status >= 500) return new ServerError({ ...base, retryable: true, uncertain: isWrite, retryAfterMs: r.retryAfterMs });
  if (r.status === 408) return new ConnectionError({ ...base, retryable: true, uncertain: isWrite });
  return new InvalidRequestError({ ...base, retryable: false, uncertain: isWrite && r.writeMayApplyOnError });
}

/** The one factory for transport failures (no status). `sent` is false only when the request surely never left. */
export function httpErrorFromTransport(system: System, method: string, path: string, code: string | undefined, message: string): HttpError {
  // Refused or unresolvable: the server never saw the request, so even a write is certainly not applied.
  const neverSent = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ERR_INVALID_URL';
  const detail = code === 'ECONNABORTED' || code === 'ETIMEDOUT' ? 'timed out' : code ? `${code}` : message;
  return new ConnectionError({
    system,
    method,
    path,
    retryable: code !== 'ERR_INVALID_URL' && code !== 'ENOTFOUND',
    uncertain: method !== 'GET' && !neverSent,
    detail,
  });
}
