import type { Db } from '../db/open.js';
import { setMeta } from '../db/open.js';
import type { EventRole, RivoCustomerSnapshot } from '../domain.js';
import { recordProblem } from './customers.js';
import { markDoneWithDuplicates, refreshCustomerState } from './events.js';
import { recordStore } from './store.js';
import { statement } from './statements.js';

/** One event found in Rivo carrying a key of the adopted migration. */
export interface AdoptedEvent {
  key: string;
  role: EventRole;
  generation: number;
  rivoEventId: string;
  rivoId: string;
  pointsDiff: number;
  creditsDiffCents: number;
  internalNote: string | null;
  appliedAt: string | null;
  createdAt: string | null;
}

export interface AdoptedCustomer {
  customerKey: string;
  rivoId: string;
  events: AdoptedEvent[];
  /** Rivo's customer now; its "before" values are now minus what the adopted events added. Null when Rivo has none. */
  now: RivoCustomerSnapshot | null;
}

export interface AdoptInput {
  migrationId: string;
  previousId: string;
  customers: AdoptedCustomer[];
  /** Customer hashes found in Rivo that match no extracted Yotpo record. */
  unmapped: { customerHash: string; events: number; rivoIds: string[] }[];
  negativeEventsLowerLifetime: boolean;
  store: { rivoBaseUrl: string; yotpoBaseUrl: string | null; scanRequests: number; scanEvents: number };
}

/**
 * `adopt`: this DB takes over an earlier migration whose DB is lost, from what Rivo holds of it. In one transaction:
 * the migration id becomes the earlier one (new keys continue it); anything this DB had planned under its own id is
 * cancelled and every customer is left to be planned again; each event found in Rivo becomes a `done` ledger row
 * with Rivo's amounts; each adopted customer's "Rivo before" values are Rivo's values now minus what those events
 * added. The caller has checked that this DB never sent anything.
 */
export function adoptMigration(db: Db, input: AdoptInput): { events: number; customers: number; duplicates: number } {
  return db.transaction(() => {
    const at = new Date().toISOString();
    setMeta(db, 'migration_id', input.migrationId);
    setMeta(db, 'adopted_from', JSON.stringify({ migrationId: input.migrationId, replaced: input.previousId, at }));
    statement(db, "UPDATE events SET status = 'cancelled', last_error = 'replaced by adopt', updated_at = ? WHERE status = 'planned'").run(at);
    statement(db, 'UPDATE customers SET planned_hash = NULL').run();
    const insert = statement(
      db,
      `INSERT INTO events (key, customer_key, rivo_id, kind, role, generation, points_amount, credits_cents, value, applied_at, internal_note,
         external_note, status, attempts, rivo_event_id, last_error, created_at, updated_at, done_at)
       VALUES (?, ?, ?, 'points', ?, ?, ?, ?, NULL, ?, ?, NULL, 'done', 0, ?, 'adopted from Rivo', ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET status = 'done', customer_key = excluded.customer_key, rivo_id = excluded.rivo_id,
         points_amount = excluded.points_amount, credits_cents = excluded.credits_cents, rivo_event_id = excluded.rivo_event_id,
         last_error = excluded.last_error, updated_at = excluded.updated_at, done_at = excluded.done_at`,
    );
    const match = statement(
      db,
      `UPDATE customers SET rivo_id = ?, rivo_email = ?, rivo_points_before = ?, rivo_lifetime_before = ?, rivo_credits_before = ?,
         rivo_tier_before = ?, rivo_tier_name_before = ?, rivo_dob_before = ?, rivo_seen_at = ? WHERE key = ?`,
    );
    let events = 0;
    const duplicates: { key: string; rivoEventIds: string[] }[] = [];
    for (const c of input.customers) {
      const byKey = new Map<string, AdoptedEvent[]>();
      for (const e of c.events) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);
      let points = 0;
      let lifetime = 0;
      let credits = 0;
      for (const [key, copies] of byKey) {
        const e = copies[0]!;
        insert.run(key, c.customerKey, c.rivoId, e.role, e.generation, e.pointsDiff, e.creditsDiffCents, e.appliedAt, e.internalNote ?? `[${key}]`, e.rivoEventId, at, at, e.createdAt ?? at);
        events++;
        if (copies.length > 1) duplicates.push({ key, rivoEventIds: copies.map((x) => x.rivoEventId) });
        // Every copy is in Rivo: "before" is now minus all of them.
        for (const x of copies) {
          points += x.pointsDiff;
          credits += x.creditsDiffCents;
          lifetime += input.negativeEventsLowerLifetime || x.pointsDiff > 0 ? x.pointsDiff : 0;
        }
      }
      const now = c.now;
      match.run(
        c.rivoId,
        now?.email ?? null,
        now ? now.pointsTally - points : null,
        now && now.lifetimeTally !== null ? now.lifetimeTally - lifetime : null,
        now ? now.creditsCents - credits : null,
        now?.tierId ?? null,
        now?.tierName ?? null,
        now?.dob ?? null,
        at,
        c.customerKey,
      );
      refreshCustomerState(db, c.customerKey);
    }
    if (duplicates.length) markDoneWithDuplicates(db, duplicates);
    for (const u of input.unmapped)
      recordProblem(db, {
        kind: 'adopt_unmapped',
        detail:
          `${u.events} event(s) of migration ${input.migrationId} for Rivo customer(s) ${u.rivoIds.join(', ')} (customer hash ${u.customerHash}) ` +
          'match no Yotpo record read: that customer is no longer in Yotpo under the same email, or the earlier migration used another migrationName',
      });
    recordStore(db, { rivoBaseUrl: input.store.rivoBaseUrl, yotpoBaseUrl: input.store.yotpoBaseUrl, how: 'adopt', scanRequests: input.store.scanRequests, scanEvents: input.store.scanEvents });
    return { events, customers: input.customers.length, duplicates: duplicates.length };
  })();
}
