import type { Config } from '../config/schema.js';
import { getMeta, setMeta, type Db } from '../db/open.js';
import { EXTRACT_PASS } from '../ledger/continuation.js';
import { AppError, ConfigError } from '../errors.js';
import { AuthenticationError, HttpError, InvalidRequestError, NotFoundError } from '../http/errors.js';
import { readCursor, recordExtractedPage, restartCursor } from '../ledger/customers.js';
import { flushWal, isWalOnDisk, relaxSync } from '../ledger/durable.js';
import type { CursorUpdate, ExtractedRecord } from '../ledger/types.js';
import type { YotpoClient } from '../yotpo/client.js';
import { listSource, openListing, type CustomerPage, type ListEndpoint } from '../yotpo/listing.js';
import { openCsvSource } from './csv-source.js';
import { SeenKeys } from './seen-keys.js';
import { widenCache } from '../ledger/cache.js';

/** SQLite page cache while extracting (see ledger/cache.ts). */
const EXTRACT_CACHE_MB = Number(process.env.Y2R_CACHE_MB ?? 32);
/** Records of a CSV file stored per commit (whole pages). */
const CSV_COMMIT_ROWS = Number(process.env.Y2R_CSV_COMMIT ?? 5000);
import { positionalKey } from './record-key.js';
import { apiSource, type PageSource } from './source.js';
import { show, validateRecord, valuesHash } from './validate.js';

export interface ExtractProgress {
  source: string;
  /** Pages and records stored by this run. */
  pages: number;
  records: number;
  /** Pages and records of the current pass, earlier runs included. */
  passPages: number;
  passRecords: number;
  /** Pages of the whole listing, when the source says (or, with `totalEstimated`, as many as the previous pass had). */
  totalPages?: number;
  totalEstimated?: boolean;
  /** Yotpo requests sent by this run, and their rate per minute since it started. */
  requests: number;
  ratePerMin: number;
  /** Time left at the rate budget, when the total is known. */
  etaSeconds?: number;
}

export interface ExtractOptions {
  db: Db;
  config: Config;
  /** Read through the Yotpo API… */
  client?: YotpoClient;
  /** …or from a Yotpo admin CSV export (wins over `client`). */
  csvPath?: string;
  /** …or from any page source (tests). */
  source?: PageSource;
  /** Stop once this many records of the current pass are stored (a pilot). Default: `config.limit`. */
  limit?: number | null;
  onProgress?: (progress: ExtractProgress) => void;
  /** Values dropped from otherwise valid records (a bad birthday…) and notes about the source. */
  onWarning?: (message: string) => void;
  /** Each record stored as invalid (its `invalidReason` names the record, the field and the value). */
  onInvalid?: (record: ExtractedRecord) => void;
  /** Stops after the page being stored; a page still in flight is not stored. The next run resumes there. */
  signal?: AbortSignal;
  /** `/customers/all` pages asked for ahead. */
  concurrency?: number;
  csvPageRows?: number;
}

export interface ExtractSummary {
  source: string;
  label: string;
  endpoint: ListEndpoint | null;
  /** Pages and records stored by this run. */
  pages: number;
  records: number;
  /** New customers, customers whose values changed (now pending again), and records read again unchanged. */
  added: number;
  changed: number;
  unchanged: number;
  /** Records whose key this run had already stored (a page served twice, or a record that moved between pages). */
  repeated: number;
  /** Records stored as invalid, with their reasons. */
  invalid: number;
  warnings: number;
  /** Requests sent to Yotpo by this run. */
  requests: number;
  /** The pass reached the end of the source. */
  done: boolean;
  stoppedBy: 'end' | 'limit' | 'abort';
  /** This run began a pass (the first one, or a re-extraction after a complete one). */
  newPass: boolean;
  /** The cursor this run started from; null when it started at the beginning. */
  resumedFrom: string | null;
  passPages: number;
  passRecords: number;
  totalPages: number | null;
  elapsedMs: number;
}

/** A page could not be read even after the retries: the run stops, every page before it is stored. */
export class ExtractError extends AppError {}

const noop = () => undefined;

/**
 * Reads every customer of one source into the migration DB, one transaction per page (the records and the cursor
 * that follows them), resuming where the last run stopped. After a complete pass, a new run starts a new pass and
 * refreshes what changed (the ledger puts changed customers back to pending).
 *
 * Records are never rejected here: an unusable one is stored as invalid with its reason. What stops a run: bad
 * credentials (exit 2), a CSV without its required columns (exit 2), a page that stays unreadable after the retries
 * (exit 1, resumable), the limit, or the signal.
 */
export async function extract(options: ExtractOptions): Promise<ExtractSummary> {
  const { db, config } = options;
  const startedAt = Date.now();
  const limit = options.limit === undefined ? config.limit : options.limit;
  const client = options.csvPath === undefined && options.source === undefined ? options.client : undefined;
  const requestsAtStart = client?.requestCount ?? 0;
  let warnings = 0;
  const warn = (message: string) => {
    warnings++;
    options.onWarning?.(message);
  };

  const source = await openSource(options);
  let iterator: AsyncGenerator<CustomerPage, void, undefined> | undefined;
  let seen: SeenKeys | undefined;
  // Reading has no effect outside, so a page need not wait for the disk (one fsync per page was most of a CSV
  // extraction's time): a power cut loses at most the last pages with their cursor, and the next run reads them
  // again. Everything is flushed before the extraction returns.
  const releaseSync = isWalOnDisk(db) ? relaxSync(db) : () => undefined;
  const narrowCache = widenCache(db, EXTRACT_CACHE_MB);
  try {
    for (const note of source.notes) warn(`${source.label}: ${note}`);

    let state = readCursor(db, source.source);
    let estimatedTotal: number | null = null;
    const newPass = state === null || state.done;
    if (state?.done) {
      // A complete pass is the basis of a delta: read everything again, the ledger keeps what did not change.
      estimatedTotal = state.pagesRead;
      restartCursor(db, source.source);
      state = null;
    }
    // Every record read is stamped with its pass, so a record the latest complete pass did not read is known gone.
    let pass = getMeta(db, EXTRACT_PASS);
    if (newPass || pass === null) {
      pass = new Date().toISOString();
      setMeta(db, EXTRACT_PASS, pass);
    }
    const resumedFrom = state?.cursor ?? null;
    const s: ExtractSummary = {
      source: source.source,
      label: source.label,
      endpoint: source.endpoint ?? null,
      pages: 0,
      records: 0,
      added: 0,
      changed: 0,
      unchanged: 0,
      repeated: 0,
      invalid: 0,
      warnings: 0,
      requests: 0,
      done: false,
      stoppedBy: 'end',
      newPass,
      resumedFrom,
      passPages: state?.pagesRead ?? 0,
      passRecords: state?.recordsRead ?? 0,
      totalPages: state?.totalPages ?? null,
      elapsedMs: 0,
    };
    const finish = (): ExtractSummary => ({
      ...s,
      warnings,
      requests: (client?.requestCount ?? 0) - requestsAtStart,
      elapsedMs: Date.now() - startedAt,
    });
    if (limit !== null && s.passRecords >= limit) return { ...finish(), stoppedBy: 'limit' };

    // What this run stored under each key (hash prefix): tells a page served twice from two records sharing a key.
    seen = new SeenKeys(db);
    // A CSV file's pages are stored several to a commit: each commit writes every index page its records touched,
    // and records in random key order share few of them at 500 a commit. A page read but not stored yet is simply
    // read again by the next run (the cursor moves with the commit). Pages from the API are stored as they come.
    let pending: { records: ExtractedRecord[]; cursor: CursorUpdate; pages: number } | null = null;
    const store = () => {
      if (!pending) return;
      const { records, cursor, pages } = pending;
      pending = null;
      const stored = recordExtractedPage(db, records, { ...cursor, pages });
      s.added += stored.added;
      s.changed += stored.changed;
      s.unchanged += records.length - stored.added - stored.changed;
    };
    let start = resumedFrom;
    let firstPage = true;
    iterator = source.pages(start);
    for (;;) {
      if (options.signal?.aborted) {
        s.stoppedBy = 'abort';
        break;
      }
      let step: IteratorResult<CustomerPage, void> | 'aborted';
      try {
        step = await nextOrAbort(iterator, options.signal);
      } catch (err) {
        if (firstPage && start !== null && source.kind === 'api' && (err instanceof InvalidRequestError || err instanceof NotFoundError)) {
          // A stored page cursor the server no longer accepts (cursors can expire): list again from the start.
          // Records already stored are updated in place, never duplicated.
          warn(`${source.label}: the stored cursor was refused (${err.summary().slice(0, 120)}); listing again from the first page`);
          restartCursor(db, source.source);
          start = null;
          s.passPages = 0;
          s.passRecords = 0;
          s.resumedFrom = null;
          iterator = source.pages(null);
          continue;
        }
        throw pageFailure(err, source, s.passPages);
      }
      if (step === 'aborted') {
        s.stoppedBy = 'abort';
        break;
      }
      if (step.done) break;
      firstPage = false;
      const page = step.value;
      const records = page.records.map((raw, index) => toRecord(source, page, raw, index, warn));
      const hashes = records.map((r) => [r.key, r.valuesHash.slice(0, 16)] as const);
      const earlier = seen.record(hashes);
      for (const [i, r] of records.entries()) {
        const before = earlier[i];
        const hash = hashes[i]![1];
        if (before !== undefined) {
          s.repeated++;
          if (before !== hash) warn(`${show(r.key)} was read twice in this pass with different values: the later record is kept`);
        }
        if (r.invalidReason !== null) {
          s.invalid++;
          options.onInvalid?.(r);
        }
      }
      const cursor = { source: source.source, next: page.next, totalPages: page.totalPages ?? null, done: page.next === null, pass };
      if (pending) {
        pending.records.push(...records);
        pending.cursor = cursor;
        pending.pages++;
      } else pending = { records, cursor, pages: 1 };
      if (source.kind !== 'csv' || pending.records.length >= CSV_COMMIT_ROWS || cursor.done) store();
      s.pages++;
      s.records += records.length;
      s.passPages++;
      s.passRecords += records.length;
      if (page.totalPages !== undefined) s.totalPages = page.totalPages;
      options.onProgress?.(progressOf(s, client, requestsAtStart, startedAt, config.yotpo.rpm, estimatedTotal));
      if (page.next === null) {
        s.done = true;
        break;
      }
      if (limit !== null && s.passRecords >= limit) {
        s.stoppedBy = 'limit';
        break;
      }
    }
    store();
    return finish();
  } finally {
    // Pages asked for ahead are dropped; their requests may still finish (the caller closes the client).
    iterator?.return(undefined).catch(noop);
    seen?.close();
    narrowCache();
    releaseSync();
    await source.close();
    // Not needed for exactness (a lost tail is read again); a failure here must not hide the run's own error.
    await flushWal(db).catch(noop);
  }
}

async function openSource(options: ExtractOptions): Promise<PageSource> {
  if (options.source) return options.source;
  if (options.csvPath !== undefined) return openCsvSource(options.csvPath, options.config.yotpo.csvColumns, { pageRows: options.csvPageRows });
  if (!options.client) throw new ConfigError('Nothing to extract from: give a Yotpo client or a CSV file');
  const { db, config } = options;
  // `auto` keeps to the endpoint an earlier run of this DB used, preferring one with a pass under way.
  const used = (['recent', 'all'] as const)
    .map((endpoint) => ({ endpoint, cursor: readCursor(db, listSource(endpoint)) }))
    .filter((u) => u.cursor !== null)
    .sort((a, b) => Number(a.cursor!.done) - Number(b.cursor!.done));
  const listing = await openListing(options.client, {
    setting: config.yotpo.listEndpoint,
    perPage: config.yotpo.perPage,
    concurrency: options.concurrency,
    previous: used[0]?.endpoint ?? null,
  }).catch((err: unknown) => {
    throw pageFailure(err, { label: 'Yotpo' }, 0);
  });
  return apiSource(listing);
}

/** One record, validated; a record that breaks validation itself is stored as invalid rather than stopping the run. */
function toRecord(source: PageSource, page: CustomerPage, raw: unknown, index: number, warn: (m: string) => void): ExtractedRecord {
  const position = () => positionalKey(source.source, page.cursor, index);
  let rawJson = 'null';
  try {
    const prepared = source.prepare(raw);
    rawJson = prepared.rawJson;
    const { record, warnings } = validateRecord(prepared.fields, { source: source.kind, position, rawJson, earnedExpected: source.earnedExpected });
    warnings.forEach(warn);
    return record;
  } catch (err) {
    const key = position();
    const values = {
      email: null,
      emailNorm: null,
      thirdPartyId: null,
      firstName: null,
      lastName: null,
      pointsBalance: null,
      pointsEarned: null,
      creditCents: null,
      tierName: null,
      birthdayMonth: null,
      birthDay: null,
      birthdayYear: null,
      optedIn: null,
      lastActivityAt: null,
      invalidReason: `record ${key}: could not be read (${(err as Error).message})`,
    };
    return { key, source: source.kind, ...values, rawJson, valuesHash: valuesHash(values) };
  }
}

function pageFailure(err: unknown, source: { label: string }, storedPages: number): unknown {
  // Bad credentials and bad config keep their own class (exit 2); anything not from the wire is a bug to surface as is.
  if (err instanceof AuthenticationError || err instanceof ConfigError || !(err instanceof HttpError)) return err;
  return new ExtractError(
    `${source.label}: a page could not be read after retries (${storedPages} pages of this pass are stored). ${err.message}. ` +
      'Run `extract` again to resume from the page that failed.',
    { cause: err },
  );
}

/** The iterator's next page, or 'aborted' as soon as the signal fires (the page in flight is then dropped). */
function nextOrAbort<T>(iterator: AsyncIterator<T, void>, signal: AbortSignal | undefined): Promise<IteratorResult<T, void> | 'aborted'> {
  const next = iterator.next();
  if (!signal) return next;
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      next.catch(noop);
      resolve('aborted');
    };
    signal.addEventListener('abort', onAbort, { once: true });
    next.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function progressOf(s: ExtractSummary, client: YotpoClient | undefined, requestsAtStart: number, startedAt: number, rpm: number, estimatedTotal: number | null): ExtractProgress {
  const requests = (client?.requestCount ?? 0) - requestsAtStart;
  const total = s.totalPages ?? (estimatedTotal !== null && estimatedTotal >= s.passPages ? estimatedTotal : null);
  const p: ExtractProgress = {
    source: s.source,
    pages: s.pages,
    records: s.records,
    passPages: s.passPages,
    passRecords: s.passRecords,
    requests,
    ratePerMin: requestRate(client, requests, startedAt),
  };
  if (total !== null) {
    p.totalPages = total;
    if (s.totalPages === null) p.totalEstimated = true;
    // The listing is paced by the budget, not by the server: one request per page, at `rpm` per minute.
    if (client) p.etaSeconds = Math.ceil((Math.max(0, total - s.passPages) * 60) / rpm);
  }
  return p;
}

/** Requests per minute over the gaps between this run's requests (n requests span n - 1 gaps). */
function requestRate(client: YotpoClient | undefined, requests: number, startedAt: number): number {
  const stats = client?.stats();
  if (!stats || requests < 2 || stats.firstRequestAt === null || stats.lastRequestAt === null) return 0;
  const span = stats.lastRequestAt - Math.max(stats.firstRequestAt, startedAt);
  return span > 0 ? Math.round(((requests - 1) * 60_000) / span) : 0;
}
