import type { EventRow } from '../ledger/types.js';

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
  const parts = [h.overPoints > 0 ? `${h.overPoints} points` : null, h.overCents > 0 ? `${(h.overCents / 100).toFixed(2)} credit` : null].filter(Boolean);
  return parts.join(' and ');
}
