import type { Config } from '../config/schema.js';
import type { Db } from '../db/open.js';
import { getMeta } from '../db/open.js';
import { ConfigError } from '../errors.js';
import {
  getCustomer,
  hasPostedEvents,
  iterateCustomerIdentities,
  iterateCustomers,
  recordPlanTargets,
  recordProblem,
  recordProblemOnce,
  recordRivoMatch,
  setCustomerState,
  withRivoMatch,
  type CustomerIdentity,
  type PlanTargets,
} from '../ledger/customers.js';
import { postedEvents, replaceFirstPlan, replacePlan } from '../ledger/events.js';
import { findContinuation, mergeContinuation, possibleEditOf, postedByAnotherRecord, type Continuation } from '../ledger/continuation.js';
import { hasUnsettledEvents, holdCustomer, nothingPostedYet } from '../ledger/plan.js';
import type { CustomerRow } from '../ledger/types.js';
import { foldEvents, planCustomer, resolveIdentities, type Resolution, type RivoLookup } from '../mapper/index.js';
import type { RivoApi } from '../rivo/api.js';
import { decideExpiry } from '../rivo/expiry.js';
import { readProfile } from '../pilot/store.js';
import { rivoBeforeOf, yotpoCustomerOf } from './customer-view.js';
import { historyInputOf } from './history-view.js';
import { withoutAwardedItems } from '../awards/history.js';
import { awaitHistory, setHistoryStatus } from '../ledger/history.js';
import { chooseLookup, listAllRivoCustomers, lookUpOne, refreshTiers, rivoByEmail, rivoById } from './rivo-index.js';
import type { RivoCustomerSnapshot } from '../domain.js';
import { pluckStatement, statement } from '../ledger/statements.js';
import { flushWal, isWalOnDisk, relaxSync } from '../ledger/durable.js';
import { widenCache } from '../ledger/cache.js';
import { savepointJournalInMemory } from '../ledger/sub-journal.js';

export interface PlanOptions {
  db: Db;
  config: Config;
  rivo: RivoApi;
  migrationId: string;
  /** Only customers with seq ≤ this (a pilot run). */
  limitSeq?: number;
  /**
   * Which customers this pass plans: `all` (the `plan` command), `changed` (read or changed since they were last
   * planned: migrate's passes while extraction goes on), or `held` (unmatched and conflicts: retried on a new run).
   */
  scope?: PlanScope;
  /** Re-list Rivo customers even if this process listed them already. */
  relist?: boolean;
  now?: () => string;
  onProgress?: (p: PlanProgress) => void;
  signal?: AbortSignal;
}

export interface PlanProgress {
  phase: 'rivo' | 'match' | 'plan';
  done: number;
  total: number;
}

export interface PlanSummary {
  considered: number;
  planned: number;
  events: number;
  unmatched: number;
  conflicts: number;
  nothingToMigrate: number;
  awaitingSettlement: number;
  /** Records that may continue an earlier customer (an edited email): planned once Yotpo's read has ended. */
  awaitingContinuation: number;
  /** Records read into the customer they continue (see ledger/continuation.ts). */
  continued: number;
  /** mapping.history: customers left unplanned because their Yotpo history is not read yet (a stopped lookup). */
  awaitingHistory?: number;
  errors: number;
  rivoLookup: 'list' | 'get' | 'none';
  /** Whether earn events carry Yotpo's expiry date, and why (mapping.expiry and the pilot's profile). */
  expiry?: { send: boolean; reason: string };
}

export type PlanScope = 'all' | 'changed' | 'held';

/** How the planner took a record: what it plans from a match is only the Rivo customer, whichever way it was found. */
type Decided = Exclude<Resolution, { kind: 'matched' }> | { kind: 'matched'; rivoId: string };

const SCOPES: Record<PlanScope, string> = {
  all: '1 = 1',
  changed: 'planned_hash IS NULL OR planned_hash <> values_hash',
  held: "state IN ('unmatched','conflict')",
};

/**
 * Customers per transaction. Each commit writes the index pages its customers touched and waits for the disk;
 * 5,000 customers share most of those pages (measured on 100k customers: 500 per commit 35 s, 5,000 per commit 24 s).
 */
const CHUNK = 5000;
/** SQLite page cache while planning (see ledger/cache.ts). */
const PLAN_CACHE_MB = Number(process.env.Y2R_CACHE_MB ?? 32);
/** Rows read per query while planning (kept small: see pass 1). */
const ROW_PAGE = 100;
/** A Rivo listing older than this process is stale; within one process (migrate's passes) it is reused. */
const processStartedAt = new Date().toISOString();
const ACTIVE = "state <> 'invalid' AND seq <= ?";

/**
 * Matches every extracted customer in Rivo, resolves identity (conflicts are held), and stores what each one is
 * owed through the ledger. Reads Rivo only: it never writes there, so it is the dry run too.
 */
export async function plan(options: PlanOptions): Promise<PlanSummary> {
  // A plan sends nothing, and nothing outside acts on its commits before a flush: the loader flushes the WAL before
  // any request leaves (ledger/durable.ts), and a durable commit flushes every commit before it. So its commits skip
  // their own fsync (on a large dry run: the Rivo listing commits a page of 250 customers at a time), and it flushes
  // once at the end. A power cut loses at most a tail of the plan, which the next plan makes again.
  const { db } = options;
  const release = isWalOnDisk(db) ? relaxSync(db) : () => undefined;
  const narrow = widenCache(db, PLAN_CACHE_MB);
  try {
    return await planPass(options);
  } finally {
    narrow();
    release();
    // A flush that fails must not hide the plan's own error; a tail it leaves unflushed is planned again.
    await flushWal(db).catch(() => undefined);
  }
}

async function planPass(options: PlanOptions): Promise<PlanSummary> {
  const { db, config, rivo } = options;
  if (getMeta(db, 'rolled_back_at'))
    throw new ConfigError(
      `This migration was rolled back on ${getMeta(db, 'rolled_back_at')}. Start a new migration with a new --db; ` +
        're-planning this one would send the points again.',
    );
  const limitSeq = options.limitSeq ?? Number.MAX_SAFE_INTEGER;
  const inScope = `${ACTIVE} AND (${SCOPES[options.scope ?? 'all']})`;
  const now = options.now ?? (() => new Date().toISOString());
  const total = pluckStatement(db, `SELECT count(*) FROM customers WHERE ${inScope}`).get(limitSeq) as number;
  const summary: PlanSummary = { considered: total, planned: 0, events: 0, unmatched: 0, conflicts: 0, nothingToMigrate: 0, awaitingSettlement: 0, awaitingContinuation: 0, continued: 0, errors: 0, rivoLookup: 'none' };
  if (total === 0) return summary;

  const tiers = await refreshTiers(db, rivo);
  summary.rivoLookup = await fillRivoIndex(options, inScope, limitSeq);

  // The last await is above: from here the pass is synchronous. Each customer is written in a savepoint of its own,
  // thousands to a transaction: their journal stays in memory while nothing else can run.
  const restoreJournal = savepointJournalInMemory(db);
  try {
    planSynchronously(options, { summary, tiers, inScope, limitSeq, total, now });
  } finally {
    restoreJournal();
  }
  return summary;
}

interface PassState {
  summary: PlanSummary;
  tiers: Awaited<ReturnType<typeof refreshTiers>>;
  inScope: string;
  limitSeq: number;
  total: number;
  now: () => string;
}

function planSynchronously(options: PlanOptions, pass: PassState): void {
  const { db, config } = options;
  const { summary, tiers, inScope, limitSeq, total, now } = pass;
  // Nothing is awaited from here on, so what the ledger proves now holds for the pass.
  // With nothing of anyone's in Rivo (a first plan, a dry run), every per-customer "posted?" question has the answer
  // no, and asking the DB a million times over costs most of a large dry run.
  const nothingPosted = nothingPostedYet(db);
  const posted = (key: string): boolean => !nothingPosted && hasPostedEvents(db, key);
  // Matching reads a Rivo customer by id or email, then planning reads the chosen one by id again: the last few
  // snapshots read are kept (nothing writes rivo_customers while a pass runs, see above).
  const recent = new Map<string, RivoCustomerSnapshot | undefined>();
  const remember = (k: string, v: RivoCustomerSnapshot | undefined) => {
    if (recent.size >= 8) recent.delete(recent.keys().next().value!);
    recent.set(k, v);
    if (v) recent.set(`id:${v.id}`, v);
    return v;
  };
  const cachedById = (id: string) => (recent.has(`id:${id}`) ? recent.get(`id:${id}`) : remember(`id:${id}`, rivoById(db, id)));
  const lookup: RivoLookup = {
    byId: cachedById,
    byEmail: (e) => (recent.has(`email:${e}`) ? recent.get(`email:${e}`) : remember(`email:${e}`, rivoByEmail(db, e))),
  };
  const identityMap = config.mapping.identityMap;
  const linkable = Object.keys(identityMap).length > 0;
  // Only a record with nothing in Rivo yet can continue another one; a Shopify id or an identityMap entry links them.
  // A continuation needs an earlier record with events in Rivo: with none anywhere, there is none to find.
  const continuationOf = (row: CustomerRow): Continuation =>
    !nothingPosted && (row.third_party_id || linkable) && !posted(row.key) ? findContinuation(db, row, identityMap) : { kind: 'none' };
  const single = (row: CustomerIdentity): Resolution => {
    // A customer who already has events in Rivo stays with that Rivo customer, whatever Rivo's emails say today.
    if (row.rivo_id && posted(row.key)) return { kind: 'matched', rivoId: row.rivo_id, via: 'ledger' };
    return resolveIdentities([{ key: row.key, email: row.email, thirdPartyId: row.third_party_id }], lookup, identityMap).get(row.key)!;
  };

  // Pass 1: each record on its own. The candidates persist across passes, so records landing on one Rivo customer
  // are found by a query over everyone read so far, not in memory.
  statement(db, "DELETE FROM match_candidates WHERE customer_key IN (SELECT key FROM customers WHERE state = 'invalid')").run();
  const addCandidate = statement(db, 'INSERT OR REPLACE INTO match_candidates (customer_key, rivo_id, explicit) VALUES (?, ?, ?)');
  const dropCandidate = statement(db, 'DELETE FROM match_candidates WHERE customer_key = ?');
  let done = 0;
  // Rows are read in small pages and handled as they come, CHUNK of them per transaction: nothing holds more than a
  // page of rows, so they die young instead of filling the old generation between collections.
  // With nothing posted no record continues another, and matching needs only the identity columns.
  const matchRows: Iterator<CustomerIdentity | CustomerRow> = nothingPosted
    ? iterateCustomerIdentities(db, inScope, [limitSeq], ROW_PAGE)
    : iterateCustomers(db, inScope, [limitSeq], ROW_PAGE);
  const matchSome = db.transaction((): boolean => {
    for (let n = 0; n < CHUNK; n++) {
      const next = matchRows.next();
      if (next.done) return false;
      const row = next.value;
      // A record that continues (or may continue) an earlier customer's migration claims no Rivo customer of its own.
      // (Whole rows are read whenever something is posted.)
      const linked = nothingPosted ? 'none' : continuationOf(row as CustomerRow).kind;
      if (linked === 'wait' || linked === 'continues') {
        dropCandidate.run(row.key);
        continue;
      }
      const r = single(row);
      if (r.kind === 'matched') addCandidate.run(row.key, r.rivoId, r.via === 'identity_map' ? 1 : 0);
      else dropCandidate.run(row.key);
      options.onProgress?.({ phase: 'match', done: ++done, total });
    }
    return true;
  });
  while (matchSome());
  const overrides = resolveSharedRivoCustomers(db, lookup, identityMap);

  // Pass 2: plan each customer in this window.
  done = 0;
  // With nothing posted, pass 1 stored a candidate exactly for the records `single` matches (no continuation can
  // intervene), and nothing has changed what `single` reads since: its Rivo customer is read back, not worked out again.
  const candidateOf = pluckStatement(db, 'SELECT rivo_id FROM match_candidates WHERE customer_key = ?');
  const matchedInPass1 = (row: CustomerRow): Decided | undefined => {
    if (!nothingPosted) return undefined;
    const rivoId = candidateOf.get(row.key) as string | undefined;
    return rivoId === undefined ? undefined : { kind: 'matched', rivoId };
  };
  const model = { negativeEventsLowerLifetime: config.mapping.negativeEventsLowerLifetime };
  // Decided once per plan, from the setting and the store's measured profile: the mapper only takes the answer.
  const expiry = decideExpiry(config.mapping.expiry, readProfile(db));
  summary.expiry = { send: expiry.send, reason: expiry.reason };
  let chunk: CustomerRow[] = [];
  const planChunk = () => {
    db.transaction(() => {
      for (const row of chunk) planOne(row);
    })();
    chunk = [];
  };
  // The Rivo baseline of the customer being planned, while it is not written yet (see below).
  let matchUnwritten: { key: string; observed: RivoCustomerSnapshot } | null = null;
  const writeMatch = () => {
    if (!matchUnwritten) return;
    recordRivoMatch(db, matchUnwritten.key, matchUnwritten.observed, nothingPosted ? { nothingPosted } : undefined);
    matchUnwritten = null;
  };
  const planOne = (row: CustomerRow): void => {
    matchUnwritten = null;
    const continuation = continuationOf(row);
    if (continuation.kind === 'wait') {
      // Left unplanned: the pass after Yotpo's read ends decides (an edited email, or two records for one person).
      summary.awaitingContinuation++;
      return;
    }
    if (continuation.kind === 'continues') {
      const reason =
        `Yotpo record ${row.key} continues customer ${continuation.of.key} (same ${continuation.via === 'third_party_id' ? 'Shopify id' : 'identityMap target'}; ` +
        'the earlier email is no longer in Yotpo): its values arrive as a delta of that migration';
      mergeContinuation(db, row.key, continuation.of.key, reason);
      summary.continued++;
      planOne(getCustomer(db, continuation.of.key)!);
      return;
    }
    const resolution: Decided = overrides.get(row.key) ?? matchedInPass1(row) ?? single(row);
    try {
      switch (resolution.kind) {
        case 'unmatched':
          holdCustomer(db, row.key, 'unmatched', resolution.reason);
          summary.unmatched++;
          return;
        case 'conflict':
          holdCustomer(db, row.key, 'conflict', resolution.reason);
          summary.conflicts++;
          return;
        case 'skipped':
          holdCustomer(db, row.key, 'nothing_to_migrate', resolution.reason);
          summary.nothingToMigrate++;
          return;
      }
      const earlier = nothingPosted || posted(row.key) ? null : postedByAnotherRecord(db, resolution.rivoId, row.key);
      if (earlier !== null) {
        const reason =
          `Rivo customer ${resolution.rivoId} already received this migration's points under Yotpo record ${earlier}, ` +
          'and this record resolves to the same customer: held, never credited; map it in mapping.identityMap (to another Rivo id or "skip")';
        holdCustomer(db, row.key, 'conflict', reason);
        recordProblemOnce(db, { customerKey: row.key, kind: 'late_conflict', detail: reason });
        summary.conflicts++;
        return;
      }
      // possibleEditOf looks for a migrated record of the same name: none can exist while nothing is posted.
      const edit = nothingPosted || posted(row.key) ? { kind: 'none' as const } : possibleEditOf(db, row, identityMap);
      if (edit.kind === 'wait') {
        summary.awaitingContinuation++; // a migrated record of the same name may still be read in this pass
        return;
      }
      if (edit.kind === 'held') {
        const reason =
          `Yotpo record ${row.key} has no Shopify id and the same name as ${edit.of.key}, whose points this migration already sent ` +
          'and which is no longer in Yotpo: it may be that customer under an edited email, so it is held, never credited. ' +
          `If it is, map it in mapping.identityMap to Rivo customer ${edit.of.rivo_id ?? '?'} (that migration continues as a delta); if not, map it to its own Rivo id`;
        holdCustomer(db, row.key, 'conflict', reason);
        recordProblemOnce(db, { customerKey: row.key, kind: 'possible_edit', detail: reason });
        summary.conflicts++;
        return;
      }
      if (!nothingPosted && hasUnsettledEvents(db, row.key)) {
        summary.awaitingSettlement++; // the loader settles them first; the next plan sees their outcome
        return;
      }
      const observed = cachedById(resolution.rivoId);
      // With nothing posted, Rivo's baseline is written with the plan, in one statement (ledger/customers.ts
      // recordFirstPlan), or on its own if the customer is left unplanned; the row it makes is known without reading
      // it back.
      if (observed) matchUnwritten = { key: row.key, observed };
      if (!nothingPosted) writeMatch();
      const fresh = nothingPosted ? (observed ? withRivoMatch(row, observed) : row) : getCustomer(db, row.key)!;
      const postedSoFar = nothingPosted ? [] : postedEvents(db, row.key);
      const migrated = foldEvents(postedSoFar, model);
      // Awards (one-time actions) are counted before the customer's first plan is sent: the replay still applies.
      const firstPlan = !postedSoFar.some((e) => e.role !== 'award');
      // One-time actions are read from the history too: a first plan waits for the lookup with history off as well
      // (planned without it, the whole balance would go out and the actions could never be awarded).
      const actionsMapped = Object.keys(config.mapping.oneTimeActions).length > 0;
      const stored = (config.mapping.history || actionsMapped) && firstPlan ? historyInputOf(db, config, limitSeq, fresh) : undefined;
      const replayed = config.mapping.history ? stored : undefined;
      const awardedOut = replayed && replayed !== 'wait' ? withoutAwardedItems(db, row.key, config.mapping.oneTimeActions, replayed) : undefined;
      const history = stored === 'wait' ? 'wait' : (awardedOut?.history ?? replayed);
      if (history === 'wait') {
        // Planned once the lookup stage has read it; an older plan made without it does not go out meanwhile.
        writeMatch();
        awaitHistory(db, row.key);
        summary.awaitingHistory = (summary.awaitingHistory ?? 0) + 1;
        return;
      }
      const result = planCustomer({
        customer: yotpoCustomerOf(fresh),
        rivo: rivoBeforeOf(fresh),
        tiers,
        migrated,
        mapping: config.mapping,
        dobUnknownYear: config.rivo.dobUnknownYear,
        migrationName: config.migrationName,
        migrationId: options.migrationId,
        now: now(),
        sendExpiry: expiry.send,
        history,
        historyAwardedPoints: awardedOut?.yotpoPoints,
      });
      if (fresh.points_earned === null) result.notes.unshift('lifetime points unknown in the source (no points earned): lifetime carried as the balance');
      const targets: PlanTargets = {
        targetPoints: result.target.points,
        targetLifetime: result.target.lifetime,
        targetCredits: result.target.creditsCents,
        predictedPoints: result.predicted.pointsTally,
        predictedLifetime: result.predicted.lifetimeTally,
        predictedCredits: result.predicted.creditsCents,
        predictedTier: result.predicted.tierName,
        predictedDob: result.predicted.dob,
      };
      const nothingOwedReason = result.notes.find((n) => n.startsWith('skipped')) ?? 'nothing owed';
      if (nothingPosted) {
        replaceFirstPlan(db, row.key, fresh.rivo_id!, result.events, { match: observed, valuesHash: fresh.values_hash, notes: result.notes, targets, nothingOwedReason });
        matchUnwritten = null;
      } else {
        replacePlan(db, row.key, fresh.rivo_id!, result.events, fresh.values_hash, result.notes);
        recordPlanTargets(db, row.key, targets);
        if (result.events.length === 0 && !postedSoFar.length) setCustomerState(db, row.key, 'nothing_to_migrate', nothingOwedReason);
      }
      // A customer's first plan says what became of its history; after that, deltas leave the first answer standing.
      if (firstPlan && (fresh.history_status ?? null) !== (result.history ?? null)) setHistoryStatus(db, row.key, result.history ?? null);
      if (result.events.length) summary.planned++;
      else summary.nothingToMigrate++;
      summary.events += result.events.length;
    } catch (err) {
      // One customer the rules cannot handle must not stop the others; it is held and reported.
      writeMatch();
      summary.errors++;
      holdCustomer(db, row.key, 'invalid', `could not be planned: ${(err as Error).message}`);
      recordProblem(db, { customerKey: row.key, kind: 'plan_error', detail: (err as Error).message });
    }
  };
  // Only the overridden keys met in this pass need remembering (a Set of every key would grow with the store).
  const planned = new Set<string>();
  const planRows = iterateCustomers(db, inScope, [limitSeq], ROW_PAGE);
  const planSome = db.transaction((): boolean => {
    for (let n = 0; n < CHUNK; n++) {
      const next = planRows.next();
      if (next.done) return false;
      if (overrides.has(next.value.key)) planned.add(next.value.key);
      planOne(next.value);
    }
    return true;
  });
  while (planSome()) {
    options.onProgress?.({ phase: 'plan', done: (done += CHUNK), total });
    if (options.signal?.aborted) break;
  }
  // A conflict found in this pass may involve a record planned in an earlier one (and not sent yet): hold it too.
  for (const key of overrides.keys()) {
    const row = planned.has(key) ? undefined : getCustomer(db, key);
    if (row && row.state !== 'invalid' && row.seq <= limitSeq) chunk.push(row);
  }
  if (chunk.length) planChunk();
  options.onProgress?.({ phase: 'plan', done: total, total });
}

async function fillRivoIndex(options: PlanOptions, inScope: string, limitSeq: number): Promise<'list' | 'get'> {
  const { db, config, rivo } = options;
  // Those never matched need a lookup; matched ones keep the Rivo values first observed.
  const toLookUp = pluckStatement(db, `SELECT count(*) FROM customers WHERE ${inScope} AND (rivo_id IS NULL OR state IN ('unmatched','conflict'))`)
    .get(limitSeq) as number;
  const mode = chooseLookup(config.rivo.lookup, toLookUp);
  if (mode === 'list') {
    const listedThisRun = pluckStatement(db, "SELECT value FROM meta WHERE key = 'rivo_listed_at'").get() as string | undefined;
    // When migrate overlaps the stages, one listing serves every pass of the same process.
    if (options.relist || !listedThisRun || listedThisRun < processStartedAt)
      await listAllRivoCustomers(db, rivo, (seen) => options.onProgress?.({ phase: 'rivo', done: seen, total: seen }), options.signal);
    return mode;
  }
  let done = 0;
  for (const row of iterateCustomers(db, `${inScope} AND (rivo_id IS NULL OR state IN ('unmatched','conflict'))`, [limitSeq])) {
    await lookUpOne(db, rivo, row.third_party_id, row.email);
    options.onProgress?.({ phase: 'rivo', done: ++done, total: toLookUp });
    if (options.signal?.aborted) break;
  }
  return mode;
}

/**
 * Rivo customers claimed by more than one Yotpo record: those groups are resolved together by the mapper's rules
 * (conflict unless the identity map decides). A record that already has events in Rivo keeps its claim: a later
 * record for the same person is held, and the overlap is recorded as a problem.
 */
function resolveSharedRivoCustomers(db: Db, lookup: RivoLookup, identityMap: Record<string, string>): Map<string, Resolution> {
  const out = new Map<string, Resolution>();
  const shared = pluckStatement(db, 'SELECT rivo_id FROM match_candidates GROUP BY rivo_id HAVING count(*) > 1').all() as string[];
  const members = statement(db, 'SELECT c.* FROM match_candidates m JOIN customers c ON c.key = m.customer_key WHERE m.rivo_id = ? ORDER BY c.seq');
  for (const rivoId of shared) {
    const group = members.all(rivoId) as CustomerRow[];
    const withEvents = group.filter((c) => hasPostedEvents(db, c.key));
    if (withEvents.length) {
      for (const c of group) {
        if (withEvents.includes(c)) continue;
        const reason =
          `Rivo customer ${rivoId} already received the points of ${withEvents.map((p) => p.email ?? p.key).join(', ')}, ` +
          'and this record resolves to the same customer: held; map it in mapping.identityMap (to another Rivo id or "skip")';
        out.set(c.key, { kind: 'conflict', rivoId, with: withEvents.map((p) => p.key), reason });
        recordProblemOnce(db, { customerKey: c.key, kind: 'late_conflict', detail: reason });
      }
      continue;
    }
    const resolved = resolveIdentities(
      group.map((c) => ({ key: c.key, email: c.email, thirdPartyId: c.third_party_id })),
      lookup,
      identityMap,
    );
    for (const [key, r] of resolved) out.set(key, r);
  }
  return out;
}

