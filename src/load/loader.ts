import { roundsPerCustomer, type Config } from '../config/schema.js';
import type { Db } from '../db/open.js';
import { ATTENTION_STATES } from '../domain.js';
import { duplicateEvents, inFlightToUncertain } from '../ledger/events.js';
import type { RivoApi } from '../rivo/api.js';
import type { RivoProfile } from '../rivo/profile.js';
import { resolveSendMode } from '../rivo/send-mode.js';
import { readProfile } from '../pilot/store.js';
import { LoadEngine, type DuplicateFinding, type EngineOptions, type EngineStats, type LoadProgress } from './engine.js';
import { amountsInScope, countOpenEvents, openEvents, rejectedEvents, scopeCounts, statesInWindow, unplannedPending, type Scope } from './queries.js';

export type { LoadProgress } from './engine.js';

export interface LoadOptions {
  db: Db;
  config: Config;
  rivo: RivoApi;
  migrationId: string;
  /** Pilot runs: only customers with seq ≤ limitSeq (see `ledger/customers.limitSeq`). */
  limitSeq?: number;
  onProgress?: (p: LoadProgress) => void;
  /** Stops after the requests in flight have answered and been recorded; the DB stays consistent and resumable. */
  signal?: AbortSignal;
  /** Human lines about recoveries, for stderr or a log. */
  log?: (line: string) => void;
  /** Failed rounds a customer may have in this run before it is left pending. Default: `roundsPerCustomer(config.rivo)`. */
  maxAttempts?: number;
  /** Pause after a round with failures. Default 500 ms doubling to 30 s. */
  roundPause?: { baseDelayMs: number; maxDelayMs: number };
  /** What this Rivo store is known to do (measured by `pilot`); default `UNMEASURED_PROFILE`, the safe reading. */
  profile?: RivoProfile;
}

/** Lists in the summary are cut at this length; the counts are complete. */
export const SUMMARY_LIST_MAX = 50;

export interface LoadSummary {
  migrationId: string;
  /**
   * `done`: everything in scope is in Rivo; `attention`: finished, but customers need the merchant; `pending`: run
   * again. The CLI turns it into an exit code (cli/exit-codes.ts).
   */
  outcome: 'done' | 'attention' | 'pending';
  aborted: boolean;
  /** Writes found in flight at start (a crash between sending and recording), settled by read-back. */
  interruptedAtStart: number;
  rounds: number;
  requests: number;
  durationMs: number;
  events: { total: number; done: number; planned: number; uncertain: number; rejected: number; landedThisRun: number };
  settled: EngineStats['settled'];
  isolatedBatches: number;
  /** Half-applied sets completed, and customers held above target (see `Sender.checkHalves` in `send.ts`). */
  completions: number;
  overTarget: number;
  points: { done: number; pending: number };
  creditsCents: { done: number; pending: number };
  customers: { withEvents: number; done: number; byState: Record<string, number>; notPlanned: number };
  /** Every event found more than once in Rivo (whole ledger), and those found in this run. */
  duplicates: { total: number; thisRun: DuplicateFinding[] };
  rejected: { customerKey: string; key: string; reason: string | null }[];
  pending: { customerKey: string; key: string; status: string; lastError: string | null }[];
  /** Customers whose retry budget ran out in this run. */
  exhausted: EngineStats['exhausted'];
}

/**
 * Sends every planned write of the scope to Rivo exactly once (see `LoadEngine`). On start, writes left in flight by
 * a crash become uncertain and are settled by reading Rivo back before anything new is sent.
 */
/** The engine's settings from config and the run's options; `load` and `rollback` send the same way. */
export function engineOptions(options: Omit<LoadOptions, 'migrationId' | 'limitSeq'>, scope: Scope): EngineOptions {
  const { db, config, rivo } = options;
  // What the pilot measured on this store (or the safe assumptions before one): how to send, page and settle.
  const profile = options.profile ?? readProfile(db);
  return {
    db,
    rivo,
    scope,
    sendMode: resolveSendMode(config.rivo.sendMode, profile, config.rivo.batchSize).mode,
    batchSize: config.rivo.batchSize,
    concurrency: config.rivo.concurrency,
    settleDelayMs: config.rivo.settleDelayMs,
    rps: config.rivo.rps,
    maxAttempts: options.maxAttempts ?? roundsPerCustomer(config.rivo),
    roundPause: options.roundPause ?? { baseDelayMs: 500, maxDelayMs: 30_000 },
    profile,
    signal: options.signal,
    onProgress: options.onProgress,
    log: options.log,
  };
}

export async function load(options: LoadOptions): Promise<LoadSummary> {
  const { db, config, rivo } = options;
  const started = Date.now();
  const interrupted = inFlightToUncertain(db);
  if (interrupted) options.log?.(`${interrupted} write(s) were in flight when the last run stopped: settling them by read-back first`);
  const scope: Scope = { maxSeq: options.limitSeq ?? Number.MAX_SAFE_INTEGER, roles: 'all', customerStates: ['pending'] };
  const engine = new LoadEngine(engineOptions(options, scope));
  const stats = await engine.run();
  return summarizeLoad(db, scope, options.migrationId, stats, interrupted, Date.now() - started);
}

export function summarizeLoad(db: Db, scope: Scope, migrationId: string, stats: EngineStats, interrupted: number, durationMs: number): LoadSummary {
  const counts = stats.finalCounts ?? scopeCounts(db, scope);
  const amounts = amountsInScope(db, scope);
  const byState = statesInWindow(db, scope.maxSeq);
  const notPlanned = unplannedPending(db, scope.maxSeq);
  const open = countOpenEvents(db, scope);
  const duplicatesTotal = duplicateEvents(db).length;
  const attention = ATTENTION_STATES.reduce((n, s) => n + (byState[s] ?? 0), 0) + duplicatesTotal;
  const outcome: LoadSummary['outcome'] = stats.aborted || open > 0 || notPlanned > 0 ? 'pending' : attention > 0 ? 'attention' : 'done';
  return {
    migrationId,
    outcome,
    aborted: stats.aborted,
    interruptedAtStart: interrupted,
    rounds: stats.rounds,
    requests: stats.requests,
    durationMs,
    events: {
      total: counts.eventsTotal,
      done: counts.eventsDone,
      planned: counts.eventsPlanned,
      uncertain: counts.eventsUncertain,
      rejected: counts.eventsRejected,
      landedThisRun: stats.eventsLanded,
    },
    settled: stats.settled,
    isolatedBatches: stats.isolatedBatches,
    completions: stats.completions,
    overTarget: stats.overTarget,
    points: { done: amounts.donePoints, pending: amounts.openPoints },
    creditsCents: { done: amounts.doneCreditsCents, pending: amounts.openCreditsCents },
    customers: { withEvents: counts.customersTotal, done: counts.customersDone, byState, notPlanned },
    duplicates: { total: duplicatesTotal, thisRun: stats.duplicates },
    rejected: rejectedEvents(db, scope, SUMMARY_LIST_MAX).map((e) => ({ customerKey: e.customer_key, key: e.key, reason: e.last_error })),
    pending: openEvents(db, scope, SUMMARY_LIST_MAX).map((e) => ({ customerKey: e.customer_key, key: e.key, status: e.status, lastError: e.last_error })),
    exhausted: stats.exhausted,
  };
}
