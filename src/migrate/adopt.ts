import { awardEventsOf, findAdoptedAwards, recordAdoptedAwards } from '../awards/adopt.js';
import { getMeta } from '../db/open.js';
import { adoptMigration, type AdoptedCustomer, type AdoptedEvent } from '../ledger/adopt.js';
import { customerHash } from '../mapper/keys.js';
import { listAllRivoCustomers, rivoById } from '../plan/rivo-index.js';
import { summarizeMigrations, type EarlierMigration, type KeyedEvent, type ScanResult } from '../rivo/scan.js';
import type { MigrateContext } from './context.js';

/**
 * `adopt`, after the scan: which migration to take over, and the ledger rebuilt from its events. Rivo's events carry
 * a hash of each customer's record key (mapper/keys.ts), so they are mapped back by hashing every extracted Yotpo
 * record's key the same way: Yotpo must have been read into this DB first.
 */

export type AdoptChoice =
  | { kind: 'none'; migrations: EarlierMigration[] }
  | { kind: 'ambiguous'; migrations: EarlierMigration[] }
  | { kind: 'unknown'; wanted: string; migrations: EarlierMigration[] }
  | { kind: 'chosen'; migration: EarlierMigration; migrations: EarlierMigration[] };

/** The migration to adopt: the one named, else the only one that credited customers (rolled-back ones are not offered). */
export function chooseMigration(keyed: KeyedEvent[], wanted: string | undefined): AdoptChoice {
  const migrations = summarizeMigrations(keyed);
  if (wanted !== undefined) {
    const m = migrations.find((x) => x.migrationId === wanted);
    return m ? { kind: 'chosen', migration: m, migrations } : { kind: 'unknown', wanted, migrations };
  }
  const live = migrations.filter((m) => m.creditedCustomers > 0);
  if (live.length === 0) return { kind: 'none', migrations };
  if (live.length > 1) return { kind: 'ambiguous', migrations: live };
  return { kind: 'chosen', migration: live[0]!, migrations };
}

export interface AdoptSummary {
  migrationId: string;
  replaced: string;
  events: number;
  customers: number;
  points: number;
  creditsCents: number;
  duplicates: number;
  /** Customers whose events were found by their Rivo customer, not their record key (an email edited since). */
  relinked: number;
  revokedSkipped: number;
  unmapped: { customers: number; events: number };
  /** Awards of mapped one-time actions found in Rivo for adopted customers: counted (the lost migration's), or not. */
  awards: { checked: number; counted: number; countedPoints: number; earnedBefore: number };
}

/** Rebuilds the ledger under `migrationId` (stored as this DB's id); the caller's context should use it from here on. */
export async function adopt(s: MigrateContext, scan: ScanResult, migrationId: string): Promise<AdoptSummary> {
  const mine = scan.keyed.filter((k) => k.parsed.migrationId === migrationId);
  const live = mine.filter((k) => !k.event.revokedAt);
  // Record keys by their hash under this config's migrationName: the same function that made the keys.
  const byHash = new Map<string, string>();
  for (const key of s.db.prepare('SELECT key FROM customers').pluck().iterate() as Iterable<string>) byHash.set(customerHash(s.config.migrationName, key), key);

  const grouped = new Map<string, KeyedEvent[]>();
  for (const k of live) grouped.set(k.parsed.customerHash, [...(grouped.get(k.parsed.customerHash) ?? []), k]);
  const unmapped: { customerHash: string; events: number; rivoIds: string[] }[] = [];
  let relinked = 0;
  const mapped: { customerKey: string; events: KeyedEvent[] }[] = [];
  for (const [hash, events] of grouped) {
    const customerKey = byHash.get(hash);
    if (customerKey) mapped.push({ customerKey, events });
    else unmapped.push({ customerHash: hash, events: events.length, rivoIds: [...new Set(events.map((e) => e.event.customerIdentifier ?? '?'))] });
  }

  // Rivo's values now, for each adopted customer's "before": one listing (a request per 250 customers), a direct
  // lookup for any the listing missed.
  if (mapped.length || unmapped.length) await listAllRivoCustomers(s.db, s.rivo(), undefined, s.signal);
  // A hash that matches no record key: the record's email changed since (or it left Yotpo). Left alone, the record
  // that now resolves to that Rivo customer would be credited a second time, so when exactly one extracted record
  // resolves to it (Shopify id, else email) and was not adopted otherwise, it continues those events.
  const taken = new Set(mapped.map((m) => m.customerKey));
  for (const u of [...unmapped]) {
    const rivoId = u.rivoIds.length === 1 ? u.rivoIds[0]! : null;
    const rivoNow = rivoId ? rivoById(s.db, rivoId) : undefined;
    if (!rivoId || !rivoNow) continue;
    const candidates = (
      s.db
        .prepare("SELECT key FROM customers WHERE state <> 'invalid' AND (third_party_id = ? OR (third_party_id IS NULL AND email_norm = ?))")
        .pluck()
        .all(rivoId, rivoNow.email?.trim().toLowerCase() ?? null) as string[]
    ).filter((k) => !taken.has(k));
    if (candidates.length !== 1) continue;
    taken.add(candidates[0]!);
    mapped.push({ customerKey: candidates[0]!, events: grouped.get(u.customerHash)! });
    unmapped.splice(unmapped.indexOf(u), 1);
    relinked++;
  }
  const customers: AdoptedCustomer[] = [];
  for (const m of mapped) {
    const rivoId = m.events[0]!.event.customerIdentifier ?? '';
    const now = rivoById(s.db, rivoId) ?? (rivoId ? await s.rivo().getCustomer(rivoId) : null);
    customers.push({
      customerKey: m.customerKey,
      rivoId: now?.id ?? rivoId,
      now,
      events: m.events.map(
        (k): AdoptedEvent => ({
          key: k.key,
          role: k.parsed.role,
          generation: k.parsed.generation,
          rivoEventId: k.event.id,
          rivoId: now?.id ?? rivoId,
          pointsDiff: k.event.pointsDiff,
          creditsDiffCents: k.event.creditsDiffCents,
          internalNote: k.event.internalNote,
          appliedAt: k.event.appliedAt,
          createdAt: k.event.createdAt,
        }),
      ),
    });
  }
  const replaced = getMeta(s.db, 'migration_id') ?? '?';
  // The first write of the adopted migration, by when Rivo booked it (history events are backdated by applied_at).
  const firstWrite = live
    .filter((k) => k.parsed.role !== 'history')
    .map((k) => k.event.createdAt ?? k.event.appliedAt)
    .filter((t): t is string => typeof t === 'string' && Number.isFinite(Date.parse(t)))
    .sort()[0] ?? new Date(0).toISOString();
  const awards = await findAdoptedAwards(
    s,
    migrationId,
    customers.map((c) => ({ customerKey: c.customerKey, rivoId: c.rivoId, email: c.now?.email ?? null })),
    firstWrite,
  );
  for (const c of customers) c.events.push(...awardEventsOf(awards, c.customerKey));
  // One transaction: an adopted ledger without its awards would owe a counted award's points again.
  const result = s.db.transaction(() => {
    const adopted = adoptMigration(s.db, {
      migrationId,
      previousId: replaced,
      customers,
      unmapped,
      negativeEventsLowerLifetime: s.config.mapping.negativeEventsLowerLifetime,
      store: { rivoBaseUrl: s.config.rivo.baseUrl, yotpoBaseUrl: s.config.yotpo.baseUrl, scanRequests: scan.requests, scanEvents: scan.events },
    });
    recordAdoptedAwards(s.db, awards);
    return adopted;
  })();
  return {
    migrationId,
    replaced,
    awards: {
      checked: awards.checked,
      counted: awards.found.filter((a) => a.status === 'awarded').length,
      countedPoints: awards.found.filter((a) => a.status === 'awarded').reduce((n, a) => n + a.points, 0),
      earnedBefore: awards.found.filter((a) => a.status === 'already').length,
    },
    events: result.events,
    customers: result.customers,
    points: mapped.flatMap((m) => m.events).reduce((a, k) => a + k.event.pointsDiff, 0),
    creditsCents: mapped.flatMap((m) => m.events).reduce((a, k) => a + k.event.creditsDiffCents, 0),
    duplicates: result.duplicates,
    relinked,
    revokedSkipped: mine.length - live.length,
    unmapped: { customers: unmapped.length, events: unmapped.reduce((a, u) => a + u.events, 0) },
  };
}
