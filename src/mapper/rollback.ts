import type { PlannedEvent } from '../domain.js';
import { eventKey, noteWithKey, restorationKey } from './keys.js';
import { foldEvents, inWriteOrder, type LedgerEvent, type LifetimeModel, type MigratedSoFar } from './migrated.js';

export interface RollbackInput {
  migrated: MigratedSoFar;
  customerKey: string;
  migrationName: string;
  migrationId: string;
  /** Rollback counter: 0 for the first rollback of this customer, then 1, 2, … */
  generation: number;
  now: string;
  model: LifetimeModel;
  internalNote?: string;
  externalNote?: string | null;
}

export interface RollbackPlan {
  events: PlannedEvent[];
  notes: string[];
}

export const ROLLBACK_INTERNAL_NOTE = 'Yotpo migration rolled back';

/**
 * One compensating `rollback` event that takes back the customer's net points and store credit (only the non-zero
 * parts; nothing at all when nothing is posted). Tier and birthday are not reverted, and under the modelled Rivo
 * behaviour lifetime cannot be lowered: both are said in `notes`.
 */
export function planRollback(input: RollbackInput): RollbackPlan {
  const { migrated, model } = input;
  const notes: string[] = [];
  const events: PlannedEvent[] = [];
  const points = 0 - migrated.net; // never -0
  const credits = 0 - migrated.creditsCents;
  if (points !== 0 || credits !== 0) {
    const key = eventKey({
      migrationName: input.migrationName,
      migrationId: input.migrationId,
      customerKey: input.customerKey,
      role: 'rollback',
      generation: input.generation,
    });
    events.push({
      key,
      kind: 'points',
      role: 'rollback',
      generation: input.generation,
      pointsAmount: points,
      creditsCents: credits,
      value: null,
      appliedAt: input.now,
      internalNote: noteWithKey(input.internalNote ?? ROLLBACK_INTERNAL_NOTE, key),
      externalNote: input.externalNote ?? null,
    });
  }
  const lifetimeLeft = model.negativeEventsLowerLifetime ? migrated.earned - migrated.net : migrated.earned + Math.max(points, 0);
  if (lifetimeLeft !== 0)
    notes.push(
      model.negativeEventsLowerLifetime
        ? `Rivo lifetime stays ${lifetimeLeft} off where it was before the migration`
        : `lifetime cannot be lowered under the modelled Rivo behaviour: Rivo lifetime stays ${lifetimeLeft} above where it was before the migration`,
    );
  if (migrated.tierSet !== null) notes.push(`the tier the migration set (${migrated.tierSet}) is not reverted`);
  if (migrated.dobSet !== null) notes.push(`the birthday the migration set (${migrated.dobSet}) is not reverted`);
  return { events, notes };
}

// ---- one customer's rollback from its ledger rows ----------------------------------------------------------------

/** One of the customer's ledger events as the rollback rules read it (the caller maps its rows). */
export interface RollbackLedgerEvent extends LedgerEvent {
  status: string;
  rivoId: string;
  /** When the write reached Rivo (`done_at`), or else when its row last changed (`updated_at`): the write order. */
  at: string;
}

export interface RollbackCustomerPlan {
  customerKey: string;
  rivoId: string;
  points: number;
  creditsCents: number;
  restoreTier: string | null;
  restoreDob: string | null;
  notRestored: string[];
  /** Lifetime the migration added that stays in Rivo (lifetime cannot be lowered under the modelled behaviour). */
  lifetimeKept: number;
}

export interface CustomerRollbackInput {
  customer: { key: string; rivo_tier_before: string | null; rivo_dob_before: string | null };
  /** Every ledger event of the customer. */
  events: readonly RollbackLedgerEvent[];
  /** The statuses that count as in Rivo: `done` for a real rollback, also the uncertain ones for a preview. */
  statuses: readonly string[];
  migrationName: string;
  migrationId: string;
  now: string;
  model: LifetimeModel;
  generation: number;
}

export const RESTORE_NOTE = 'Restore the value held before the Yotpo migration';

/**
 * The value Rivo holds now as far as the ledger knows: the last tier (or dob) write that reached Rivo, in the one
 * write order of the model (`inWriteOrder`: a restoration is always made after the write it undoes). Null when the
 * migration never wrote this kind.
 */
export function lastWritten(
  events: readonly RollbackLedgerEvent[],
  kind: 'tier' | 'birthday',
  statuses: readonly string[],
): { value: string | null; byMigration: boolean } | null {
  const writes = inWriteOrder(events.filter((e) => e.kind === kind && statuses.includes(e.status)));
  if (!writes.some((r) => r.role !== 'rollback')) return null;
  const last = writes[writes.length - 1]!;
  return { value: last.value, byMigration: last.role !== 'rollback' };
}

/**
 * What a rollback of one customer owes, from its ledger events only: the compensating points event (`planRollback` on
 * the fold of what is in Rivo), and a restoration of the tier and birthday the customer had before the migration
 * when the migration changed them. A value the customer did not have before cannot be cleared through Rivo's API:
 * said in `notRestored`, never guessed.
 */
export function planCustomerRollback(input: CustomerRollbackInput): { plan: RollbackCustomerPlan; events: PlannedEvent[] } {
  const { customer, statuses, model } = input;
  const posted = input.events.filter((e) => statuses.includes(e.status));
  const migrated = foldEvents(posted, model);
  const keyOf = { migrationName: input.migrationName, migrationId: input.migrationId, customerKey: customer.key, generation: input.generation };
  const rollback = planRollback({ ...keyOf, migrated, now: input.now, model });
  const events = [...rollback.events];
  const rivoId = posted[posted.length - 1]?.rivoId ?? input.events[0]?.rivoId ?? '';
  const notRestored: string[] = [];
  const restore = (kind: 'tier' | 'birthday', before: string | null): string | null => {
    const now = lastWritten(input.events, kind, statuses);
    if (!now || now.value === before) return null;
    if (before === null) {
      notRestored.push(`${kind}: the customer had none before the migration and Rivo's API cannot clear it (now ${now.value ?? 'none'})`);
      return null;
    }
    // Restorations are ledger rows like any update, keyed after the rollback (see restorationKey).
    const key = restorationKey(keyOf, kind);
    events.push({
      key,
      kind,
      role: 'rollback',
      generation: input.generation,
      pointsAmount: 0,
      creditsCents: 0,
      value: before,
      appliedAt: null,
      internalNote: noteWithKey(RESTORE_NOTE, key),
      externalNote: null,
    });
    return before;
  };
  const restoreTier = restore('tier', customer.rivo_tier_before);
  const restoreDob = restore('birthday', customer.rivo_dob_before);
  const points = rollback.events.reduce((n, e) => n + e.pointsAmount, 0);
  const credits = rollback.events.reduce((n, e) => n + e.creditsCents, 0);
  const after = foldEvents(rollback.events.map((e) => ({ ...e })), model, migrated);
  return {
    plan: {
      customerKey: customer.key,
      rivoId,
      points,
      creditsCents: credits,
      restoreTier,
      restoreDob,
      notRestored,
      lifetimeKept: model.negativeEventsLowerLifetime ? 0 : after.earned,
    },
    events,
  };
}
