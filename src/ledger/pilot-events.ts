import type { Db } from '../db/open.js';

/**
 * Every transition of the pilot's own writes (table `pilot_events`). Same discipline as the migration's ledger:
 * the intent (`in_flight`) is committed before the request leaves; an answer that never came makes it `uncertain`,
 * and only a read-back turns that into `done` or `absent`. A write that is `done` is owed a compensation.
 */

export type PilotEventStatus = 'in_flight' | 'uncertain' | 'done' | 'refused' | 'absent';

export interface PilotEventRow {
  key: string;
  generation: number;
  rivo_id: string;
  probe: string;
  via: 'single' | 'batch';
  points_amount: number;
  credits_cents: number;
  body_json: string;
  compensates: string | null;
  status: PilotEventStatus;
  rivo_event_id: string | null;
  last_error: string | null;
}

export interface PilotIntent {
  key: string;
  generation: number;
  rivoId: string;
  probe: string;
  via: 'single' | 'batch';
  pointsAmount: number;
  creditsCents: number;
  body: unknown;
  compensates: string | null;
}

const now = () => new Date().toISOString();

/** The next unused generation: keys of this DB's pilot writes never repeat, across runs. */
export function nextPilotGeneration(db: Db): number {
  const g = db.prepare('SELECT max(generation) FROM pilot_events').pluck().get() as number | null;
  return (g ?? 0) + 1;
}

/** Records the intents of one request (a single event or a whole batch) in one transaction, before it is sent. */
export function recordPilotIntents(db: Db, intents: PilotIntent[]): void {
  const insert = db.prepare(
    `INSERT INTO pilot_events (key, generation, rivo_id, probe, via, points_amount, credits_cents, body_json, compensates, status, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'in_flight', ?, ?)`,
  );
  db.transaction(() => {
    const t = now();
    for (const i of intents)
      insert.run(i.key, i.generation, i.rivoId, i.probe, i.via, i.pointsAmount, i.creditsCents, JSON.stringify(i.body), i.compensates, t, t);
  })();
}

export function markPilotEvent(db: Db, key: string, status: PilotEventStatus, detail: { rivoEventId?: string | null; error?: string | null } = {}): void {
  db.prepare('UPDATE pilot_events SET status = ?, rivo_event_id = coalesce(?, rivo_event_id), last_error = ?, updated_at = ? WHERE key = ?').run(
    status,
    detail.rivoEventId ?? null,
    detail.error ?? null,
    now(),
    key,
  );
}

/** Writes left in flight by a run that stopped: their outcome is unknown until read back. */
export function pilotInFlightToUncertain(db: Db): number {
  return db.prepare("UPDATE pilot_events SET status = 'uncertain', updated_at = ? WHERE status = 'in_flight'").run(now()).changes;
}

export function unsettledPilotEvents(db: Db): PilotEventRow[] {
  return db.prepare("SELECT * FROM pilot_events WHERE status IN ('in_flight','uncertain') ORDER BY generation").all() as PilotEventRow[];
}

/**
 * Writes that landed and are not yet compensated by a write that landed, oldest first. A compensation whose own
 * outcome is unknown blocks a second one (it is settled first).
 */
export function uncompensatedPilotEvents(db: Db): PilotEventRow[] {
  return db
    .prepare(
      `SELECT p.* FROM pilot_events p
       WHERE p.status = 'done' AND p.compensates IS NULL
         AND NOT EXISTS (SELECT 1 FROM pilot_events c WHERE c.compensates = p.key AND c.status IN ('done','in_flight','uncertain'))
       ORDER BY p.generation`,
    )
    .all() as PilotEventRow[];
}

export function pilotEvent(db: Db, key: string): PilotEventRow | undefined {
  return db.prepare('SELECT * FROM pilot_events WHERE key = ?').get(key) as PilotEventRow | undefined;
}
