import type { PlannedEvent } from '../domain.js';
import { eventKey, noteWithKey } from './keys.js';
import type { LifetimeModel, MigratedSoFar } from './migrated.js';

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
