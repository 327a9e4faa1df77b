import type { Db } from '../db/open.js';
import { pluckStatement, statement } from '../ledger/statements.js';

/**
 * What a rollback cannot undo about one-time actions: Rivo's API has no way to take an award back. The points an
 * approved award granted were counted into the migration, so the rollback's compensating event takes them back with
 * the rest; the award itself stays (the customer cannot earn that rule again), and a pending award still adds its
 * points when Rivo approves it.
 */
export interface AwardsKept {
  awarded: number;
  pending: number;
  customers: number;
  /** Awards whose answer never came: they may be in Rivo, their points not counted, so not taken back. */
  uncertain: number;
}

export function awardsKept(db: Db, maxSeq = Number.MAX_SAFE_INTEGER): AwardsKept {
  const hasTable = pluckStatement(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'awards'").get() as number;
  if (!hasTable) return { awarded: 0, pending: 0, customers: 0, uncertain: 0 };
  return statement(
    db,
    `SELECT coalesce(sum(a.status = 'awarded'), 0) AS awarded, coalesce(sum(a.status = 'pending'), 0) AS pending,
         count(DISTINCT CASE WHEN a.status IN ('awarded','pending') THEN a.customer_key END) AS customers,
         coalesce(sum(a.status IN ('in_flight','uncertain')), 0) AS uncertain
       FROM awards a JOIN customers c ON c.key = a.customer_key WHERE a.status IN ('awarded','pending','in_flight','uncertain') AND c.seq <= ?`,
  ).get(maxSeq) as AwardsKept;
}

/** The lines a rollback says about them; none when the migration awarded nothing. */
export function awardsKeptLines(k: AwardsKept): string[] {
  if (k.awarded + k.pending + k.uncertain === 0) return [];
  const uncertain = k.uncertain
    ? [`${k.uncertain} award${k.uncertain === 1 ? '' : 's'} never answered: if Rivo holds ${k.uncertain === 1 ? 'it' : 'them'}, ${k.uncertain === 1 ? 'its' : 'their'} points were not counted and stay; check those customers in Rivo (plan.csv, column one_time_actions: "uncertain").`]
    : [];
  if (k.awarded + k.pending === 0) return uncertain;
  const lines = [
    `One-time action awards cannot be taken back through Rivo's API: ${k.awarded + k.pending} award${k.awarded + k.pending === 1 ? '' : 's'} of ${k.customers} customer${k.customers === 1 ? '' : 's'} stay in Rivo (those customers cannot earn these actions again).`,
  ];
  if (k.awarded) lines.push(`The points of the ${k.awarded} approved award${k.awarded === 1 ? '' : 's'} were counted into the migration, so the rollback takes them back with the rest.`);
  if (k.pending) lines.push(`${k.pending} award${k.pending === 1 ? ' is' : 's are'} pending approval: Rivo adds ${k.pending === 1 ? 'its' : 'their'} points when it approves, after this rollback; revoke them in Rivo's admin if needed.`);
  return [...lines, ...uncertain];
}
