import type { EventRole, PlannedEvent } from '../domain.js';

/**
 * What the ledger says this migration did for one customer, and so what Rivo should show: the one model that the
 * planner (a delta against what may have reached Rivo, and its stored prediction), verify (what the done events
 * should have made of Rivo) and rollback (what to take back, which tier and birthday to restore) all use.
 * - `inWriteOrder`: the one order of events, the order their writes reached Rivo;
 * - `foldEvents`: the one sum of events in that order (the latest tier and birthday win);
 * - `rivoShows`: Rivo as first observed plus a fold.
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

export type LedgerEvent = Pick<PlannedEvent, 'kind' | 'role' | 'generation' | 'pointsAmount' | 'creditsCents' | 'value'> & {
  /**
   * When the write reached Rivo (`done_at`), or may have (the last time it was sent: `updated_at`); absent for an
   * event not written yet (a plan being made), which comes after every written one.
   */
  at?: string | null;
};

/** What places an event in write order. */
export interface WriteTime {
  at?: string | null;
  role: EventRole;
  generation: number;
}

const NOT_WRITTEN = '\uffff';

/**
 * Events in the order their writes reached Rivo: by the time each was written; on a tie (one batch, or no times) a
 * rollback after what it undoes (a restoration is always made after the write it reverts), then by generation (a
 * generation is planned only once the one before is settled), then as given. The latest tier or dob write is the
 * last of its kind in this order.
 */
export function inWriteOrder<T>(items: readonly T[], of: (item: T) => WriteTime = (item) => item as unknown as WriteTime): T[] {
  return items
    .map((item, i) => ({ item, t: of(item), i }))
    .sort((a, b) => {
      const ta = a.t.at ?? NOT_WRITTEN;
      const tb = b.t.at ?? NOT_WRITTEN;
      return (
        (ta < tb ? -1 : ta > tb ? 1 : 0) ||
        Number(a.t.role === 'rollback') - Number(b.t.role === 'rollback') ||
        a.t.generation - b.t.generation ||
        a.i - b.i
      );
    })
    .map(({ item }) => item);
}

/** Lifetime change one points amount causes under the model. */
export function lifetimeEffect(pointsAmount: number, model: LifetimeModel): number {
  return model.negativeEventsLowerLifetime ? pointsAmount : Math.max(pointsAmount, 0);
}

/** `start` plus `events`, taken in write order (`inWriteOrder`), so the latest tier or dob wins. */
export function foldEvents(events: readonly LedgerEvent[], model: LifetimeModel, start: MigratedSoFar = NOTHING_MIGRATED): MigratedSoFar {
  const out: MigratedSoFar = { ...start };
  for (const e of inWriteOrder(events)) {
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

/** Rivo's values for one customer, as the model sees them. */
export interface RivoShows {
  points: number;
  /** Null while Rivo reports none and nothing moved it. */
  lifetime: number | null;
  creditsCents: number;
  tierId: string | null;
  dob: string | null;
}

/**
 * What Rivo should show: Rivo as first observed plus the fold. A null lifetime stays null while the fold's lifetime
 * effect is 0 (under the modelled behaviour that is exactly "nothing positive posted").
 */
export function rivoShows(before: RivoShows, folded: MigratedSoFar): RivoShows {
  return {
    points: before.points + folded.net,
    lifetime: before.lifetime === null && folded.earned === 0 ? null : (before.lifetime ?? 0) + folded.earned,
    creditsCents: before.creditsCents + folded.creditsCents,
    tierId: folded.tierSet ?? before.tierId,
    dob: folded.dobSet ?? before.dob,
  };
}
