import { PeakRate } from './rate-window.js';
import type { RivoEventRecord } from './types.js';

export interface YotpoStats {
  /** Every request that arrived, 429s included. */
  requests: number;
  /** Arrivals per path below the base URL, without the query (e.g. `/customers/recent`). */
  byPath: Record<string, number>;
  status429: number;
  /** Most arrivals in any sliding 60 s window: what a benchmark compares with the client's budget. */
  maxInAnyWindow: number;
}

export interface RivoStats {
  requests: number;
  /** GETs that reached a handler. */
  reads: number;
  /** POST/PUT that reached a handler (a lost answer still counts: the write was applied). */
  writes: number;
  eventsCreated: number;
  status429: number;
  /** Events that emailed the customer (skip_email not true, or a batch endpoint ignoring it). */
  emailsSent: number;
  /** The same, per Rivo customer id, so a test can name who was emailed. */
  emailsByCustomer: Record<string, number>;
  batchesReceived: number;
  /** Most arrivals in any sliding 1 s window. */
  maxInAnySecond: number;
}

export interface SandboxStats {
  yotpo: YotpoStats;
  rivo: RivoStats;
}

/** Counters the servers and the Rivo ledger feed; `snapshot` is what `Sandbox.stats()` returns. */
export class StatsCollector {
  private yotpo = freshYotpo();
  private rivo = freshRivo();
  private readonly yotpoPeak = new PeakRate(60_000);
  private readonly rivoPeak = new PeakRate(1_000);

  yotpoArrival(path: string, now: number): void {
    this.yotpo.requests++;
    this.yotpo.byPath[path] = (this.yotpo.byPath[path] ?? 0) + 1;
    this.yotpoPeak.record(now);
  }

  rivoArrival(now: number): void {
    this.rivo.requests++;
    this.rivoPeak.record(now);
  }

  answered(side: 'yotpo' | 'rivo', status: number): void {
    if (status === 429) this[side].status429++;
  }

  rivoHandled(method: string, batch: boolean): void {
    if (method === 'GET') this.rivo.reads++;
    else if (method === 'POST' || method === 'PUT') this.rivo.writes++;
    if (batch) this.rivo.batchesReceived++;
  }

  eventCreated(event: RivoEventRecord): void {
    this.rivo.eventsCreated++;
    if (event.emailed) {
      this.rivo.emailsSent++;
      const id = String(event.customer_id);
      this.rivo.emailsByCustomer[id] = (this.rivo.emailsByCustomer[id] ?? 0) + 1;
    }
  }

  snapshot(): SandboxStats {
    return {
      yotpo: { ...this.yotpo, byPath: { ...this.yotpo.byPath }, maxInAnyWindow: this.yotpoPeak.peak },
      rivo: { ...this.rivo, emailsByCustomer: { ...this.rivo.emailsByCustomer }, maxInAnySecond: this.rivoPeak.peak },
    };
  }

  reset(): void {
    this.yotpo = freshYotpo();
    this.rivo = freshRivo();
    this.yotpoPeak.reset();
    this.rivoPeak.reset();
  }
}

function freshYotpo(): YotpoStats {
  return { requests: 0, byPath: {}, status429: 0, maxInAnyWindow: 0 };
}

function freshRivo(): RivoStats {
  return { requests: 0, reads: 0, writes: 0, eventsCreated: 0, status429: 0, emailsSent: 0, emailsByCustomer: {}, batchesReceived: 0, maxInAnySecond: 0 };
}
