import { randomUUID } from 'node:crypto';
import type { Db } from '../db/open.js';
import { markAbsent, markDone, markInFlight, markRejected, markUncertain } from '../ledger/events.js';
import type { EventRow } from '../ledger/types.js';
import type { RivoApi, RivoEvent, WriteOptions } from '../rivo/api.js';
import type { BatchItemOutcome } from '../rivo/batch-answer.js';
import type { RivoProfile } from '../rivo/profile.js';
import type { EngineStats } from './engine.js';
import { resolveHalfApplied } from './halves.js';
import { toOutgoing } from './outgoing.js';
import { classifyWriteFailure, type WriteMode } from './policy/classify.js';
import type { CustomerWork, Unit } from './policy/pack.js';
import type { Scope } from './queries.js';

/**
 * Puts one unit's events on the wire and records every answer in the ledger, exactly once:
 *  - the intent (`markInFlight`) is committed, and flushed to disk, before a request leaves; the outcome is committed
 *    after it answers. Flushes are shared by every intent committed meanwhile (`ledger/durable.ts`);
 *  - what a failure means is decided by `policy/classify.ts`; a write whose outcome is unknown is left uncertain for
 *    the runner's next settle phase, never resent here.
 */

export interface SendContext {
  db: Db;
  rivo: RivoApi;
  scope: Scope;
  profile: RivoProfile;
  batchSize: number;
  /** Counters of the run, shared with the runner. */
  stats: EngineStats;
  stopped(): boolean;
  /** The ledger writes that follow (until this tick ends) share the tick's one transaction. */
  tick(): void;
  /** The intents written so far are committed and on disk: only then may a request leave. */
  intentsOnDisk(): Promise<void>;
  /** A failure charged to the customer's retry budget. */
  fail(customerKey: string, error: string): void;
  /** A customer whose batch was refused as a whole: sent one event per request from now on. */
  isolate(customerKey: string): void;
  /** A write request is leaving (`sent-journal.ts`): called after the rate gate, before the bytes go. */
  left?(requestId: string): void;
  log?: (line: string) => void;
}

export class Sender {
  private readonly runId = randomUUID().slice(0, 8);
  private requestSeq = 0;

  constructor(private readonly c: SendContext) {}

  /** Sends one unit; returns the customers whose points it landed in full (their updates may follow). */
  async run(unit: Unit): Promise<string[]> {
    if (unit.kind === 'batch') return (await this.sendBatches(unit.customers)) ? unit.customers.map((c) => c.key) : [];
    if (unit.kind === 'single') return (await this.sendOneByOne(unit.customer)) ? [unit.customer.key] : [];
    await this.sendUpdates(unit.customer);
    return [];
  }

  /** A half-applied set of this customer is completed once, then held above target (`halves.ts`). */
  checkHalves(customerKey: string): void {
    const { stats, log } = this.c;
    const r = resolveHalfApplied(this.c.db, this.c.scope, customerKey);
    if (r === 'completing') stats.completions++;
    else if (r?.startsWith('above')) stats.overTarget++;
    if (r === 'completing') log?.(`customer ${customerKey}: a debit was refused after its additions landed; it is sent once more to complete the set`);
    else if (r) log?.(`customer ${customerKey}: ${r}; Rivo refused the completing debit again; held, with a problem row`);
  }

  /** True when every event of these customers landed. */
  private async sendBatches(customers: CustomerWork[]): Promise<boolean> {
    const { db, rivo, batchSize, stats } = this.c;
    const events = customers.flatMap((c) => c.events);
    let all = true;
    for (let i = 0; i < events.length; i += batchSize) {
      if (this.c.stopped()) return false;
      const chunk = events.slice(i, i + batchSize);
      const keys = chunk.map((e) => e.key);
      const body = chunk.map(toOutgoing);
      const owners = [...new Set(chunk.map((e) => e.customer_key))];
      this.c.tick();
      const requestId = this.requestId('b');
      markInFlight(db, keys, requestId);
      stats.batchesSent++;
      let answer;
      try {
        await this.c.intentsOnDisk();
        answer = await rivo.createEventsBatch(body, this.c.profile, this.leaving(requestId));
      } catch (err) {
        this.c.tick();
        this.writeFailed(err, keys, owners, 'batch');
        return false;
      }
      this.c.tick();
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
    const { db, stats } = this.c;
    const done: { key: string; rivoEventId: string | null; customerKey: string }[] = [];
    const unknown: EventRow[] = [];
    chunk.forEach((row, i) => {
      const item = items[i] ?? { outcome: 'unknown' as const };
      if (item.outcome === 'applied') done.push({ key: row.key, rivoEventId: item.eventId, customerKey: row.customer_key });
      else if (item.outcome === 'refused') {
        markRejected(db, [row.key], item.reason.slice(0, 600));
        stats.rejected++;
      } else if (item.outcome === 'not_applied') markAbsent(db, [row.key], item.reason);
      else unknown.push(row);
    });
    markDone(db, done);
    stats.eventsLanded += done.length;
    if (unknown.length) {
      markUncertain(db, unknown.map((r) => r.key), 'the batch answer did not say whether this event was applied');
      for (const c of new Set(unknown.map((r) => r.customer_key))) this.c.fail(c, 'batch answer without a per-item result');
      this.c.log?.(`${unknown.length} event(s) of a batch have no per-item result in Rivo's answer; they will be settled by read-back`);
    }
    return done.length === chunk.length;
  }

  /** One event per request, in order; the customer stops at its first failure (the rest stay planned). True when all landed. */
  private async sendOneByOne(customer: CustomerWork): Promise<boolean> {
    const { db, rivo, stats } = this.c;
    for (const row of customer.events) {
      if (this.c.stopped()) return false;
      const body = toOutgoing(row);
      this.c.tick();
      const requestId = this.requestId('s');
      markInFlight(db, [row.key], requestId);
      stats.singlesSent++;
      let created: RivoEvent | null;
      try {
        await this.c.intentsOnDisk();
        created = await rivo.createEvent(body, this.leaving(requestId));
      } catch (err) {
        this.c.tick();
        this.writeFailed(err, [row.key], [customer.key], 'single');
        this.checkHalves(customer.key);
        return false;
      }
      this.c.tick();
      markDone(db, [{ key: row.key, rivoEventId: created?.id ?? null, customerKey: row.customer_key }]);
      stats.eventsLanded++;
    }
    return true;
  }

  private async sendUpdates(customer: CustomerWork): Promise<void> {
    const { db, rivo, stats } = this.c;
    for (const row of customer.events) {
      if (this.c.stopped()) return;
      if (row.value === null) {
        markRejected(db, [row.key], `the plan holds no ${row.kind} value to send`);
        stats.rejected++;
        return;
      }
      this.c.tick();
      const requestId = this.requestId('u');
      markInFlight(db, [row.key], requestId);
      stats.updatesSent++;
      try {
        await this.c.intentsOnDisk();
        if (row.kind === 'tier') await rivo.setVipTier(row.rivo_id, row.value, this.leaving(requestId));
        else await rivo.setDob(row.rivo_id, row.value, this.leaving(requestId));
      } catch (err) {
        this.c.tick();
        this.writeFailed(err, [row.key], [customer.key], 'single');
        return;
      }
      this.c.tick();
      markDone(db, [{ key: row.key, customerKey: row.customer_key }]);
      stats.eventsLanded++;
    }
  }

  /** Records a failed write as `policy/classify.ts` reads it, before anything else happens; rethrows what stops the run. */
  private writeFailed(err: unknown, keys: string[], customers: string[], mode: WriteMode): void {
    const { db, stats, log } = this.c;
    const f = classifyWriteFailure(err, mode);
    if (f.ledger === 'uncertain') markUncertain(db, keys, f.reason);
    else if (f.ledger === 'rejected') markRejected(db, keys, f.reason);
    else markAbsent(db, keys, f.reason);
    if (f.fatal) throw err;
    if (f.ledger === 'rejected') stats.rejected += keys.length;
    if (f.isolate) {
      stats.isolatedBatches++;
      for (const c of customers) this.c.isolate(c);
      log?.(`a batch of ${keys.length} event(s) was refused (${(err as { status?: number }).status}); after read-back its customers are sent one event at a time`);
    }
    if (f.charge) for (const c of customers) this.c.fail(c, f.reason);
    if (f.ledger === 'uncertain' && !f.isolate)
      log?.(`${mode === 'batch' ? `a batch of ${keys.length} event(s)` : `event ${keys[0]}`} has an uncertain outcome (${(err as Error).message}); it will be settled by read-back`);
  }

  /** The run's id: the prefix of every request id it writes with an intent (`sent-journal.ts` files by it). */
  get journalRunId(): string {
    return this.runId;
  }

  private requestId(kind: string): string {
    return `${this.runId}-${kind}${++this.requestSeq}`;
  }

  private leaving(requestId: string): WriteOptions {
    const left = this.c.left;
    return left ? { onLeave: () => left(requestId) } : {};
  }
}
