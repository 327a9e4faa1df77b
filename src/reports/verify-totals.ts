import type { Db } from '../db/open.js';
import { centsToDecimal } from './csv-safe.js';

import { VERIFY_OUTCOMES, type VerifyOutcome } from '../domain.js';

export { VERIFY_OUTCOMES, type VerifyOutcome };

export interface VerifyTotals {
  migrationId: string;
  generatedAt: string;
  /** Rows in verify_results: customers verification looked at. */
  checked: number;
  /** Customers per outcome; every outcome present. */
  outcomes: Record<VerifyOutcome, number>;
  /** Sums over every checked customer (a missing value counts 0). */
  points: { expected: number; actual: number; difference: number };
  lifetime: { expected: number; actual: number; difference: number };
  credits: { unit: 'cents'; expected: number; actual: number; difference: number; decimal: { expected: string; actual: string; difference: string } };
  /** Event keys the ledger says are done, found in Rivo, and found more than once. */
  keys: { expected: number; found: number; duplicated: number };
  /** Customers with at least one event key found twice or more in Rivo. */
  duplicates: number;
  /** Customers in state `migrated` without a verification result: not proven either way. */
  migratedNotVerified: number;
  /** Every checked customer matches, no key is duplicated, no migrated customer is unverified, and something was checked. */
  allMatch: boolean;
}

export function computeVerifyTotals(db: Db, opts: { migrationId: string; generatedAt: string }): VerifyTotals {
  const outcomes = Object.fromEntries(
    VERIFY_OUTCOMES.map((o) => [o, 0]),
  ) as Record<VerifyOutcome, number>;
  for (const r of db.prepare('SELECT outcome, count(*) AS n FROM verify_results GROUP BY outcome').all() as { outcome: VerifyOutcome; n: number }[])
    outcomes[r.outcome] = r.n;
  const s = db
    .prepare(
      `SELECT count(*) AS checked,
         coalesce(sum(points_expected), 0) AS pe, coalesce(sum(points_actual), 0) AS pa,
         coalesce(sum(lifetime_expected), 0) AS le, coalesce(sum(lifetime_actual), 0) AS la,
         coalesce(sum(credits_expected), 0) AS ce, coalesce(sum(credits_actual), 0) AS ca,
         coalesce(sum(keys_expected), 0) AS ke, coalesce(sum(keys_found), 0) AS kf, coalesce(sum(keys_duplicated), 0) AS kd,
         coalesce(sum(keys_duplicated > 0), 0) AS dup
       FROM verify_results`,
    )
    .get() as { checked: number; pe: number; pa: number; le: number; la: number; ce: number; ca: number; ke: number; kf: number; kd: number; dup: number };
  const migratedNotVerified = db
    .prepare("SELECT count(*) FROM customers c WHERE c.state = 'migrated' AND NOT EXISTS (SELECT 1 FROM verify_results v WHERE v.customer_key = c.key)")
    .pluck()
    .get() as number;
  return {
    migrationId: opts.migrationId,
    generatedAt: opts.generatedAt,
    checked: s.checked,
    outcomes,
    points: { expected: s.pe, actual: s.pa, difference: s.pa - s.pe },
    lifetime: { expected: s.le, actual: s.la, difference: s.la - s.le },
    credits: {
      unit: 'cents',
      expected: s.ce,
      actual: s.ca,
      difference: s.ca - s.ce,
      decimal: { expected: centsToDecimal(s.ce), actual: centsToDecimal(s.ca), difference: centsToDecimal(s.ca - s.ce) },
    },
    keys: { expected: s.ke, found: s.kf, duplicated: s.kd },
    duplicates: s.dup,
    migratedNotVerified,
    allMatch: s.checked > 0 && outcomes.match === s.checked && s.kd === 0 && migratedNotVerified === 0,
  };
}
