import pLimit from 'p-limit';
import type { Config } from '../config/schema.js';
import type { RivoCustomerSnapshot } from '../domain.js';
import { getMeta, type Db } from '../db/open.js';
import { iterateCustomers } from '../ledger/customers.js';
import { KEY_PREFIX } from '../mapper/keys.js';
import { readProfile } from '../pilot/store.js';
import { chooseLookup, LIST_THRESHOLD, rivoSeenSinceForSeqs } from '../plan/rivo-index.js';
import type { RivoApi } from '../rivo/api.js';
import type { RivoProfile } from '../rivo/profile.js';
import { readBack } from '../rivo/readback.js';
import { chunks, readRivoList, verifyData } from './queries.js';
import { applyActual, judgeReadBack, prepare, talliesOf, VerifyTally, type Checked, type VerifyProgress, type VerifySummary } from './rules.js';
import { Reservoir, seedFrom } from './sampler.js';

/**
 * `verify`: reads Rivo back and compares every customer with what the migration should have produced there
 * (`expected.ts`, on the model of `mapper/migrated.ts`), then checks the ledger itself on a sample: each of our done
 * events must appear exactly once in the customer's Rivo events (found by the bracketed key in `internal_note`).
 *
 * This file only moves data: the DB through `queries.ts`, Rivo through the client and `rivo/readback.ts`; every
 * judgement is in `rules.ts` (pure), the sample in `sampler.ts`.
 *
 * Verified: every customer in the window with a Rivo id and either a done event or the state migrated /
 * nothing_to_migrate. Each gets one row in `verify_results` (upserted: the table holds the latest verification), with
 * outcome match, mismatch, missing (Rivo no longer has the customer) or not_checked (events still unsettled); a
 * customer that no longer qualifies loses its old row. Customers are streamed in chunks, each chunk's rows written in
 * one transaction; only the sample (at most `sampleEvents` customers) is held across chunks.
 */

export type { VerifyOutcome } from '../domain.js';
export type { VerifyProgress, VerifySummary } from './rules.js';

export interface VerifyConfig {
  mapping: Pick<Config['mapping'], 'negativeEventsLowerLifetime'>;
  rivo: Pick<Config['rivo'], 'concurrency' | 'lookup'>;
}

export interface VerifyOptions {
  db: Db;
  rivo: RivoApi;
  config: VerifyConfig;
  /** Only customers with seq <= limitSeq (a pilot's window, see ledger `limitSeq`). Default: all. */
  limitSeq?: number;
  /** Matching customers whose events are read back as well, chosen at random (seeded). Default 200. */
  sampleEvents?: number;
  /** Seed of the sample. Default: derived from the migration id, so a re-run samples the same customers. */
  seed?: number;
  /** Above this many customers to check, Rivo's customer list is read instead of one GET each. Default `LIST_THRESHOLD`. */
  listThreshold?: number;
  /** Customers per transaction. Default `VERIFY_CHUNK`. */
  chunk?: number;
  now?: () => Date;
  onProgress?: (p: VerifyProgress) => void;
  /** What this Rivo store is known to do (`pilot`); default `UNMEASURED_PROFILE`. Read-backs page by it. */
  profile?: RivoProfile;
}

/**
 * Customers per chunk (and transaction). A chunk's rows, events and judgements live until its transaction commits,
 * while judging them allocates some 25 KB of short-lived garbage per customer: a chunk of 500 spanned two
 * young-generation collections, so what it held was promoted to old space, which grew by ~40 MB during a
 * 20,000-customer verify (the peak RSS of `migrate`; at 200, by ~15 MB). At 100 it dies young; the commits this adds
 * cost ~0.1 s per 20,000 customers.
 */
export const VERIFY_CHUNK = 100;

export async function verify(options: VerifyOptions): Promise<VerifySummary> {
  const { db, rivo, config } = options;
  const data = verifyData(db);
  const limitSeq = options.limitSeq ?? Number.MAX_SAFE_INTEGER;
  const chunkSize = Math.max(1, options.chunk ?? VERIFY_CHUNK);
  const checkedAt = (options.now ?? (() => new Date()))().toISOString();
  const progress = options.onProgress ?? (() => {});
  const rules = { negativeEventsLowerLifetime: config.mapping.negativeEventsLowerLifetime };
  const limit = pLimit(Math.max(1, config.rivo.concurrency));
  const requestsAtStart = rivo.requestCount;
  const migrationId = getMeta(db, 'migration_id') ?? 'unknown';
  const ourKeyPrefix = `${KEY_PREFIX}:${migrationId}:`;
  const tierNames = data.tierNames();
  // Read-backs page and prove completeness the way the pilot measured this store (safe assumptions before one).
  const profile = options.profile ?? readProfile(db);

  const toRead = data.toRead(limitSeq);
  const totalInWindow = data.inWindow(limitSeq);
  const lookup = chooseLookup(config.rivo.lookup, toRead, options.listThreshold ?? LIST_THRESHOLD);
  // Listed customers go into the planner's Rivo index; only those stored by this run's listing count as current.
  const listedSince = new Date().toISOString();
  if (lookup === 'list' && toRead > 0) await readRivoList(db, rivo, limitSeq, toRead, progress);

  const tally = new VerifyTally(checkedAt, lookup);
  const sample = new Reservoir<Checked>(Math.max(0, options.sampleEvents ?? 200), options.seed ?? seedFrom(migrationId));
  const actualOf = async (listed: RivoCustomerSnapshot | undefined, rivoId: string): Promise<RivoCustomerSnapshot | null> => {
    if (listed) return listed;
    // Not listed (get mode, a list cut short, or a customer Rivo dropped): ask directly before saying "missing".
    return limit(() => rivo.getCustomer(rivoId));
  };
  const ledgerCheck = (w: Checked) =>
    limit(async () => judgeReadBack(w, await readBack(rivo, w.row.rivo_id!, profile, [], talliesOf(w)), ourKeyPrefix));

  let seen = 0;
  for (const batch of chunks(iterateCustomers(db, 'seq <= ?', [limitSeq], chunkSize), chunkSize)) {
    const fromSeq = batch[0]!.seq;
    const toSeq = batch[batch.length - 1]!.seq;
    const of = data.chunk(fromSeq, toSeq);
    const listed = rivoSeenSinceForSeqs(db, fromSeq, toSeq, listedSince);
    const all = batch.map((row) => prepare(row, of.eventsOf(row.key), of.eligible(row.key), checkedAt, rules, tierNames));
    const works = all.filter((w): w is Checked => w.result !== null);
    await Promise.all(
      works
        .filter((w) => w.expected)
        .map(async (w) => {
          applyActual(w, await actualOf(listed.get(w.row.rivo_id!), w.row.rivo_id!), rules, tierNames);
          if (w.result.outcome === 'mismatch') await ledgerCheck(w);
        }),
    );
    data.transaction(() => {
      for (const w of all) {
        if (w.result) data.write(w.result, w.problems);
        else data.remove(w.row.key);
      }
    });
    for (const w of all) tally.inWindow(w.row);
    for (const w of works) {
      // A matching customer with events may be read back in the sample: counted once its row is final.
      const sampled = w.result.outcome === 'match' && w.expected !== null && w.expected.eventKeys.length > 0;
      const settled = sampled ? sample.offer(w) : w;
      if (settled) tally.final(settled);
    }
    seen += all.length;
    progress({ phase: 'customers', done: seen, total: totalInWindow });
    // Customers read from Rivo's listing are judged without waiting on any I/O: the whole loop would be one chain of
    // microtasks, during which no timer, signal or progress redraw runs, and V8 finishes no major collection (old
    // space only grows until the loop ends).
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  // The ledger check on the sample of customers whose tallies match.
  const picked = sample.items();
  let checkedSample = 0;
  for (const group of chunks(picked, chunkSize)) {
    await Promise.all(group.map((w) => ledgerCheck(w)));
    data.transaction(() => {
      for (const w of group) data.write(w.result, w.problems);
    });
    for (const w of group) tally.final(w);
    checkedSample += group.length;
    progress({ phase: 'events', done: checkedSample, total: picked.length });
  }

  return tally.summary(rules, rivo.requestCount - requestsAtStart);
}
