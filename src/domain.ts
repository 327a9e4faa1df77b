/**
 * Names shared by every stage. The per-customer state set and the event status set are closed unions:
 * `ledger/` owns every transition between them.
 */

/** Where a Yotpo customer stands in the migration. Every customer read is in exactly one. */
export const CUSTOMER_STATES = [
  'pending', // read, not yet planned or planned with events still to send
  'migrated', // every planned event and update confirmed in Rivo
  'nothing_to_migrate', // matched, but nothing is owed (zero balance, skipped by a rule, already migrated)
  'unmatched', // Rivo does not know the customer (yet): retried on the next run
  'conflict', // two Yotpo records resolve to one Rivo customer: held until the user maps them
  'rejected', // Rivo refused an event or update; reason kept
  'invalid', // the Yotpo record itself is unusable; reason kept
] as const;
export type CustomerState = (typeof CUSTOMER_STATES)[number];

/** Customer states that need the merchant's attention: a run that ends with any of them exits 3. */
export const ATTENTION_STATES: readonly CustomerState[] = ['unmatched', 'conflict', 'rejected', 'invalid'];

/**
 * Life of one outgoing write (points event, tier update, birthday update).
 *  planned   -> in_flight (intent committed before the request leaves)
 *  in_flight -> done | rejected | uncertain
 *  uncertain -> done (found by read-back) | planned (read-back proved absence: may be sent again)
 *  planned   -> cancelled (superseded by a re-plan before it was ever sent)
 */
export const EVENT_STATUSES = ['planned', 'in_flight', 'uncertain', 'done', 'rejected', 'cancelled'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** How a customer compared with Rivo at the latest verification. */
export const VERIFY_OUTCOMES = ['match', 'mismatch', 'missing', 'not_checked'] as const;
export type VerifyOutcome = (typeof VERIFY_OUTCOMES)[number];

/** What an outgoing write does in Rivo. */
export type EventKind = 'points' | 'tier' | 'birthday';

/**
 * Why the event exists, part of its key. `earned`/`spent` come from the lifetime strategy, `balance` from the
 * balance strategy or a set-mode adjustment, `credit` moves store credit, `rollback` undoes a customer's net effect.
 */
export type EventRole = 'earned' | 'spent' | 'balance' | 'credit' | 'tier' | 'birthday' | 'rollback' | 'pilot' | 'history' | 'award';

/** A Yotpo customer as validated and stored by the extractor. Integers are whole points; credit is in cents. */
export interface YotpoCustomer {
  /** Stable key of the Yotpo record inside this migration (see `extract/record-key.ts`). */
  key: string;
  email: string | null;
  thirdPartyId: string | null;
  firstName: string | null;
  lastName: string | null;
  pointsBalance: number;
  pointsEarned: number;
  creditCents: number;
  tierName: string | null;
  birthdayMonth: number | null;
  birthDay: number | null;
  birthdayYear: number | null;
  optedIn: boolean | null;
  lastActivityAt: string | null;
  /** Yotpo's `points_expire_at` as stored (an ISO instant, or unreadable text); absent or null: none. */
  pointsExpireAt?: string | null;
}

/** A Rivo customer as the planner observed it (before anything was posted for them). */
export interface RivoCustomerSnapshot {
  id: string;
  email: string | null;
  pointsTally: number;
  lifetimeTally: number | null;
  creditsCents: number;
  tierId: string | null;
  tierName: string | null;
  dob: string | null;
  loyaltyStatus: string | null;
}

export interface RivoTier {
  id: string;
  name: string;
}

/** A write the mapper says is owed. Amounts are signed. */
export interface PlannedEvent {
  key: string;
  kind: EventKind;
  role: EventRole;
  /** 0 for the first migration of a customer, then 1, 2, … for each delta run that owed something. */
  generation: number;
  pointsAmount: number;
  creditsCents: number;
  /** Tier id for `tier`, ISO date for `birthday`. */
  value: string | null;
  appliedAt: string | null;
  internalNote: string;
  externalNote: string | null;
  /** Sent as `expires_at` (the migrated earn event only, when `mapping.expiry` says so); absent or null: not sent. */
  expiresAt?: string | null;
}
