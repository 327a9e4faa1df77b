import type { Db } from '../db/open.js';
import { formatCents } from '../util/money.js';
import { HALF_APPLIED_PROBLEM, hasEventProblem, holdOverTarget, planCompletion } from '../ledger/events.js';
import type { EventRow } from '../ledger/types.js';
import { pointsEventsOf, type Scope } from './queries.js';

/**
 * A customer's set of points events half applied: some landed, a debit was refused, and nothing is still in the air.
 * The customer is then above the target the set was planned for, by what the refused events would have taken away.
 * Pure: the engine decides what to do (complete once, then hold), the ledger records it.
 */
export interface HalfApplied {
  landed: EventRow[];
  refused: EventRow[];
  /** Points and credit (cents) the customer holds above target; at least one is positive. */
  overPoints: number;
  overCents: number;
}

/** `rows`: the customer's points events of a plan (not cancelled). Null when the customer is not above target this way. */
export function halfApplied(rows: readonly EventRow[]): HalfApplied | null {
  if (rows.some((r) => r.status === 'planned' || r.status === 'in_flight' || r.status === 'uncertain')) return null;
  const refused = rows.filter((r) => r.status === 'rejected');
  if (!refused.length) return null;
  const generations = new Set(refused.map((r) => r.generation));
  const landed = rows.filter((r) => r.status === 'done' && generations.has(r.generation));
  if (!landed.length) return null;
  const overPoints = -refused.reduce((s, r) => s + r.points_amount, 0);
  const overCents = -refused.reduce((s, r) => s + r.credits_cents, 0);
  if (overPoints <= 0 && overCents <= 0) return null;
  return { landed, refused, overPoints, overCents };
}

/** Whether an event takes points or credit away (sent after the customer's additions). */
export const isDebit = (r: Pick<EventRow, 'points_amount' | 'credits_cents'>): boolean => r.points_amount < 0 || r.credits_cents < 0;

export function describeSurplus(h: HalfApplied): string {
  const parts = [h.overPoints > 0 ? `${h.overPoints} points` : null, h.overCents > 0 ? `${formatCents(h.overCents)} credit` : null].filter(Boolean);
  return parts.join(' and ');
}

/**
 * A customer whose debit Rivo refused after the rest of its set landed is above target. The first time, the refused
 * events are planned again (same keys: Rivo refused them, so they are certainly not there) to complete the set now
 * that its additions are confirmed; if Rivo refuses again, the customer is held `rejected` with the surplus named
 * (status, reports) instead of being left silently over-credited. Returns what was done, for the log; null: nothing.
 */
export function resolveHalfApplied(db: Db, scope: Scope, customerKey: string): 'completing' | `above target by ${string}` | null {
  const h = halfApplied(pointsEventsOf(db, scope, customerKey));
  if (!h) return null;
  const keys = h.refused.map((r) => r.key);
  const reason = h.refused.map((r) => r.last_error ?? 'refused').join('; ');
  const surplus = describeSurplus(h);
  if (!keys.some((k) => hasEventProblem(db, k, HALF_APPLIED_PROBLEM))) {
    const landed = h.landed.map((r) => `[${r.key}]`).join(', ');
    planCompletion(
      db,
      customerKey,
      keys,
      `${landed} landed but Rivo refused ${keys.map((k) => `[${k}]`).join(', ')} (${reason}); the customer was ${surplus} above target, so the refused event is sent once more now that the rest is confirmed`,
    );
    return 'completing';
  }
  holdOverTarget(
    db,
    customerKey,
    keys,
    `above target by ${surplus}: Rivo refused the completing debit again (${reason}); revoke ${surplus} in Rivo by hand, or fix the cause and run retry`,
  );
  return `above target by ${surplus}`;
}
