import { AuthenticationError, HttpError, InvalidRequestError, NotFoundError } from '../../http/errors.js';

/**
 * What a failed write means for the ledger, decided from the error alone (pure; the runner applies it):
 *  - wrong key (401/403): nothing was applied; back to planned, and the run stops (nothing else will work);
 *  - not an answer from Rivo (a bug or a local failure): the request may have left, so uncertain, and the run stops;
 *  - uncertain (timeout, reset, 5xx, a bad 2xx body, any error on a batch): settled by read-back next round; a batch
 *    refused with a 4xx also has its customers sent one event at a time afterwards, isolating the bad one;
 *  - a single write refused (404, 422…): rejected with Rivo's status and body;
 *  - certainly not applied (connection refused, 429 after the safe retries): planned again.
 * Every failure but an isolated batch and a refusal counts against the customers' retry budget (`charge`).
 */

export type WriteMode = 'batch' | 'single';

export interface WriteFailure {
  /** The ledger status the written events take: planned again (`absent`), `uncertain` or `rejected`. */
  ledger: 'absent' | 'uncertain' | 'rejected';
  /** What the ledger records as the event's last error. */
  reason: string;
  /** The run must stop: the error is rethrown once recorded. */
  fatal: boolean;
  /** The failure counts against each customer's retry budget. */
  charge: boolean;
  /** A batch refused as a whole: its customers are sent one event per request from now on. */
  isolate: boolean;
}

/** 4xx other than 408/429: the server understood and refused. On a batch, which item was refused is unknown. */
export const isRefusal = (err: HttpError): boolean => err instanceof InvalidRequestError || err instanceof NotFoundError;

export function classifyWriteFailure(err: unknown, mode: WriteMode): WriteFailure {
  const quiet = { fatal: false, charge: false, isolate: false };
  if (!(err instanceof HttpError))
    return { ...quiet, ledger: 'uncertain', reason: `unexpected error: ${err instanceof Error ? err.message : String(err)}`.slice(0, 600), fatal: true };
  const summary = err.summary();
  if (err instanceof AuthenticationError) return { ...quiet, ledger: 'absent', reason: summary, fatal: true };
  if (err.uncertain) {
    const isolate = mode === 'batch' && isRefusal(err);
    return { ...quiet, ledger: 'uncertain', reason: summary, isolate, charge: !isolate };
  }
  if (mode === 'single' && isRefusal(err)) return { ...quiet, ledger: 'rejected', reason: `Rivo ${summary}` };
  return { ...quiet, ledger: 'absent', reason: summary, charge: true };
}
