import type { Config } from '../config/schema.js';
import type { Db } from '../db/open.js';
import { AuthenticationError, HttpError } from '../http/errors.js';
import { countNeedingLookup, nextNeedingLookup, recordLookup, type LookupResult, type LookupScope } from '../ledger/history.js';
import type { YotpoClient } from '../yotpo/client.js';
import { parseHistory } from './items.js';

/**
 * The history lookup: one `GET /customers?customer_email=…&with_history=true` per customer that will be planned,
 * through the same Yotpo client (so the same gate and budget) as the listing. Each answer is stored as it arrives
 * (ledger/history.ts), so a stopped or killed run resumes with the customers not looked up yet, and a customer is
 * looked up again only when its values change (or its lookup failed).
 */

export interface LookupCost {
  lookups: number;
  /** The Yotpo budget, requests per minute. */
  rpm: number;
  /** lookups / rpm, in seconds: a floor (the listing shares the budget). */
  seconds: number;
}

export function lookupScope(config: Config, maxSeq: number): LookupScope {
  return { maxSeq, skipZero: config.mapping.skipZeroBalance, skipNonMembers: config.mapping.skipNonMembers };
}

/** What the lookups still owed will cost at the Yotpo budget; makes no request. */
export function lookupCost(db: Db, config: Config, maxSeq: number): LookupCost {
  const lookups = countNeedingLookup(db, lookupScope(config, maxSeq));
  return { lookups, rpm: config.yotpo.rpm, seconds: (lookups / config.yotpo.rpm) * 60 };
}

export interface LookupOptions {
  db: Db;
  config: Config;
  client: YotpoClient;
  maxSeq: number;
  signal?: AbortSignal;
  /** Lookups at once; the client's gate still spaces them to the budget. */
  concurrency?: number;
  onProgress?: (p: { done: number; total: number }) => void;
  /** A lookup that is not `found` (not found, unreadable item, failed request): one line naming the customer. */
  onProblem?: (line: string) => void;
}

export interface LookupSummary {
  total: number;
  done: number;
  found: number;
  notFound: number;
  unreadable: number;
  failed: number;
  /** Stopped by the signal before every lookup was made. */
  stopped: boolean;
}

const PAGE = 200;

export async function lookUpHistories(options: LookupOptions): Promise<LookupSummary> {
  const { db, config, client, signal } = options;
  const scope = lookupScope(config, options.maxSeq);
  const total = countNeedingLookup(db, scope);
  const summary: LookupSummary = { total, done: 0, found: 0, notFound: 0, unreadable: 0, failed: 0, stopped: false };
  if (total === 0) return summary;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  let afterSeq = 0;
  let queue: ReturnType<typeof nextNeedingLookup> = [];
  let fatal: unknown;
  // Customers are handed out in seq order from pages of the query; the cursor keeps a failed lookup (which still
  // "needs a lookup") from being taken twice in one run.
  const take = () => {
    if (!queue.length) {
      queue = nextNeedingLookup(db, scope, afterSeq, PAGE);
      if (queue.length) afterSeq = queue[queue.length - 1]!.seq;
    }
    return queue.shift();
  };
  const worker = async () => {
    for (;;) {
      if (signal?.aborted || fatal !== undefined) return;
      const c = take();
      if (!c) return;
      let result: LookupResult;
      try {
        result = await lookUpOne(client, c.key, c.email);
      } catch (err) {
        // Wrong credentials fail every lookup alike: stop, like the listing does, instead of recording each one.
        if (err instanceof AuthenticationError || !(err instanceof HttpError)) {
          fatal = err;
          return;
        }
        // The path is cut at its query: the customer's email (URL-encoded, so --redact would not see it) stays out
        // of the reason, which the plan and the reports show.
        result = { status: 'failed', reason: `the history lookup failed: ${err.message.replace(err.path, err.path.split('?')[0]!)}`, items: [] };
      }
      recordLookup(db, c.key, c.valuesHash, result);
      summary.done++;
      if (result.status === 'found') summary.found++;
      else {
        if (result.status === 'not_found') summary.notFound++;
        else if (result.status === 'unreadable') summary.unreadable++;
        else summary.failed++;
        options.onProblem?.(`history of ${c.key}: ${result.status.replace('_', ' ')}: ${result.reason}`);
      }
      options.onProgress?.({ done: summary.done, total });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (fatal !== undefined) throw fatal;
  summary.stopped = summary.done < total && (signal?.aborted ?? false);
  return summary;
}

async function lookUpOne(client: YotpoClient, key: string, email: string | null): Promise<LookupResult> {
  if (email === null || email.trim() === '') return { status: 'not_found', reason: 'no email in Yotpo to look the history up by', items: [] };
  const body = await client.getCustomerByEmail(email, { withHistory: true });
  if (body === null) return { status: 'not_found', reason: 'Yotpo answered 404 (no loyalty profile) for the history lookup', items: [] };
  const parsed = parseHistory(key, body);
  if (parsed.problems.length) return { status: 'unreadable', reason: parsed.problems.join('\n'), items: parsed.items };
  return { status: 'found', reason: null, items: parsed.items };
}
