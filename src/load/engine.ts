import type { Db } from '../db/open.js';
import { groupCommit, type GroupCommit } from '../ledger/durable.js';
import type { EventRow } from '../ledger/types.js';
import type { RivoApi } from '../rivo/api.js';
import { UNMEASURED_PROFILE, type RivoProfile } from '../rivo/profile.js';
import { RetryBudget } from './policy/budget.js';
import { packUnits, updatesOf, type CustomerWork, type Unit } from './policy/pack.js';
import { afterRound } from './policy/rounds.js';
import { Pool } from './pool.js';
import { ProgressMeter, type LoadProgress } from './progress.js';
import { Sender } from './send.js';
import type { ReadBackMoment } from './policy/settle-rule.js';
import { journalReader, openSentJournal, removeSettledJournals, type SentJournal } from './sent-journal.js';
import { settleCustomer } from './settle.js';
import { isSendable, onlyPlanned, plannedEvents, pointsSettledDone, sendableCustomers, uncertainCustomers, uncertainEventsOf, unsettledOfRun, type Scope, type ScopeCounts } from './queries.js';

export type { LoadProgress } from './progress.js';

/**
 * The runner `load` and `rollback` share: it sends what the ledger says is planned and settles what the ledger says
 * is uncertain, exactly once, in rounds. The rules it runs are pure and live in `policy/` (what a failure means,
 * what a read-back proves, how customers are packed into requests, what follows a round, the retry budget); putting
 * a unit on the wire and recording the answers is `send.ts`; reading a customer back is `settle.ts`.
 *
 * One round = settle (read back every customer with an uncertain write at once; those with writes not found are read
 * again after waiting `settleDelayMs` once, and only that read may conclude absent) and, at the
 * same time, one pass over the sendable customers: a customer with an uncertain write is not sendable, so the
 * settle delay is spent sending everyone else rather than waiting. A customer's tier and birthday updates follow its
 * points as soon as they land, in the same pass. Both draw on one pool of slots (`pool.ts`), the runner's only
 * concurrency control. What makes it exactly once:
 *  - the intent is on disk before a request leaves, the outcome recorded after (`send.ts`, `ledger/durable.ts`);
 *  - a write whose outcome is unknown is never resent before read-back proved it absent (`policy/settle-rule.ts`);
 *  - a customer is never in two requests at once (`policy/pack.ts`), so a read-back never races a write of it.
 * It ends when nothing is sendable and nothing is left to settle; every failure counts against the customer's budget
 * (`maxAttempts`), so a customer Rivo keeps failing stays pending with its last error instead of looping forever.
 */

export interface EngineOptions {
  db: Db;
  rivo: RivoApi;
  scope: Scope;
  sendMode: 'batch' | 'single';
  /**
   * What this Rivo store is known to do (`pilot`); default `UNMEASURED_PROFILE`, the safe reading of every unknown:
   * read-backs read every page and prove completeness, unnamed items of a refused batch are settled by read-back,
   * and a customer's debits go out only once its additions landed.
   */
  profile?: RivoProfile;
  batchSize: number;
  concurrency: number;
  settleDelayMs: number;
  /** The Rivo request budget per second, for the ETA. */
  rps: number;
  /** Failed rounds (uncertain or failed writes, failed read-backs) a customer may have in one run. */
  maxAttempts: number;
  /** Pause between rounds that had failures: capped exponential backoff with jitter. */
  roundPause: { baseDelayMs: number; maxDelayMs: number };
  signal?: AbortSignal;
  /** Customers read from the ledger per step of a pass (memory bound for very large migrations). */
  chunkCustomers?: number;
  onProgress?: (p: LoadProgress) => void;
  /** Human lines about recoveries (an uncertain batch, an isolated refusal…). */
  log?: (line: string) => void;
  /** Minimum time between two progress callbacks (the last one is always sent). */
  progressEveryMs?: number;
}

export interface DuplicateFinding {
  customerKey: string;
  key: string;
  rivoEventIds: string[];
}

export interface EngineStats {
  rounds: number;
  requests: number;
  batchesSent: number;
  singlesSent: number;
  updatesSent: number;
  /** Events that landed with a 2xx in this run. */
  eventsLanded: number;
  /** `held`: read-backs that could not prove a missing key absent (the writes stay uncertain, never resent). */
  settled: { found: number; absent: number; duplicates: number; unreadable: number; held: number };
  rejected: number;
  /** Batches refused with a 4xx whose customers were re-sent one event at a time. */
  isolatedBatches: number;
  /** Half-applied sets (a debit refused after its additions landed) completed by sending the debit once more. */
  completions: number;
  /** Customers left above target because Rivo refused the completing debit as well (held, with a problem row). */
  overTarget: number;
  duplicates: DuplicateFinding[];
  /** Customers whose budget ran out this run, with the last error. */
  exhausted: { customerKey: string; lastError: string }[];
  aborted: boolean;
  /** The scope's counts as the run finished, when its last progress report counted them (else the summary counts). */
  finalCounts?: ScopeCounts;
}

export class LoadEngine {
  readonly stats: EngineStats = {
    rounds: 0,
    requests: 0,
    batchesSent: 0,
    singlesSent: 0,
    updatesSent: 0,
    eventsLanded: 0,
    settled: { found: 0, absent: 0, duplicates: 0, unreadable: 0, held: 0 },
    rejected: 0,
    isolatedBatches: 0,
    completions: 0,
    overTarget: 0,
    duplicates: [],
    exhausted: [],
    aborted: false,
  };
  private readonly budget: RetryBudget;
  /** Customers of a batch refused with a 4xx: from now on one event per request, so the bad one is isolated. */
  private readonly singleOnly = new Set<string>();
  private readonly reportedDuplicates = new Set<string>();
  private readonly profile: RivoProfile;
  private readonly pool: Pool;
  private readonly sender: Sender;
  private readonly meter: ProgressMeter;
  private round = 0;
  /** Group commit while the engine runs (`ledger/durable.ts`); none outside `run` / `settleCustomers`. */
  private commits: GroupCommit | null = null;
  private journal: SentJournal | null = null;
  /** The DB's file: the sent journals live beside it (none for a DB without one). */
  private readonly file: string | null;
  /** Which uncertain writes provably never left a stopped run (file DBs only). */
  private readonly neverLeft: ((requestId: string | null) => boolean) | undefined;

  constructor(private readonly o: EngineOptions) {
    if (o.batchSize < 1 || o.batchSize > 10) throw new Error(`batchSize must be 1..10, got ${o.batchSize}`);
    this.profile = o.profile ?? UNMEASURED_PROFILE;
    this.budget = new RetryBudget(o.maxAttempts);
    this.pool = new Pool(pipeline(o.concurrency), o.signal);
    this.meter = new ProgressMeter({
      db: o.db,
      rivo: o.rivo,
      scope: o.scope,
      perRequest: o.sendMode === 'batch' ? o.batchSize : 1,
      rps: o.rps,
      everyMs: o.progressEveryMs,
      onProgress: o.onProgress,
    });
    this.sender = new Sender({
      db: o.db,
      rivo: o.rivo,
      scope: o.scope,
      profile: this.profile,
      batchSize: o.batchSize,
      stats: this.stats,
      stopped: () => this.pool.stopped(),
      tick: () => this.commits?.join(),
      intentsOnDisk: async () => {
        await this.commits?.sync();
      },
      fail: (customerKey, error) => this.fail(customerKey, error),
      isolate: (customerKey) => this.singleOnly.add(customerKey),
      left: (requestId) => this.journal?.left(requestId),
      log: o.log,
    });
    this.file = dbFile(o.db);
    this.neverLeft = this.file ? journalReader(this.file).neverLeft : undefined;
  }

  /** Rounds of settle-then-send until nothing is left that this run may do. Throws only what must stop the run. */
  async run(): Promise<EngineStats> {
    return this.withJournal(() => this.withGroupCommit(() => this.rounds()));
  }

  /** This run's sent journal (`sent-journal.ts`), open while it may send; journals nothing unsettled needs go after. */
  private async withJournal<T>(fn: () => Promise<T>): Promise<T> {
    const path = this.file;
    if (!path || this.journal) return fn();
    this.journal = openSentJournal(path, this.sender.journalRunId);
    try {
      return await fn();
    } finally {
      this.journal.close();
      this.journal = null;
      removeSettledJournals(path, (runId) => unsettledOfRun(this.o.db, runId));
    }
  }

  private async rounds(): Promise<EngineStats> {
    this.progress('start', true);
    let failedRounds = 0;
    while (!this.pool.stopped()) {
      this.round++;
      this.stats.rounds = this.round;
      const failuresBefore = this.budget.charged;
      const landedBefore = this.stats.eventsLanded;
      // Settling starts first (it picks the customers uncertain now), sending runs meanwhile on the others.
      const [settled, units] = await Promise.all([this.settlePhase(), this.sendPass()]);
      if (this.pool.stopped()) break;
      const next = afterRound(
        {
          units,
          settled,
          leftToSettle: () => this.toSettle().length,
          failed: this.budget.charged > failuresBefore,
          progressed: this.stats.eventsLanded > landedBefore || settled > 0,
        },
        failedRounds,
        this.o.roundPause,
      );
      if (next.stop) break;
      failedRounds = next.failedRounds;
      await this.sleep(next.pauseMs);
    }
    return this.finish();
  }

  /**
   * Settles the given customers' uncertain writes now (what is not found at once is read again after `settleDelayMs`): rollback uses it before
   * planning. Returns the customers still unsettled.
   */
  async settleCustomers(customerKeys: string[]): Promise<string[]> {
    return this.withGroupCommit(() => this.settleNow(customerKeys));
  }

  private async withGroupCommit<T>(fn: () => Promise<T>): Promise<T> {
    if (this.commits) return fn();
    this.commits = groupCommit(this.o.db);
    try {
      return await fn();
    } finally {
      this.commits.restore();
      this.commits = null;
    }
  }

  private async settleNow(customerKeys: string[]): Promise<string[]> {
    await this.settleTwice(customerKeys.filter((k) => this.uncertain(k)));
    if (this.pool.error) throw this.pool.error;
    return customerKeys.filter((k) => this.uncertain(k));
  }

  /**
   * Reads these customers back at once and settles what is found (a key found is proof whenever it is read); only
   * the customers with writes not found wait `settleDelayMs` (once for all: a slow server may still be applying
   * them) and are read again, and only that second read may conclude absent or held (`policy/settle-rule.ts`).
   */
  private async settleTwice(keys: string[]): Promise<void> {
    if (!keys.length) return;
    await this.pool.each(keys, (k) => this.settleCustomer(k, 'early'));
    const waiting = keys.filter((k) => this.uncertain(k) && !this.budget.exhausted(k));
    if (!waiting.length || this.pool.stopped()) return;
    await this.sleep(this.o.settleDelayMs);
    if (this.pool.stopped()) return;
    await this.pool.each(waiting, (k) => this.settleCustomer(k, 'after-delay'));
  }

  private uncertain(customerKey: string): boolean {
    return uncertainEventsOf(this.o.db, customerKey).length > 0;
  }

  private finish(): EngineStats {
    this.stats.requests = this.meter.requests();
    this.stats.aborted = this.o.signal?.aborted ?? false;
    this.stats.exhausted = this.budget.exhaustedList();
    this.progress('done', true);
    this.stats.finalCounts = this.meter.takeExactCounts() ?? undefined;
    if (this.pool.error) throw this.pool.error;
    return this.stats;
  }

  private toSettle(): string[] {
    return uncertainCustomers(this.o.db, this.o.scope.maxSeq).filter((k) => !this.budget.exhausted(k));
  }

  // ---- settling -------------------------------------------------------------------------------------------------

  private async settlePhase(): Promise<number> {
    const keys = this.toSettle();
    if (!keys.length) return 0;
    this.o.log?.(`settling ${keys.length} customer(s) with uncertain writes by reading Rivo back`);
    this.progress('settle', true);
    await this.settleTwice(keys);
    return keys.length;
  }

  /** Reads the customer back and decides its uncertain writes (`settle.ts`); then checks for a half-applied set. */
  private async settleCustomer(customerKey: string, moment: ReadBackMoment): Promise<void> {
    const r = await settleCustomer({ db: this.o.db, rivo: this.o.rivo, profile: this.profile, neverLeft: this.neverLeft }, customerKey, moment);
    this.commits?.join();
    this.stats.settled.found += r.found;
    this.stats.settled.absent += r.absent;
    for (const d of r.duplicates) {
      const id = `${d.key}:${d.rivoEventIds.join(',')}`;
      if (this.reportedDuplicates.has(id)) continue;
      this.reportedDuplicates.add(id);
      this.stats.settled.duplicates++;
      this.stats.duplicates.push({ customerKey, ...d });
      this.o.log?.(`DUPLICATE: event ${d.key} of customer ${customerKey} is in Rivo ${d.rivoEventIds.length} times (ids ${d.rivoEventIds.join(', ')})`);
    }
    if (r.held) {
      this.stats.settled.held++;
      this.o.log?.(`customer ${customerKey}: uncertain writes held, not resent (${r.held})`);
      this.fail(customerKey, `held: ${r.held}`);
    }
    if (r.unreadable) {
      this.stats.settled.unreadable++;
      this.fail(customerKey, r.unreadable);
    }
    this.sender.checkHalves(customerKey);
  }

  // ---- sending --------------------------------------------------------------------------------------------------

  /**
   * One pass over the sendable customers, streamed: the pool takes units from a queue that is refilled from the
   * ledger a chunk of customers at a time, so no slot waits for the slowest unit of a chunk. A unit whose points
   * landed is followed by those customers' tier and birthday updates (never while their points are open).
   */
  private async sendPass(): Promise<number> {
    const chunk = this.o.chunkCustomers ?? 500;
    let after = 0;
    let exhausted = false;
    const queue: Unit[] = [];
    let head = 0;
    const next = (): Unit | undefined => {
      while (head >= queue.length && !exhausted && !this.pool.stopped()) {
        queue.length = 0;
        head = 0;
        const customers = sendableCustomers(this.o.db, this.o.scope, after, chunk);
        if (!customers.length) {
          exhausted = true;
          break;
        }
        after = customers[customers.length - 1]!.seq;
        queue.push(...this.buildUnits(customers.filter((c) => !this.budget.exhausted(c.key)).map((c) => c.key)));
      }
      return head < queue.length ? queue[head++] : undefined;
    };
    return this.pool.drain(next, async (unit) => {
      const landed = await this.sender.run(unit);
      this.progress('send');
      return landed.map((key) => this.updatesUnitOf(key, workOf(unit, key)?.followUps)).filter((u) => u !== undefined);
    });
  }

  /** Units for these customers from their planned events (`policy/pack.ts`). */
  private buildUnits(customerKeys: string[]): Unit[] {
    const { db, scope } = this.o;
    return packUnits(
      customerKeys.map((key) => ({ key, planned: plannedEvents(db, scope, key) })),
      { sendMode: this.o.sendMode, batchSize: this.o.batchSize, negativeBelowZero: this.profile.negativeBelowZero, singleOnly: this.singleOnly },
      (key) => pointsSettledDone(db, key, scope),
    );
  }

  /**
   * The tier and birthday updates of a customer whose points just landed, when it may be sent them now. Those carried
   * from the unit (`followUps`) are sent when the ledger shows they are all that is open; otherwise it is read again.
   */
  private updatesUnitOf(key: string, carried?: EventRow[]): Unit | undefined {
    const { db, scope } = this.o;
    if (this.budget.exhausted(key)) return undefined;
    if (carried?.length && onlyPlanned(db, scope, key, carried.map((e) => e.key))) return { kind: 'updates', customer: { key, events: carried } };
    if (!isSendable(db, scope, key) || !pointsSettledDone(db, key, scope)) return undefined;
    const updates = updatesOf(plannedEvents(db, scope, key));
    return updates.length ? { kind: 'updates', customer: { key, events: updates } } : undefined;
  }

  /** Charges a failure to the customer's budget; says so once when the budget runs out. */
  private fail(customerKey: string, error: string): void {
    const spent = this.budget.charge(customerKey, error);
    if (spent !== null) this.o.log?.(`customer ${customerKey} failed ${spent} times in this run; left pending (last error: ${error.slice(0, 200)})`);
  }

  // ---- plumbing -------------------------------------------------------------------------------------------------

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.pool.stopped()) return Promise.resolve();
    const signal = this.o.signal;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private progress(phase: LoadProgress['phase'], force = false): void {
    this.meter.report(phase, this.round, force);
  }
}

/** The DB's file, or null for a DB with none (in memory, temporary): no journal there. */
function dbFile(db: Db): string | null {
  return !db.memory && db.name && db.name !== ':memory:' ? db.name : null;
}

function workOf(unit: Unit, key: string): CustomerWork | undefined {
  return unit.kind === 'batch' ? unit.customers.find((c) => c.key === key) : unit.customer.key === key ? unit.customer : undefined;
}

/**
 * Units worked on at once: twice the requests allowed in flight (`concurrency`, which the Rivo client's gate
 * enforces). The extra ones have their intents flushed to disk and wait in the gate, so the flush is not on every
 * request's critical path. After a crash they are settled by read-back like any write in flight.
 */
export function pipeline(concurrency: number): number {
  return Math.max(1, concurrency) * 2;
}
