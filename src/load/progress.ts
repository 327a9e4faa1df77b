import type { Db } from '../db/open.js';
import type { RivoApi } from '../rivo/api.js';
import { openCounts, scopeCounts, type Scope, type ScopeCounts } from './queries.js';

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

/**
 * Seconds left at `rps` requests a second: every planned or uncertain points event still needs a request (shared by
 * `perRequest` events in a batch), every planned update one of its own. Null when nothing is left.
 */
export function etaSeconds(c: Pick<ScopeCounts, 'pointsPlannedEvents' | 'eventsUncertain' | 'updatesPlanned'>, perRequest: number, rps: number): number | null {
  const left = Math.ceil((c.pointsPlannedEvents + c.eventsUncertain) / perRequest) + c.updatesPlanned;
  return left > 0 ? left / rps : null;
}

/**
 * The loader's progress callback. A forced report (start, settle, done) counts the whole scope (`scopeCounts`); the
 * reports in between count only what is still open (`openCounts`) against the totals of the last forced one: a load
 * pass plans nothing, so the events and customers in scope stay the same while it runs. Either way the counting is
 * spaced so it never takes more than ~0.5% of the time: the event loop, and with it the rate gate, waits while it runs.
 */
export class ProgressMeter {
  private lastAt = 0;
  private costMs = 0;
  private totals: Pick<ScopeCounts, 'eventsTotal' | 'customersTotal'> | null = null;
  /** The last whole-scope count, until the run's end takes it (`takeExactCounts`). */
  private exact: ScopeCounts | null = null;
  private readonly startedAt = Date.now();
  private readonly startRequests: number;

  constructor(
    private readonly o: {
      db: Db;
      rivo: RivoApi;
      scope: Scope;
      /** Events per request: `batchSize` in batch mode, 1 in single mode. */
      perRequest: number;
      rps: number;
      everyMs?: number;
      onProgress?: (p: LoadProgress) => void;
    },
  ) {
    this.startRequests = o.rivo.requestCount;
  }

  /** Rivo requests this run has sent. */
  requests(): number {
    return this.o.rivo.requestCount - this.startRequests;
  }

  /** Calls back now when `force` or when the spacing allows. */
  report(phase: LoadProgress['phase'], round: number, force = false): void {
    const { onProgress } = this.o;
    if (!onProgress) return;
    const now = Date.now();
    // Given `everyMs` (tests) is the spacing; otherwise 2 s, or more when counting costs more than 0.5 % of that.
    const every = this.o.everyMs ?? Math.max(2000, this.costMs * 200);
    if (!force && now - this.lastAt < every) return;
    this.lastAt = now;
    const c = this.counts(force);
    this.costMs = Date.now() - now;
    const requests = this.requests();
    const elapsed = (now - this.startedAt) / 1000;
    onProgress({
      phase,
      round,
      eventsDone: c.eventsDone,
      eventsTotal: c.eventsTotal,
      eventsUncertain: c.eventsUncertain,
      eventsRejected: c.eventsRejected,
      customersDone: c.customersDone,
      customersTotal: c.customersTotal,
      requests,
      rate: elapsed > 0 ? requests / elapsed : 0,
      etaSeconds: etaSeconds(c, this.o.perRequest, this.o.rps),
    });
  }

  /**
   * The whole scope's counts when the last report counted them, then taken: the caller that finishes the run reuses
   * them for its summary instead of counting again (at 20,000 customers ~0.4 s). Null when nothing was counted since.
   */
  takeExactCounts(): ScopeCounts | null {
    const c = this.exact;
    this.exact = null;
    return c;
  }

  private counts(exact: boolean): ScopeCounts {
    this.exact = null;
    const open = exact || !this.totals ? null : openCounts(this.o.db, this.o.scope);
    if (!open || !this.totals) {
      const c = scopeCounts(this.o.db, this.o.scope);
      this.totals = { eventsTotal: c.eventsTotal, customersTotal: c.customersTotal };
      this.exact = c;
      return c;
    }
    const { eventsTotal, customersTotal } = this.totals;
    return {
      eventsTotal,
      eventsDone: Math.max(0, eventsTotal - open.planned - open.inFlight - open.uncertain - open.rejected),
      eventsPlanned: open.planned,
      eventsUncertain: open.inFlight + open.uncertain,
      eventsRejected: open.rejected,
      pointsPlannedEvents: open.pointsPlanned,
      updatesPlanned: open.planned - open.pointsPlanned,
      customersTotal,
      customersDone: Math.max(0, customersTotal - open.customersOpen),
    };
  }
}
