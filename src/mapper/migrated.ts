import type { PlannedEvent } from '../domain.js';

/**
 * What the ledger says this migration already did for one customer: the sums the mapper plans deltas against.
 * Built from every event that may have reached Rivo (done, in flight, uncertain); `foldEvents` is the one rule
 * for that sum, shared by the planner and the tests.
 */
export interface MigratedSoFar {
  /** Lifetime increase caused so far, under the configured lifetime model. */
  earned: number;
  /** Signed sum of points posted. */
  net: number;
  /** Signed sum of store credit posted, in cents. */
  creditsCents: number;
  /** Latest tier id set, or null. */
  tierSet: string | null;
  /** Latest dob set, or null. */
  dobSet: string | null;
  /** Highest generation with any done/in-flight event (rollback events excluded), -1 if none. */
  generations: number;
  /** Points Rivo granted for one-time action awards (role `award`), included in `net` and `earned`. */
  awardPoints?: number;
}

export const NOTHING_MIGRATED: Readonly<MigratedSoFar> = Object.freeze({
  earned: 0,
  net: 0,
  creditsCents: 0,
  tierSet: null,
  dobSet: null,
  generations: -1,
});

/** How Rivo moves `lifetime_earnings_tally` (rivo-api.md, "the modelled behaviour"). */
export interface LifetimeModel {
  /** false (the model): a positive points diff raises lifetime, a negative one leaves it. true: both move it. */
  negativeEventsLowerLifetime: boolean;
}

export type LedgerEvent = Pick<PlannedEvent, 'kind' | 'role' | 'generation' | 'pointsAmount' | 'creditsCents' | 'value'>;

/** Lifetime change one points amount causes under the model. */
export function lifetimeEffect(pointsAmount: number, model: LifetimeModel): number {
  return model.negativeEventsLowerLifetime ? pointsAmount : Math.max(pointsAmount, 0);
}

/**
 * `start` plus `events`. Events are taken in generation order (stable within a generation), so the latest tier
 * or dob wins.
 */
export function foldEvents(events: readonly LedgerEvent[], model: LifetimeModel, start: MigratedSoFar = NOTHING_MIGRATED): MigratedSoFar {
  const out: MigratedSoFar = { ...start };
  const ordered = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.generation - b.e.generation || a.i - b.i);
  for (const { e } of ordered) {
    if (e.kind === 'points') {
      if (e.role === 'award') out.awardPoints = (out.awardPoints ?? 0) + e.pointsAmount;
      out.net += e.pointsAmount;
      out.earned += lifetimeEffect(e.pointsAmount, model);
      out.creditsCents += e.creditsCents;
    } else if (e.kind === 'tier') out.tierSet = e.value;
    else if (e.kind === 'birthday') out.dobSet = e.value;
    if (e.role !== 'rollback') out.generations = Math.max(out.generations, e.generation);
  }
  return out;
}
