import type { Db } from '../db/open.js';
import { AppError } from '../errors.js';
import { HttpError } from '../http/errors.js';
import {
  markPilotEvent,
  nextPilotGeneration,
  pilotEvent,
  pilotInFlightToUncertain,
  recordPilotIntents,
  uncompensatedPilotEvents,
  unsettledPilotEvents,
  type PilotEventRow,
  type PilotIntent,
} from '../ledger/pilot-events.js';
import { eventKey, findKeyInNote, noteWithKey } from '../mapper/keys.js';
import type { RivoEvent } from '../rivo/api.js';
import { centsToDecimal } from '../rivo/parse.js';
import { readListingAsServed, type ServedListing } from './listing.js';
import type { PilotRivo } from './port.js';

/** Text of every pilot note; the key follows in brackets. */
export const PILOT_NOTE = 'yotpo-to-rivo pilot probe (compensated)';
/** A source Rivo's enum does not have: the batch probe's deliberately invalid item. */
export const INVALID_SOURCE = 'y2r_pilot_invalid_source';

export interface PilotWriterOptions {
  db: Db;
  rivo: PilotRivo;
  migrationName: string;
  migrationId: string;
  /** The Rivo customer id every write goes to. */
  rivoId: string;
  /** Page size for read-backs (the measured cap once known). */
  perPage?: () => number;
}

export interface Amounts {
  points: number;
  creditsCents?: number;
  /** Sent as `expires_at` (the expiry probe); compensations never carry it. */
  expiresAt?: string;
}

export interface WriteOutcome {
  key: string;
  status: 'done' | 'refused' | 'absent';
  /** Status and body of a refusal. */
  error: string | null;
  sentNote: string;
  event: RivoEvent | null;
}

/** The pilot left a write it could not settle: nothing more is sent until a later run reads it back. */
export class PilotUnsettledError extends AppError {}

/**
 * The pilot's writes, exactly once. Every write is a keyed intent in `pilot_events` before it leaves; a write whose
 * answer is lost is read back (never resent); everything that landed is compensated by a keyed write of its own, so
 * the customer's points and credit end where they were. A later run finishes what an interrupted one left.
 */
export class PilotWriter {
  constructor(private readonly o: PilotWriterOptions) {}

  key(generation: number, rivoId = this.o.rivoId): string {
    // A migration id of its own (`…-pilot`) and the `pilot` role: a migration's verify and scans never take these
    // events for one of its own, and `parseKeysFromNote` still recognises them as this tool's.
    return eventKey({
      migrationName: this.o.migrationName,
      migrationId: `${this.o.migrationId}-pilot`,
      customerKey: `pilot:${rivoId}`,
      role: 'pilot',
      generation,
    });
  }

  private item(key: string, a: Amounts, source = 'manual', rivoId = this.o.rivoId): Record<string, unknown> {
    const item: Record<string, unknown> = { customer_identifier: rivoId, source, internal_note: noteWithKey(PILOT_NOTE, key), skip_email: true };
    if (a.points !== 0 || !a.creditsCents) item.points_amount = a.points;
    if (a.creditsCents) item.credits_amount = centsToDecimal(a.creditsCents);
    if (a.expiresAt) item.expires_at = a.expiresAt;
    return item;
  }

  private intent(probe: string, via: 'single' | 'batch', a: Amounts, body: Record<string, unknown>, key: string, generation: number, compensates: string | null): PilotIntent {
    return { key, generation, rivoId: body.customer_identifier as string, probe, via, pointsAmount: a.points, creditsCents: a.creditsCents ?? 0, body, compensates };
  }

  /**
   * One event through `POST /points_events` (documented `skip_email`); `rivoId` for a compensation of another
   * customer's. A write that read-back proved absent never landed, so it is sent again under a new key (at most 3 tries).
   */
  async single(probe: string, a: Amounts, compensates: string | null = null, rivoId = this.o.rivoId): Promise<WriteOutcome> {
    for (let attempt = 1; ; attempt++) {
      const w = await this.singleOnce(probe, a, compensates, rivoId);
      if (w.status !== 'absent' || attempt >= 3) return w;
    }
  }

  private async singleOnce(probe: string, a: Amounts, compensates: string | null, rivoId: string): Promise<WriteOutcome> {
    const generation = nextPilotGeneration(this.o.db);
    const key = this.key(generation, rivoId);
    const body = this.item(key, a, 'manual', rivoId);
    recordPilotIntents(this.o.db, [this.intent(probe, 'single', a, body, key, generation, compensates)]);
    const sentNote = body.internal_note as string;
    try {
      const event = await this.o.rivo.createEvent(body as never);
      markPilotEvent(this.o.db, key, 'done', { rivoEventId: event?.id ?? null });
      return { key, status: 'done', error: null, sentNote, event };
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      if (!err.uncertain) {
        markPilotEvent(this.o.db, key, 'refused', { error: err.summary() });
        return { key, status: 'refused', error: err.summary(), sentNote, event: null };
      }
      markPilotEvent(this.o.db, key, 'uncertain', { error: err.summary() });
      const [settled] = await this.settle([key]);
      return { key, status: settled!.status as WriteOutcome['status'], error: err.summary(), sentNote, event: settled!.event };
    }
  }

  /**
   * One `/points_events/batch` request. Every item is settled by reading back, whatever the answer: what a batch
   * answer means is the thing being measured. `invalid` items carry a source Rivo does not accept (and a key, so
   * that if Rivo took one after all, it is found and compensated like the rest).
   */
  async batch(probe: string, items: (Amounts & { invalid?: boolean })[]): Promise<{ keys: string[]; answer: { status: number; body: unknown } | { error: string }; outcomes: WriteOutcome[] }> {
    const first = nextPilotGeneration(this.o.db);
    const bodies = items.map((a, i) => ({ key: this.key(first + i), body: this.item(this.key(first + i), a, a.invalid ? INVALID_SOURCE : 'manual') }));
    recordPilotIntents(
      this.o.db,
      items.map((a, i) => this.intent(probe, 'batch', a, bodies[i]!.body, bodies[i]!.key, first + i, null)),
    );
    let answer: { status: number; body: unknown } | { error: string };
    try {
      answer = await this.o.rivo.batch(bodies.map((b) => b.body));
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      answer = { error: err.summary() };
    }
    const keys = bodies.map((b) => b.key);
    for (const key of keys) markPilotEvent(this.o.db, key, 'uncertain');
    const settled = await this.settle(keys);
    const outcomes = settled.map((s, i) => ({ key: s.key, status: s.status as WriteOutcome['status'], error: null, sentNote: bodies[i]!.body.internal_note as string, event: s.event }));
    return { keys, answer, outcomes };
  }

  /**
   * Reads the customer's events back and settles the given keys (default: every unsettled pilot write): found means
   * done, not found in a listing that said it was complete means absent. Throws when a write stays unknown.
   */
  async settle(keys?: string[]): Promise<{ key: string; status: string; event: RivoEvent | null; copies: number }[]> {
    pilotInFlightToUncertain(this.o.db);
    const rows = keys ? keys.map((k) => pilotEvent(this.o.db, k)).filter((r): r is PilotEventRow => r !== undefined) : unsettledPilotEvents(this.o.db);
    if (rows.length === 0) return [];
    const byCustomer = new Map<string, ServedListing>();
    const out: { key: string; status: string; event: RivoEvent | null; copies: number }[] = [];
    for (const row of rows) {
      let listing = byCustomer.get(row.rivo_id);
      if (!listing) {
        listing = await readListingAsServed(this.o.rivo, row.rivo_id, this.o.perPage?.());
        byCustomer.set(row.rivo_id, listing);
      }
      const found = listing.events.filter((e) => findKeyInNote(e.internalNote, row.key));
      if (found.length > 0) {
        if (row.status !== 'done') markPilotEvent(this.o.db, row.key, 'done', { rivoEventId: found[0]!.id });
        out.push({ key: row.key, status: 'done', event: found[0]!, copies: found.length });
      } else if (row.status === 'done' || row.status === 'refused' || row.status === 'absent') {
        out.push({ key: row.key, status: row.status, event: null, copies: 0 });
      } else if (listing.complete) {
        markPilotEvent(this.o.db, row.key, 'absent');
        out.push({ key: row.key, status: 'absent', event: null, copies: 0 });
      } else {
        throw new PilotUnsettledError(
          `pilot write [${row.key}] may have reached Rivo, and the customer's event listing did not say it was complete, so it cannot be ruled out. ` +
            'Nothing more was sent; run `pilot` again to settle it and restore the customer.',
        );
      }
    }
    return out;
  }

  /** Compensates every pilot write that landed and is not compensated yet. Returns the compensations made. */
  async compensateAll(probe = 'restore'): Promise<WriteOutcome[]> {
    const made: WriteOutcome[] = [];
    for (const row of uncompensatedPilotEvents(this.o.db)) {
      // An earlier pilot may have been on another customer: a compensation goes where its write went.
      const c = await this.single(probe, { points: -row.points_amount, creditsCents: -row.credits_cents }, row.key, row.rivo_id);
      made.push(c);
      if (c.status !== 'done')
        throw new PilotUnsettledError(
          `Rivo refused to compensate pilot write [${row.key}] (${c.error ?? c.status}): the customer is not restored. Run \`pilot\` again, or adjust the customer by hand in Rivo.`,
        );
    }
    return made;
  }
}
