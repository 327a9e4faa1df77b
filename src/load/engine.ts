import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { Db } from '../db/open.js';
import { AuthenticationError, HttpError, InvalidRequestError, NotFoundError } from '../http/errors.js';
import { backoffDelay } from '../http/retry.js';
import { groupCommit, type GroupCommit } from '../ledger/durable.js';
import { markAbsent, markDone, markInFlight, markRejected, markUncertain } from '../ledger/events.js';
import type { EventRow } from '../ledger/types.js';
import type { RivoApi, RivoEvent } from '../rivo/api.js';
import type { BatchItemOutcome } from '../rivo/batch-answer.js';
import { UNMEASURED_PROFILE, type RivoProfile } from '../rivo/profile.js';
import { isDebit, resolveHalfApplied } from './halves.js';
import { toOutgoing } from './outgoing.js';
import { settleCustomer } from './settle.js';
import {
  isSendable,
  plannedEvents,
  pointsSettledDone,
  scopeCounts,
  sendableCustomers,
  uncertainCustomers,
  uncertainEventsOf,
  type Scope,
} from './queries.js';

/**
 * The machinery `load` and `rollback` share: it sends what the ledger says is planned and settles what the ledger
 * says is uncertain, exactly once, in rounds.
 *
 * One round = settle (wait `settleDelayMs` once, then read back every customer with an uncertain write) and, at the
 * same time, one pass over the sendable customers: a customer with an uncertain write is not sendable, so the
 * settle delay is spent sending everyone else rather than waiting. A customer's tier and birthday updates follow its
 * points as soon as they land, in the same pass. Rules that make it exactly once:
 *  - the intent (`markInFlight`) is committed, and flushed to disk, before a request leaves; the outcome is committed
 *    after it answers. Flushes are shared by every intent committed meanwhile (`ledger/durable.ts`);
 *  - a write whose outcome is unknown (`err.uncertain`) is never resent before read-back proved it absent;
 *  - a customer is never in two requests at once: all its planned points events go in one request (or, one by
 *    one, inside one task), so a read-back never races a write of the same customer.
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

export interface LoadProgress {
  phase: 'start' | 'settle' | 'send' | 'done';
  round: number;
  eventsDone: number;
  eventsTotal: number;
  eventsUncertain: number;
  eventsRejected: number;
  customersDone: number;
  customersTotal: number;
  /** Rivo requests this run has sent. */
  requests: number;
  /** Requests per second so far in this run. */
  rate: number;
  /** Seconds left at the configured Rivo budget (rps), null when nothing is left. */
  etaSeconds: number | null;
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
}

interface CustomerWork {
  key: string;
  events: EventRow[];
}

type Unit = { kind: 'batch'; customers: CustomerWork[] } | { kind: 'single'; customer: CustomerWork } | { kind: 'updates'; customer: CustomerWork };

/** 4xx other than 408/429: the server understood and refused. On a batch, which item was refused is unknown. */
const isRefusal = (err: HttpError) => err instanceof InvalidRequestError || err instanceof NotFoundError;

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
  private readonly failures = new Map<string, number>();
  private readonly lastErrors = new Map<string, string>();
  private readonly exhausted = new Set<string>();
  /** Customers of a batch refused with a 4xx: from now on one event per request, so the bad one is isolated. */
  private readonly singleOnly = new Set<string>();
  private readonly reportedDuplicates = new Set<string>();
  private readonly profile: RivoProfile;
  private failureCount = 0;
  private fatal: unknown = null;
  private requestSeq = 0;
  private readonly runId = randomUUID().slice(0, 8);
  private readonly startedAt = Date.now();
  private readonly startRequests: number;
  private lastProgressAt = 0;
  private progressCostMs = 0;
  private round = 0;
  private readonly limit: ReturnType<typeof pLimit>;
  /** Group commit while the engine runs (`ledger/durable.ts`); none outside `run` / `settleCustomers`. */
  private commits: GroupCommit | null = null;

  constructor(private readonly o: EngineOptions) {
    if (o.batchSize < 1 || o.batchSize > 10) throw new Error(`batchSize must be 1..10, got ${o.batchSize}`);
    this.startRequests = o.rivo.requestCount;
    this.profile = o.profile ?? UNMEASURED_PROFILE;
    this.limit = pLimit(this.pipeline());
  }

  /** Rounds of settle-then-send until nothing is left that this run may do. Throws only what must stop the run. */
  async run(): Promise<EngineStats> {
    return this.withGroupCommit(() => this.rounds());
  }

  private async rounds(): Promise<EngineStats> {
    this.progress('start', true);
    let failedRounds = 0;
    while (!this.stopped()) {
      this.round++;
      this.stats.rounds = this.round;
      const failuresBefore = this.failureCount;
      const landedBefore = this.stats.eventsLanded;
      // Settling starts first (it picks the customers uncertain now), sending runs meanwhile on the others.
      const [settled, units] = await Promise.all([this.settlePhase(), this.sendPass()]);
      if (this.stopped()) break;
      const failed = this.failureCount > failuresBefore;
      const progressed = this.stats.eventsLanded > landedBefore || settled > 0;
      // Customers settled in this round may have been planned again after the pass went by them: one more round.
      if (units === 0 && settled === 0 && this.toSettle().length === 0) break;
      // Defensive: a round that neither sent nor settled anything cannot make the next one different.
      if (units === 0 && settled === 0 && !failed) break;
      // Back off only while rounds stop getting anywhere: a flaky Rivo that still takes most writes is met with a
      // short pause, not one that doubles every round.
      if (failed && !progressed) await this.sleep(backoffDelay(failedRounds++, { maxRetries: 0, ...this.o.roundPause }));
      else {
        failedRounds = 0;
        if (failed) await this.sleep(this.o.roundPause.baseDelayMs);
      }
    }
    return this.finish();
  }

  /**
   * Settles the given customers' uncertain writes now (waiting `settleDelayMs` once first): rollback uses it before
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

  /**
   * Units worked on at once: twice the requests allowed in flight (`concurrency`, which the Rivo client's gate
   * enforces). The extra ones have their intents flushed to disk and wait in the gate, so the flush is not on every
   * request's critical path. After a crash they are settled by read-back like any write in flight.
   */
  private pipeline(): number {
    return Math.max(1, this.o.concurrency) * 2;
  }

  /** The intents written so far are committed and on disk: only then may a request leave. */
  private async intentsOnDisk(): Promise<void> {
    await this.commits?.sync();
  }

  /** The ledger writes that follow (until this tick ends) share the tick's one transaction. */
  private tick(): void {
    this.commits?.join();
  }

  private async settleNow(customerKeys: string[]): Promise<string[]> {
    const keys = customerKeys.filter((k) => uncertainEventsOf(this.o.db, k).length > 0);
    if (keys.length) {
      await this.sleep(this.o.settleDelayMs);
      if (!this.stopped()) await this.forEach(keys, (k) => this.settleCustomer(k));
    }
    if (this.fatal) throw this.fatal;
    return keys.filter((k) => uncertainEventsOf(this.o.db, k).length > 0);
  }

  private finish(): EngineStats {
    this.stats.requests = this.o.rivo.requestCount - this.startRequests;
    this.stats.aborted = this.o.signal?.aborted ?? false;
    this.stats.exhausted = [...this.exhausted].map((k) => ({ customerKey: k, lastError: this.lastErrors.get(k) ?? 'unknown' }));
    this.progress('done', true);
    if (this.fatal) throw this.fatal;
    return this.stats;
  }

  private stopped(): boolean {
    return (this.o.signal?.aborted ?? false) || this.fatal !== null;
  }

  private toSettle(): string[] {
    return uncertainCustomers(this.o.db, this.o.scope.maxSeq).filter((k) => !this.exhausted.has(k));
  }

  // ---- settling -------------------------------------------------------------------------------------------------

  private async settlePhase(): Promise<number> {
    const keys = this.toSettle();
    if (!keys.length) return 0;
    this.o.log?.(`settling ${keys.length} customer(s) with uncertain writes by reading Rivo back`);
    // Once per round, not per customer: a slow server may still be applying what it did not answer.
    await this.sleep(this.o.settleDelayMs);
    if (this.stopped()) return 0;
    this.progress('settle', true);
    await this.forEach(keys, (k) => this.settleCustomer(k));
    return keys.length;
  }

  /** Reads the customer back and decides its uncertain writes (`settle.ts`); then checks for a half-applied set. */
  private async settleCustomer(customerKey: string): Promise<void> {
    const r = await settleCustomer({ db: this.o.db, rivo: this.o.rivo, profile: this.profile }, customerKey);
    this.tick();
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
    this.checkHalves(customerKey);
  }

  /** A half-applied set of this customer is completed once, then held above target (`halves.ts`). */
  private checkHalves(customerKey: string): void {
    const r = resolveHalfApplied(this.o.db, this.o.scope, customerKey);
    if (r === 'completing') this.stats.completions++;
    else if (r?.startsWith('above')) this.stats.overTarget++;
    if (r === 'completing') this.o.log?.(`customer ${customerKey}: a debit was refused after its additions landed; it is sent once more to complete the set`);
    else if (r) this.o.log?.(`customer ${customerKey}: ${r}; Rivo refused the completing debit again; held, with a problem row`);
  }

  // ---- sending --------------------------------------------------------------------------------------------------

  /**
   * One pass over the sendable customers, streamed: `concurrency` workers take units from a queue that is refilled
   * from the ledger a chunk of customers at a time, so no worker waits for the slowest unit of a chunk. A worker whose
   * points unit landed sends those customers' tier and birthday updates next (never while their points are open).
   */
  private async sendPass(): Promise<number> {
    const chunk = this.o.chunkCustomers ?? 500;
    let after = 0;
    let exhausted = false;
    let units = 0;
    const queue: Unit[] = [];
    let head = 0;
    const next = (): Unit | undefined => {
      while (head >= queue.length && !exhausted && !this.stopped()) {
        queue.length = 0;
        head = 0;
        const customers = sendableCustomers(this.o.db, this.o.scope, after, chunk);
        if (!customers.length) {
          exhausted = true;
          break;
        }
        after = customers[customers.length - 1]!.seq;
        queue.push(...this.buildUnits(customers.filter((c) => !this.exhausted.has(c.key)).map((c) => c.key)));
      }
      return head < queue.length ? queue[head++] : undefined;
    };
    const worker = async () => {
      const followUps: Unit[] = [];
      for (;;) {
        if (this.stopped()) return;
        const unit = followUps.pop() ?? next();
        if (!unit) return;
        units++;
        await this.limit(async () => {
          if (this.stopped()) return;
          try {
            const landed = await this.runUnit(unit);
            for (const key of landed) {
              const updates = this.updatesUnitOf(key);
              if (updates) followUps.push(updates);
            }
          } catch (err) {
            this.fatal ??= err;
          }
        });
      }
    };
    await Promise.all(Array.from({ length: this.pipeline() }, worker));
    return units;
  }

  /** The tier and birthday updates of a customer whose points just landed, when it may be sent them now. */
  private updatesUnitOf(key: string): Unit | undefined {
    const { db, scope } = this.o;
    if (this.exhausted.has(key) || !isSendable(db, scope, key) || !pointsSettledDone(db, key, scope)) return undefined;
    const updates = plannedEvents(db, scope, key).filter((e) => e.kind !== 'points');
    return updates.length ? { kind: 'updates', customer: { key, events: updates } } : undefined;
  }

  /**
   * Packs customers into requests. Points first: a customer's planned points events all go in one batch (several
   * customers share a batch up to `batchSize` events). Tier and birthday updates only once the customer's points are
   * all in Rivo.
   */
  private buildUnits(customerKeys: string[]): Unit[] {
    const { db, scope, batchSize } = this.o;
    const units: Unit[] = [];
    let pack: CustomerWork[] = [];
    let packed = 0;
    const flush = () => {
      if (pack.length) units.push({ kind: 'batch', customers: pack });
      pack = [];
      packed = 0;
    };
    for (const key of customerKeys) {
      const planned = plannedEvents(db, scope, key);
      const points = this.sendableNow(planned.filter((e) => e.kind === 'points'));
      if (points.length) {
        const work = { key, events: points };
        if (this.o.sendMode === 'single' || this.singleOnly.has(key)) units.push({ kind: 'single', customer: work });
        else if (points.length > batchSize) units.push({ kind: 'batch', customers: [work] }); // sent in consecutive requests
        else {
          if (packed + points.length > batchSize) flush();
          pack.push(work);
          packed += points.length;
        }
        continue;
      }
      const updates = planned.filter((e) => e.kind !== 'points');
      if (updates.length && pointsSettledDone(db, key, scope)) units.push({ kind: 'updates', customer: { key, events: updates } });
    }
    flush();
    return units;
  }

  /**
   * Which of a customer's planned points events may go now. Unless this store is known to accept a debit below zero
   * (`profile.negativeBelowZero`), a batch customer's debits wait until its additions landed: a store that checks
   * each item of a batch against the balance before the batch would refuse the debit while the addition lands.
   * Single mode already sends in order and stops at the first failure.
   */
  private sendableNow(points: EventRow[]): EventRow[] {
    if (this.o.sendMode !== 'batch' || this.profile.negativeBelowZero === true) return points;
    const additions = points.filter((e) => !isDebit(e));
    return additions.length ? additions : points;
  }

  /** Sends one unit; returns the customers whose points it landed in full (their updates may follow). */
  private async runUnit(unit: Unit): Promise<string[]> {
    let landed: string[] = [];
    if (unit.kind === 'batch') landed = (await this.sendBatches(unit.customers)) ? unit.customers.map((c) => c.key) : [];
    else if (unit.kind === 'single') landed = (await this.sendOneByOne(unit.customer)) ? [unit.customer.key] : [];
    else await this.sendUpdates(unit.customer);
    this.progress('send');
    return landed;
  }

  /** True when every event of these customers landed. */
  private async sendBatches(customers: CustomerWork[]): Promise<boolean> {
    const { db, rivo, batchSize } = this.o;
    const events = customers.flatMap((c) => c.events);
    let all = true;
    for (let i = 0; i < events.length; i += batchSize) {
      if (this.stopped()) return false;
      const chunk = events.slice(i, i + batchSize);
      const keys = chunk.map((e) => e.key);
      const body = chunk.map(toOutgoing);
      const owners = [...new Set(chunk.map((e) => e.customer_key))];
      this.tick();
      markInFlight(db, keys, this.requestId('b'));
      this.stats.batchesSent++;
      let answer;
      try {
        await this.intentsOnDisk();
        answer = await rivo.createEventsBatch(body, this.profile);
      } catch (err) {
        this.tick();
        this.writeFailed(err, keys, owners, 'batch');
        return false;
      }
      this.tick();
      if (!this.recordItems(chunk, answer.items)) all = false;
      // A half-applied set needs a refused event; a sendable customer had none, so a batch that landed whole cannot
      // have made one (and the check reads every points event of each owner: worth skipping on the hot path).
      if (!all) for (const c of owners) this.checkHalves(c);
      if (!all) return false;
    }
    return true;
  }

  /**
   * Records a batch answer item by item: applied → done, refused → rejected with Rivo's reason, not applied (an
   * atomic store refused the batch for another item) → planned again, unknown → uncertain, settled by read-back.
   * True when every item was applied.
   */
  private recordItems(chunk: EventRow[], items: BatchItemOutcome[]): boolean {
    const { db } = this.o;
    const done: { key: string; rivoEventId: string | null }[] = [];
    const unknown: EventRow[] = [];
    chunk.forEach((row, i) => {
      const item = items[i] ?? { outcome: 'unknown' as const };
      if (item.outcome === 'applied') done.push({ key: row.key, rivoEventId: item.eventId });
      else if (item.outcome === 'refused') {
        markRejected(db, [row.key], item.reason.slice(0, 600));
        this.stats.rejected++;
      } else if (item.outcome === 'not_applied') markAbsent(db, [row.key], item.reason);
      else unknown.push(row);
    });
    markDone(db, done);
    this.stats.eventsLanded += done.length;
    if (unknown.length) {
      markUncertain(db, unknown.map((r) => r.key), 'the batch answer did not say whether this event was applied');
      for (const c of new Set(unknown.map((r) => r.customer_key))) this.fail(c, 'batch answer without a per-item result');
      this.o.log?.(`${unknown.length} event(s) of a batch have no per-item result in Rivo's answer; they will be settled by read-back`);
    }
    return done.length === chunk.length;
  }

  /** One event per request, in order; the customer stops at its first failure (the rest stay planned). True when all landed. */
  private async sendOneByOne(customer: CustomerWork): Promise<boolean> {
    const { db, rivo } = this.o;
    for (const row of customer.events) {
      if (this.stopped()) return false;
      const body = toOutgoing(row);
      this.tick();
      markInFlight(db, [row.key], this.requestId('s'));
      this.stats.singlesSent++;
      let created: RivoEvent | null;
      try {
        await this.intentsOnDisk();
        created = await rivo.createEvent(body);
      } catch (err) {
        this.tick();
        this.writeFailed(err, [row.key], [customer.key], 'single');
        this.checkHalves(customer.key);
        return false;
      }
      this.tick();
      markDone(db, [{ key: row.key, rivoEventId: created?.id ?? null }]);
      this.stats.eventsLanded++;
    }
    return true;
  }

  private async sendUpdates(customer: CustomerWork): Promise<void> {
    const { db, rivo } = this.o;
    for (const row of customer.events) {
      if (this.stopped()) return;
      if (row.value === null) {
        markRejected(db, [row.key], `the plan holds no ${row.kind} value to send`);
        this.stats.rejected++;
        return;
      }
      this.tick();
      markInFlight(db, [row.key], this.requestId('u'));
      this.stats.updatesSent++;
      try {
        await this.intentsOnDisk();
        if (row.kind === 'tier') await rivo.setVipTier(row.rivo_id, row.value);
        else await rivo.setDob(row.rivo_id, row.value);
      } catch (err) {
        this.tick();
        this.writeFailed(err, [row.key], [customer.key], 'single');
        return;
      }
      this.tick();
      markDone(db, [{ key: row.key }]);
      this.stats.eventsLanded++;
    }
  }

  /**
   * The outcome of a failed write, recorded before anything else happens:
   *  - wrong key: nothing was applied; back to planned, and the run stops (nothing else will work);
   *  - uncertain (timeout, reset, 5xx, a bad 2xx body, any error on a batch): settled by read-back next round; a
   *    batch refused with a 4xx also has its customers sent one event at a time afterwards, isolating the bad one;
   *  - a single write refused (404, 422…): rejected with Rivo's status and body;
   *  - certainly not applied (connection refused, 429 after the safe retries): planned again.
   */
  private writeFailed(err: unknown, keys: string[], customers: string[], mode: 'batch' | 'single'): void {
    const { db } = this.o;
    if (!(err instanceof HttpError)) {
      // Not an answer from Rivo (a bug or a local failure): the request may have left, so settle it next run.
      markUncertain(db, keys, `unexpected error: ${err instanceof Error ? err.message : String(err)}`.slice(0, 600));
      throw err;
    }
    const summary = err.summary();
    if (err instanceof AuthenticationError) {
      markAbsent(db, keys, summary);
      throw err;
    }
    if (err.uncertain) {
      markUncertain(db, keys, summary);
      if (mode === 'batch' && isRefusal(err)) {
        this.stats.isolatedBatches++;
        for (const c of customers) this.singleOnly.add(c);
        this.o.log?.(`a batch of ${keys.length} event(s) was refused (${err.status}); after read-back its customers are sent one event at a time`);
      } else {
        for (const c of customers) this.fail(c, summary);
        this.o.log?.(`${mode === 'batch' ? `a batch of ${keys.length} event(s)` : `event ${keys[0]}`} has an uncertain outcome (${err.message}); it will be settled by read-back`);
      }
      return;
    }
    if (mode === 'single' && isRefusal(err)) {
      markRejected(db, keys, `Rivo ${summary}`);
      this.stats.rejected += keys.length;
      return;
    }
    markAbsent(db, keys, summary);
    for (const c of customers) this.fail(c, summary);
  }

  private fail(customerKey: string, error: string): void {
    this.failureCount++;
    this.lastErrors.set(customerKey, error);
    const n = (this.failures.get(customerKey) ?? 0) + 1;
    this.failures.set(customerKey, n);
    if (n >= this.o.maxAttempts && !this.exhausted.has(customerKey)) {
      this.exhausted.add(customerKey);
      this.o.log?.(`customer ${customerKey} failed ${n} times in this run; left pending (last error: ${error.slice(0, 200)})`);
    }
  }

  private requestId(kind: string): string {
    return `${this.runId}-${kind}${++this.requestSeq}`;
  }

  // ---- plumbing -------------------------------------------------------------------------------------------------

  /** Runs tasks through the one p-limit; the first fatal error stops new tasks, in-flight ones finish and record. */
  private async forEach<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
    await Promise.all(
      items.map((item) =>
        this.limit(async () => {
          if (this.stopped()) return;
          try {
            await fn(item);
          } catch (err) {
            this.fatal ??= err;
          }
        }),
      ),
    );
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped()) return Promise.resolve();
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
    if (!this.o.onProgress) return;
    const now = Date.now();
    // The counts are two aggregate queries over the ledger: on a large one they are spaced so that they never take
    // more than ~2% of the time (the event loop, and with it the rate gate, waits while they run).
    const every = Math.max(this.o.progressEveryMs ?? 2000, this.progressCostMs * 50);
    if (!force && now - this.lastProgressAt < every) return;
    this.lastProgressAt = now;
    const c = scopeCounts(this.o.db, this.o.scope);
    this.progressCostMs = Date.now() - now;
    const requests = this.o.rivo.requestCount - this.startRequests;
    const elapsed = (now - this.startedAt) / 1000;
    const perRequest = this.o.sendMode === 'batch' ? this.o.batchSize : 1;
    const left = Math.ceil((c.pointsPlannedEvents + c.eventsUncertain) / perRequest) + c.updatesPlanned;
    this.o.onProgress({
      phase,
      round: this.round,
      eventsDone: c.eventsDone,
      eventsTotal: c.eventsTotal,
      eventsUncertain: c.eventsUncertain,
      eventsRejected: c.eventsRejected,
      customersDone: c.customersDone,
      customersTotal: c.customersTotal,
      requests,
      rate: elapsed > 0 ? requests / elapsed : 0,
      etaSeconds: left > 0 ? left / this.o.rps : null,
    });
  }
}


