import type { Config } from '../config/schema.js';
import { getMeta, setMeta, type Db } from '../db/open.js';
import type { PlannedEvent } from '../domain.js';
import { cancelUnsentMigrationEvents } from '../ledger/cancel.js';
import { recordProblemOnce } from '../ledger/customers.js';
import { POSTED_OR_MAYBE, duplicateEvents, eventsOf, inFlightToUncertain, nextRollbackGeneration, planRollbackEvents, toLedgerEvent } from '../ledger/events.js';
import type { EventRow } from '../ledger/types.js';
import type { LifetimeModel } from '../mapper/migrated.js';
import { planCustomerRollback, type RollbackLedgerEvent } from '../mapper/rollback.js';
import { LoadEngine, type EngineStats } from './engine.js';
import { engineOptions, SUMMARY_LIST_MAX, type LoadOptions } from './loader.js';
import { amountsInScope, countOpenEvents, openEvents, rejectedEvents, scopeCounts, type Scope } from './queries.js';

/**
 * Undoes what this migration posted, with the loader's guarantees: for every customer the migration wrote to,
 * settle anything uncertain, plan one compensating `rollback` points event (−net points, −net credit), restore the
 * tier and birthday the customer had before when the migration changed them, and send it all exactly once.
 * A second rollback finds nothing left to compensate and sends nothing.
 * What a customer's rollback owes, and its keys, are the mapper's pure rules (`mapper/rollback.ts`
 * `planCustomerRollback`, keyed by a rollback generation so a rollback after a re-migration gets new keys); this
 * module reads the ledger, records the plan, settles and sends through the loader's engine.
 */

/** The loader's options (rollback sends through the same engine), plus what only a rollback has. */
export interface RollbackOptions extends LoadOptions {
  /** Compute and return what would be sent; no request, no ledger change. */
  dryRun?: boolean;
  now?: () => Date;
}

export interface RollbackPreview {
  customers: number;
  points: number;
  creditsCents: number;
  tiersToRestore: number;
  birthdaysToRestore: number;
  /** Customers whose writes have an unknown outcome: the real run reads them back first, so its numbers may differ. */
  unsettledCustomers: number;
  /** Customers with planned writes never sent: rollback leaves them alone. */
  neverSentCustomers: number;
  /** The first SUMMARY_LIST_MAX; the count is complete. */
  notRestored: { customerKey: string; what: string }[];
  notRestoredCount: number;
  lifetimeKept: { customers: number; points: number };
}

export interface RollbackSummary {
  migrationId: string;
  dryRun: boolean;
  /** `preview`: a dry run, nothing sent (the user must confirm; the CLI ends it as a usage stop, cli/exit-codes.ts). */
  outcome: 'done' | 'attention' | 'pending' | 'preview';
  aborted: boolean;
  /** Customers this run planned something for (new compensating events or restorations). */
  planned: { customers: number; points: number; creditsCents: number; tiers: number; birthdays: number };
  /** Customers considered (anything posted by the migration); those unsettled were not planned. */
  considered: number;
  unsettled: string[];
  /** Planned-but-never-sent migration events of these customers were cancelled. */
  cancelledMigrationEvents: number;
  /** Customers the migration never wrote to but whose writes were planned: rollback cancels those writes (preview: would cancel). */
  neverSentCustomers: number;
  rolledBack: { points: number; creditsCents: number };
  events: { total: number; done: number; planned: number; uncertain: number; rejected: number };
  /** The first SUMMARY_LIST_MAX; the count is complete. Also recorded as `rollback_not_restored` problems. */
  notRestored: { customerKey: string; what: string }[];
  notRestoredCount: number;
  lifetime: { note: string; customers: number; points: number };
  rejected: { customerKey: string; key: string; reason: string | null }[];
  pending: { customerKey: string; key: string; status: string; lastError: string | null }[];
  duplicates: number;
  rounds: number;
  requests: number;
  preview?: RollbackPreview;
}

export const LIFETIME_NOTE =
  'Lifetime earnings cannot be lowered under the modelled Rivo behaviour (a negative event lowers points only): ' +
  'the lifetime the migration added stays in Rivo.';

/** The `problems` kind of a tier or birthday rollback could not put back. */
export const NOT_RESTORED_PROBLEM = 'rollback_not_restored';

interface Candidate {
  key: string;
  seq: number;
  rivo_tier_before: string | null;
  rivo_dob_before: string | null;
}

/** A ledger row as the rollback rules read it (`mapper/rollback.ts`). */
function forRollback(r: EventRow): RollbackLedgerEvent {
  return { ...toLedgerEvent(r), status: r.status, rivoId: r.rivo_id, at: r.done_at ?? r.updated_at };
}

/** Customers the migration posted (or may have posted) anything to, in read order, a chunk at a time. */
function* postedCustomers(db: Db, maxSeq: number, chunk = 500): Generator<Candidate[]> {
  const stmt = db.prepare(
    `SELECT c.key, c.seq, c.rivo_tier_before, c.rivo_dob_before FROM customers c
     WHERE c.seq > ? AND c.seq <= ? AND EXISTS (SELECT 1 FROM events e WHERE e.customer_key = c.key AND e.role != 'rollback'
       AND e.status IN (${POSTED_OR_MAYBE.map((st) => `'${st}'`).join(',')}))
     ORDER BY c.seq LIMIT ?`,
  );
  let after = 0;
  for (;;) {
    const rows = stmt.all(after, maxSeq, chunk) as Candidate[];
    if (!rows.length) return;
    yield rows;
    after = rows[rows.length - 1]!.seq;
  }
}

/** Customers with migration writes planned but nothing posted: rollback cancels those writes without sending anything. */
function neverSentCustomers(db: Db, maxSeq: number): number {
  return db
    .prepare(
      `SELECT count(*) FROM customers c WHERE c.seq <= ?
         AND EXISTS (SELECT 1 FROM events e WHERE e.customer_key = c.key AND e.status = 'planned' AND e.role != 'rollback')
         AND NOT EXISTS (SELECT 1 FROM events e WHERE e.customer_key = c.key AND e.status IN ('in_flight','uncertain','done'))`,
    )
    .pluck()
    .get(maxSeq) as number;
}

export async function rollback(options: RollbackOptions): Promise<RollbackSummary> {
  const { db, rivo, config } = options;
  const maxSeq = options.limitSeq ?? Number.MAX_SAFE_INTEGER;
  const now = (options.now ?? (() => new Date()))().toISOString();
  const model: LifetimeModel = { negativeEventsLowerLifetime: config.mapping.negativeEventsLowerLifetime };
  const scope: Scope = { maxSeq, roles: 'rollback', customerStates: 'any' };

  if (options.dryRun) return dryRunSummary(db, options.migrationId, config, maxSeq, now, model, scope);

  // From here on this migration is being undone: the planner refuses to plan it again (that would send the points a
  // second time, or re-send only the customers whose Yotpo values changed). Set before anything is sent, so a
  // rollback that is interrupted blocks a re-migration too.
  if (!getMeta(db, 'rolled_back_at')) setMeta(db, 'rolled_back_at', now);
  inFlightToUncertain(db);
  const engine = new LoadEngine(engineOptions(options, scope));

  const planned = { customers: 0, points: 0, creditsCents: 0, tiers: 0, birthdays: 0 };
  const notRestored: { customerKey: string; what: string }[] = [];
  let notRestoredCount = 0;
  const unsettled: string[] = [];
  let considered = 0;
  let cancelled = 0;
  let lifetimeCustomers = 0;
  let lifetimePoints = 0;
  const planOne = (c: Candidate) => {
    const rows = eventsOf(db, c.key);
    const generation = nextRollbackGeneration(db, c.key);
    const { plan, events } = planCustomerRollback({ customer: c, events: rows.map(forRollback), statuses: ['done'], migrationName: config.migrationName, migrationId: options.migrationId, now, model, generation });
    for (const what of plan.notRestored) {
      notRestoredCount++;
      if (notRestored.length < SUMMARY_LIST_MAX) notRestored.push({ customerKey: c.key, what });
      // A problem the merchant must see (status, reports); once per customer and wording, however often rollback runs.
      recordProblemOnce(db, { customerKey: c.key, kind: NOT_RESTORED_PROBLEM, detail: what });
    }
    if (plan.lifetimeKept > 0) {
      lifetimeCustomers++;
      lifetimePoints += plan.lifetimeKept;
    }
    const toCancel = rows.filter((r) => r.status === 'planned' && r.role !== 'rollback').length;
    if (!events.length && toCancel === 0) return;
    const { added, kept } = planRollbackEvents(db, c.key, plan.rivoId, events);
    cancelled += toCancel;
    for (const k of kept) options.log?.(`rollback event ${k.key} of customer ${c.key} is already ${k.status}; left as it is`);
    if (added.length) {
      planned.customers++;
      planned.points += plan.points;
      planned.creditsCents += plan.creditsCents;
      if (plan.restoreTier !== null) planned.tiers++;
      if (plan.restoreDob !== null) planned.birthdays++;
    }
  };

  for (const chunk of postedCustomers(db, maxSeq)) {
    if (options.signal?.aborted) break;
    considered += chunk.length;
    // 1. Nothing is compensated before it is known: settle every uncertain write of these customers by read-back.
    const still = new Set(await engine.settleCustomers(chunk.map((c) => c.key)));
    unsettled.push(...still);
    // 2. Plan. One commit per chunk (each customer's planning is its own savepoint inside it): no await in between.
    db.transaction(() => {
      for (const c of chunk) if (!still.has(c.key)) planOne(c);
    })();
  }
  if (unsettled.length) options.log?.(`${unsettled.length} customer(s) still have writes of unknown outcome: not rolled back in this run`);
  // Writes planned but never sent (customers the migration had not reached, or their remaining events) are cancelled
  // too: a rolled-back migration must never send anything more of its own.
  const neverSent = neverSentCustomers(db, maxSeq);
  if (!options.signal?.aborted) cancelled += cancelUnsentMigrationEvents(db, maxSeq).events;

  // 3. Send with the loader's machinery: rollback events only.
  const stats = await engine.run();
  return summarize(db, scope, options.migrationId, stats, {
    planned,
    considered,
    unsettled,
    cancelled,
    neverSent,
    notRestored,
    notRestoredCount,
    lifetime: { customers: lifetimeCustomers, points: lifetimePoints },
  });
}

function dryRunSummary(db: Db, migrationId: string, config: Config, maxSeq: number, now: string, model: LifetimeModel, scope: Scope): RollbackSummary {
  let considered = 0;
  const preview: RollbackPreview = {
    customers: 0,
    points: 0,
    creditsCents: 0,
    tiersToRestore: 0,
    birthdaysToRestore: 0,
    unsettledCustomers: 0,
    neverSentCustomers: neverSentCustomers(db, maxSeq),
    notRestored: [],
    notRestoredCount: 0,
    lifetimeKept: { customers: 0, points: 0 },
  };
  for (const chunk of postedCustomers(db, maxSeq)) for (const c of chunk) {
    considered++;
    const rows = eventsOf(db, c.key);
    if (rows.some((r) => r.status === 'in_flight' || r.status === 'uncertain')) preview.unsettledCustomers++;
    // Writes of unknown outcome are counted as landed: the preview shows the most the rollback could send.
    const { plan, events } = planCustomerRollback({
      customer: c,
      events: rows.map(forRollback),
      statuses: POSTED_OR_MAYBE,
      migrationName: config.migrationName,
      migrationId,
      now,
      model,
      generation: nextRollbackGeneration(db, c.key),
    });
    for (const what of plan.notRestored) {
      preview.notRestoredCount++;
      if (preview.notRestored.length < SUMMARY_LIST_MAX) preview.notRestored.push({ customerKey: c.key, what });
    }
    if (plan.lifetimeKept > 0) {
      preview.lifetimeKept.customers++;
      preview.lifetimeKept.points += plan.lifetimeKept;
    }
    if (!events.length) continue;
    preview.customers++;
    preview.points += plan.points;
    preview.creditsCents += plan.creditsCents;
    if (plan.restoreTier !== null) preview.tiersToRestore++;
    if (plan.restoreDob !== null) preview.birthdaysToRestore++;
  }
  const counts = scopeCounts(db, scope);
  const amounts = amountsInScope(db, scope);
  return {
    migrationId,
    dryRun: true,
    outcome: 'preview',
    aborted: false,
    planned: { customers: preview.customers, points: preview.points, creditsCents: preview.creditsCents, tiers: preview.tiersToRestore, birthdays: preview.birthdaysToRestore },
    considered,
    unsettled: [],
    cancelledMigrationEvents: 0,
    neverSentCustomers: preview.neverSentCustomers,
    rolledBack: { points: amounts.donePoints, creditsCents: amounts.doneCreditsCents },
    events: { total: counts.eventsTotal, done: counts.eventsDone, planned: counts.eventsPlanned, uncertain: counts.eventsUncertain, rejected: counts.eventsRejected },
    notRestored: preview.notRestored,
    notRestoredCount: preview.notRestoredCount,
    lifetime: { note: LIFETIME_NOTE, ...preview.lifetimeKept },
    rejected: [],
    pending: [],
    duplicates: duplicateEvents(db).length,
    rounds: 0,
    requests: 0,
    preview,
  };
}

function summarize(
  db: Db,
  scope: Scope,
  migrationId: string,
  stats: EngineStats,
  r: {
    planned: RollbackSummary['planned'];
    considered: number;
    unsettled: string[];
    cancelled: number;
    neverSent: number;
    notRestored: { customerKey: string; what: string }[];
    notRestoredCount: number;
    lifetime: { customers: number; points: number };
  },
): RollbackSummary {
  const counts = scopeCounts(db, scope);
  const amounts = amountsInScope(db, scope);
  const open = countOpenEvents(db, scope);
  const duplicates = duplicateEvents(db).length;
  const outcome: RollbackSummary['outcome'] =
    stats.aborted || open > 0 || r.unsettled.length > 0 ? 'pending' : counts.eventsRejected > 0 || duplicates > 0 ? 'attention' : 'done';
  return {
    migrationId,
    dryRun: false,
    outcome,
    aborted: stats.aborted,
    planned: r.planned,
    considered: r.considered,
    unsettled: r.unsettled.slice(0, SUMMARY_LIST_MAX),
    cancelledMigrationEvents: r.cancelled,
    neverSentCustomers: r.neverSent,
    rolledBack: { points: amounts.donePoints, creditsCents: amounts.doneCreditsCents },
    events: { total: counts.eventsTotal, done: counts.eventsDone, planned: counts.eventsPlanned, uncertain: counts.eventsUncertain, rejected: counts.eventsRejected },
    notRestored: r.notRestored,
    notRestoredCount: r.notRestoredCount,
    lifetime: { note: LIFETIME_NOTE, ...r.lifetime },
    rejected: rejectedEvents(db, scope, SUMMARY_LIST_MAX).map((e) => ({ customerKey: e.customer_key, key: e.key, reason: e.last_error })),
    pending: openEvents(db, scope, SUMMARY_LIST_MAX).map((e) => ({ customerKey: e.customer_key, key: e.key, status: e.status, lastError: e.last_error })),
    duplicates,
    rounds: stats.rounds,
    requests: stats.requests,
  };
}
