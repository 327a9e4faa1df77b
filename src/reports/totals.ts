import { ATTENTION_STATES, CUSTOMER_STATES, type CustomerState } from '../domain.js';
import { UNMAPPED_TIER_NOTE_LIKE } from '../mapper/tiers.js';
import type { Db } from '../db/open.js';
import { countByState } from '../ledger/customers.js';
import { centsToDecimal } from './csv-safe.js';

/**
 * The totals that prove a migration, computed with SQL aggregates (never by loading customers), each side of every
 * check from its own query so that a ledger that does not account for the plan makes the check fail.
 *
 * Definitions (points; credits the same in cents with target_credits / credit_cents, lifetime with target_lifetime /
 * points_earned):
 * - owed (left side), per customer:
 *   - held (unmatched, conflict): their Yotpo `points_balance`. Holding a customer cancels their unsent events, so a
 *     target from an earlier plan no longer stands: they are owed their balance once their identity is resolved.
 *   - else, when the planner stored a target: `target_points` (pending, migrated, rejected, nothing_to_migrate, and
 *     invalid customers planned before their record became unreadable: their events still stand).
 *   - else invalid (never planned: the balance did not parse) and nothing_to_migrate (skipped by the identity map): 0.
 *   - else (pending, read but not planned yet): their Yotpo balance.
 *   `planned` is the sum over every customer read; `unparseable` counts the invalid customers.
 * - migrated: points of `done` events, rollback events excluded.
 * - pending: points of `planned`, `in_flight` and `uncertain` events, rollback excluded.
 * - other: the rest, by customer state: points of `rejected` events, plus the Yotpo balance of every customer whose
 *   owed amount is their balance (held, or not planned yet). Cancelled events count nowhere (superseded).
 * - pointsAddUp: planned === migrated + pending + other (`accounted`), each side from its own query.
 */

const HELD_STATES = ['unmatched', 'conflict'] as const satisfies readonly CustomerState[];
const HELD_SQL = `(${HELD_STATES.map((s) => `'${s}'`).join(',')})`;

/** What the migration owes a customer, in SQL (see the definitions above). */
const owedSql = (target: string, yotpo: string) =>
  `CASE WHEN state IN ${HELD_SQL} THEN coalesce(${yotpo}, 0)
        WHEN ${target} IS NOT NULL THEN ${target}
        WHEN state IN ('invalid', 'nothing_to_migrate') THEN 0
        ELSE coalesce(${yotpo}, 0) END`;
/** The part of the owed amount that is a Yotpo value rather than a plan target, in SQL (the right side's share). */
const owedYotpoSql = (target: string, yotpo: string) =>
  `CASE WHEN state IN ${HELD_SQL} THEN coalesce(${yotpo}, 0)
        WHEN ${target} IS NOT NULL THEN 0
        WHEN state IN ('invalid', 'nothing_to_migrate') THEN 0
        ELSE coalesce(${yotpo}, 0) END`;
/** Whether the customer's plan stands (planned and not held), in SQL. */
const PLAN_STANDS = `(planned_at IS NOT NULL AND state NOT IN ${HELD_SQL})`;

export type ByState = Record<CustomerState, number>;

/** Both sides of the "planned = migrated + pending + other" identity, for points or for credits (cents). */
export interface AmountTotals {
  unit: 'points' | 'cents';
  /** Left side: what the migration owes, summed over every customer read. */
  planned: number;
  /** Done events, rollback excluded. */
  migrated: number;
  /** Planned, in-flight and uncertain events, rollback excluded. */
  pending: number;
  /** Neither migrated nor pending: rejected events, and the Yotpo value of customers never planned or held. */
  other: number;
  /** Right side: migrated + pending + other. */
  accounted: number;
  /** planned - accounted: 0 when the totals add up. */
  difference: number;
  /** What is owed, by customer state (sums to `planned`). */
  byState: ByState;
  /** `other`, by customer state (sums to `other`). */
  otherByState: ByState;
  /** `other`, by where it comes from. */
  otherFrom: { rejectedEvents: number; notPlanned: number };
  /** Rollback events (compensations), outside the identity. */
  rolledBack: { done: number; pending: number };
  /** The Yotpo values as read (points_balance or credit_cents), summed: for information. */
  yotpo: number;
}

export interface DecimalAmounts {
  planned: string;
  migrated: string;
  pending: string;
  other: string;
  accounted: string;
  difference: string;
  yotpo: string;
  byState: Record<CustomerState, string>;
  otherByState: Record<CustomerState, string>;
  rolledBack: { done: string; pending: string };
}

export interface PlanTotals {
  migrationId: string;
  generatedAt: string;
  /** Customers read (rows in the DB). */
  customers: number;
  /** Customers per state; every state present. */
  states: ByState;
  points: AmountTotals & {
    unit: 'points';
    /** Customers whose Yotpo record could not be used (state invalid): never planned, they owe 0 in `planned`. */
    unparseable: number;
  };
  credits: AmountTotals & { unit: 'cents'; decimal: DecimalAmounts };
  lifetime: {
    unit: 'points';
    /** Sum of Yotpo points_earned as read. */
    yotpo: number;
    /** Lifetime increase owed, by the same rule as points (target_lifetime, or Yotpo points_earned). */
    planned: number;
    /** Sum of predicted lifetime tallies of customers whose plan stands. */
    predicted: number;
    byState: ByState;
  };
  tiers: {
    /** Yotpo tier name -> planned customers whose tier maps to a Rivo tier. */
    mapped: Record<string, number>;
    /** Yotpo tier name -> planned customers whose plan says the tier could not be mapped. */
    unmapped: Record<string, number>;
    /** Yotpo tier name -> customers not planned (yet), or held (unmatched, conflict). */
    notPlanned: Record<string, number>;
  };
  /** Customers in a state that needs the merchant (unmatched, conflict, rejected, invalid). */
  attention: number;
  /** Rows in the problems table. */
  problems: number;
  problemsByKind: Record<string, number>;
  checks: {
    customersAddUp: boolean;
    pointsAddUp: boolean;
    creditsAddUp: boolean;
    customers: { read: number; sumOfStates: number };
    points: { planned: number; accounted: number };
    credits: { planned: number; accounted: number };
  };
}

const zeroByState = (): ByState => Object.fromEntries(CUSTOMER_STATES.map((s) => [s, 0])) as ByState;
const sumOf = (r: ByState) => CUSTOMER_STATES.reduce((a, s) => a + r[s], 0);
const isState = (s: string): s is CustomerState => (CUSTOMER_STATES as readonly string[]).includes(s);

/** A plan note the mapper attaches when a Yotpo tier has no Rivo tier. */
export const UNMAPPED_TIER_NOTE_SQL = `EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(plan_notes) THEN plan_notes ELSE '[]' END) n
  WHERE n.value LIKE '${UNMAPPED_TIER_NOTE_LIKE}')`;

export function computePlanTotals(db: Db, opts: { migrationId: string; generatedAt: string }): PlanTotals {
  const states = countByState(db);
  const read = db.prepare('SELECT count(*) FROM customers').pluck().get() as number;
  const sumOfStates = sumOf(states);

  // Left side: what is owed, by state.
  const left = db
    .prepare(
      `SELECT state,
         sum(${owedSql('target_points', 'points_balance')}) AS points,
         sum(${owedSql('target_credits', 'credit_cents')}) AS credits,
         sum(${owedSql('target_lifetime', 'points_earned')}) AS lifetime,
         sum(coalesce(points_balance, 0)) AS yotpo_points,
         sum(coalesce(credit_cents, 0)) AS yotpo_credits,
         sum(coalesce(points_earned, 0)) AS yotpo_lifetime,
         sum(CASE WHEN state NOT IN ${HELD_SQL} AND target_lifetime IS NOT NULL THEN coalesce(predicted_lifetime, 0) ELSE 0 END) AS predicted_lifetime
       FROM customers GROUP BY state`,
    )
    .all() as { state: string; points: number; credits: number; lifetime: number; yotpo_points: number; yotpo_credits: number; yotpo_lifetime: number; predicted_lifetime: number }[];

  // Right side, part 1: the ledger's events. Only rejected ones are counted by their customer's state, so only those
  // are joined to their customers: joining every event took 10.8 s of a 1M-customer plan report, a scan of the events
  // alone 1.8 s (NOT INDEXED: a sum over every row reads the table in order, not through the status index).
  const events = db
    .prepare(
      `SELECT status, role = 'rollback' AS rollback, sum(points_amount) AS points, sum(credits_cents) AS credits
       FROM events NOT INDEXED WHERE status <> 'cancelled' GROUP BY status, role = 'rollback'`,
    )
    .all() as { status: string; rollback: number; points: number; credits: number }[];
  const rejectedByState = db
    .prepare(
      `SELECT c.state AS state, sum(e.points_amount) AS points, sum(e.credits_cents) AS credits
       FROM events e JOIN customers c ON c.key = e.customer_key
       WHERE e.status = 'rejected' AND e.role IS NOT 'rollback' GROUP BY c.state`,
    )
    .all() as { state: string; points: number; credits: number }[];

  // Right side, part 2: customers whose owed amount is their Yotpo value (held, or not planned yet).
  const notPlanned = db
    .prepare(
      `SELECT state, sum(${owedYotpoSql('target_points', 'points_balance')}) AS points,
         sum(${owedYotpoSql('target_credits', 'credit_cents')}) AS credits
       FROM customers GROUP BY state`,
    )
    .all() as { state: string; points: number; credits: number }[];

  const build = (unit: 'points' | 'cents', pick: 'points' | 'credits', yotpoCol: 'yotpo_points' | 'yotpo_credits'): AmountTotals => {
    const byState = zeroByState();
    const otherByState = zeroByState();
    let yotpo = 0;
    for (const r of left) {
      if (isState(r.state)) byState[r.state] += r[pick];
      yotpo += r[yotpoCol];
    }
    let migrated = 0;
    let pending = 0;
    let rejectedEvents = 0;
    const rolledBack = { done: 0, pending: 0 };
    for (const e of events) {
      const amount = e[pick];
      if (e.rollback) {
        if (e.status === 'done') rolledBack.done += amount;
        else if (e.status !== 'rejected') rolledBack.pending += amount;
        continue;
      }
      if (e.status === 'done') migrated += amount;
      else if (e.status === 'planned' || e.status === 'in_flight' || e.status === 'uncertain') pending += amount;
      else if (e.status === 'rejected') rejectedEvents += amount;
    }
    for (const r of rejectedByState) if (isState(r.state)) otherByState[r.state] += r[pick];
    let notPlannedSum = 0;
    for (const r of notPlanned) {
      notPlannedSum += r[pick];
      if (isState(r.state)) otherByState[r.state] += r[pick];
    }
    const other = rejectedEvents + notPlannedSum;
    const planned = sumOf(byState);
    const accounted = migrated + pending + other;
    return {
      unit,
      planned,
      migrated,
      pending,
      other,
      accounted,
      difference: planned - accounted,
      byState,
      otherByState,
      otherFrom: { rejectedEvents, notPlanned: notPlannedSum },
      rolledBack,
      yotpo,
    };
  };

  const points = build('points', 'points', 'yotpo_points');
  const credits = build('cents', 'credits', 'yotpo_credits');
  const lifetimeByState = zeroByState();
  let lifetimeYotpo = 0;
  let lifetimePredicted = 0;
  for (const r of left) {
    if (isState(r.state)) lifetimeByState[r.state] += r.lifetime;
    lifetimeYotpo += r.yotpo_lifetime;
    lifetimePredicted += r.predicted_lifetime;
  }

  const tiers = { mapped: {} as Record<string, number>, unmapped: {} as Record<string, number>, notPlanned: {} as Record<string, number> };
  const tierRows = db
    .prepare(
      `SELECT tier_name AS name,
         CASE WHEN NOT ${PLAN_STANDS} THEN 'notPlanned'
              WHEN ${UNMAPPED_TIER_NOTE_SQL} THEN 'unmapped' ELSE 'mapped' END AS kind,
         count(*) AS n
       FROM customers WHERE tier_name IS NOT NULL AND tier_name <> '' GROUP BY tier_name, kind ORDER BY tier_name`,
    )
    .all() as { name: string; kind: 'mapped' | 'unmapped' | 'notPlanned'; n: number }[];
  for (const t of tierRows) tiers[t.kind][t.name] = t.n;

  const problemsByKind: Record<string, number> = {};
  for (const p of db.prepare('SELECT kind, count(*) AS n FROM problems GROUP BY kind ORDER BY kind').all() as { kind: string; n: number }[])
    problemsByKind[p.kind] = p.n;

  const dec = (a: AmountTotals): DecimalAmounts => ({
    planned: centsToDecimal(a.planned),
    migrated: centsToDecimal(a.migrated),
    pending: centsToDecimal(a.pending),
    other: centsToDecimal(a.other),
    accounted: centsToDecimal(a.accounted),
    difference: centsToDecimal(a.difference),
    yotpo: centsToDecimal(a.yotpo),
    byState: Object.fromEntries(CUSTOMER_STATES.map((s) => [s, centsToDecimal(a.byState[s])])) as Record<CustomerState, string>,
    otherByState: Object.fromEntries(CUSTOMER_STATES.map((s) => [s, centsToDecimal(a.otherByState[s])])) as Record<CustomerState, string>,
    rolledBack: { done: centsToDecimal(a.rolledBack.done), pending: centsToDecimal(a.rolledBack.pending) },
  });

  return {
    migrationId: opts.migrationId,
    generatedAt: opts.generatedAt,
    customers: read,
    states,
    points: { ...points, unit: 'points', unparseable: states.invalid },
    credits: { ...credits, unit: 'cents', decimal: dec(credits) },
    lifetime: { unit: 'points', yotpo: lifetimeYotpo, planned: sumOf(lifetimeByState), predicted: lifetimePredicted, byState: lifetimeByState },
    tiers,
    attention: ATTENTION_STATES.reduce((a, s) => a + states[s], 0),
    problems: Object.values(problemsByKind).reduce((a, n) => a + n, 0),
    problemsByKind,
    checks: {
      customersAddUp: read === sumOfStates,
      pointsAddUp: points.planned === points.accounted,
      creditsAddUp: credits.planned === credits.accounted,
      customers: { read, sumOfStates },
      points: { planned: points.planned, accounted: points.accounted },
      credits: { planned: credits.planned, accounted: credits.accounted },
    },
  };
}
