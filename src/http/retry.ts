import { HttpError } from './errors.js';

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 6, baseDelayMs: 500, maxDelayMs: 30_000 };

/** Capped exponential backoff with full jitter; a server's Retry-After wins when it asks for longer. */
export function backoffDelay(attempt: number, policy: RetryPolicy, retryAfterMs?: number, random = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.max(jittered, retryAfterMs ?? 0);
}

/**
 * The one predicate that decides whether a failed request may be sent again as it is. An uncertain write is never
 * retried here: the caller settles it by reading back.
 */
export function mayRetry(err: unknown): boolean {
  return err instanceof HttpError && err.retryable && !err.uncertain;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
