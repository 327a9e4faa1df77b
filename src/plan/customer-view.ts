import type { RivoCustomerSnapshot, YotpoCustomer } from '../domain.js';
import type { CustomerRow } from '../ledger/types.js';

/** The mapper's view of a stored, valid Yotpo record. */
export function yotpoCustomerOf(row: CustomerRow): YotpoCustomer {
  if (row.points_balance === null)
    throw new Error(`customer ${row.key} has no valid balance; it should be invalid, not planned`);
  return {
    key: row.key,
    email: row.email,
    thirdPartyId: row.third_party_id,
    firstName: row.first_name,
    lastName: row.last_name,
    pointsBalance: row.points_balance,
    // A CSV export without a lifetime column: lifetime is taken as the balance (the planner notes it).
    pointsEarned: row.points_earned ?? row.points_balance,
    // Only store-credit programs have a credit balance: none means nothing to carry.
    creditCents: row.credit_cents ?? 0,
    tierName: row.tier_name,
    birthdayMonth: row.birthday_month,
    birthDay: row.birth_day,
    birthdayYear: row.birthday_year,
    optedIn: row.opted_in === null ? null : row.opted_in === 1,
    lastActivityAt: row.last_activity_at,
    pointsExpireAt: row.points_expire_at ?? null,
  };
}

/** Rivo as first observed for this customer (the baseline every plan, prediction and check is made against). */
export function rivoBeforeOf(row: CustomerRow): RivoCustomerSnapshot {
  if (row.rivo_id === null || row.rivo_points_before === null || row.rivo_credits_before === null)
    throw new Error(`customer ${row.key} was not matched in Rivo`);
  return {
    id: row.rivo_id,
    email: row.rivo_email,
    pointsTally: row.rivo_points_before,
    lifetimeTally: row.rivo_lifetime_before,
    creditsCents: row.rivo_credits_before,
    tierId: row.rivo_tier_before,
    tierName: row.rivo_tier_name_before,
    dob: row.rivo_dob_before,
    loyaltyStatus: null,
  };
}
