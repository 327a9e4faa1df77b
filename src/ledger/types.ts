import type { CustomerState, EventKind, EventRole, EventStatus, VerifyOutcome } from '../domain.js';

/** A Yotpo record as the extractor hands it to the ledger: validated values, or null ones and a reason. */
export interface ExtractedRecord {
  key: string;
  source: 'api' | 'csv';
  email: string | null;
  emailNorm: string | null;
  thirdPartyId: string | null;
  firstName: string | null;
  lastName: string | null;
  pointsBalance: number | null;
  pointsEarned: number | null;
  creditCents: number | null;
  tierName: string | null;
  birthdayMonth: number | null;
  birthDay: number | null;
  birthdayYear: number | null;
  optedIn: boolean | null;
  lastActivityAt: string | null;
  /** Yotpo's `points_expire_at`: an ISO instant, or the text as given when it is not a date (warned); absent: none. */
  pointsExpireAt?: string | null;
  rawJson: string;
  /** Hash of the values the migration carries; a change on re-extraction means a delta may be owed. */
  valuesHash: string;
  /** Why the record cannot be migrated as read, naming the field and value; null when valid. */
  invalidReason: string | null;
}

export interface CursorUpdate {
  source: string;
  /** What to ask for next; null once the source is exhausted. */
  next: string | null;
  totalPages?: number | null;
  done: boolean;
  /** The extraction pass these records belong to (meta `extract_pass`); recorded on every record read. */
  pass?: string;
  /** How many source pages these records are (several CSV pages may share a commit); 1 if absent. */
  pages?: number;
}

export interface CustomerRow {
  key: string;
  seq: number;
  source: string;
  email: string | null;
  email_norm: string | null;
  third_party_id: string | null;
  first_name: string | null;
  last_name: string | null;
  points_balance: number | null;
  points_earned: number | null;
  credit_cents: number | null;
  tier_name: string | null;
  birthday_month: number | null;
  birth_day: number | null;
  birthday_year: number | null;
  opted_in: number | null;
  last_activity_at: string | null;
  /** Schema 008; absent in rows built by hand. */
  points_expire_at?: string | null;
  /** mapping.history: `replayed (N events…)` / `fallback: <reason>`; null: history off (migration 010). */
  history_status?: string | null;
  raw_json: string;
  values_hash: string;
  invalid_reason: string | null;
  extracted_at: string;
  state: CustomerState;
  state_reason: string | null;
  state_changed_at: string | null;
  planned_hash: string | null;
  rivo_id: string | null;
  rivo_email: string | null;
  rivo_points_before: number | null;
  rivo_lifetime_before: number | null;
  rivo_credits_before: number | null;
  rivo_tier_before: string | null;
  rivo_tier_name_before: string | null;
  rivo_dob_before: string | null;
  rivo_seen_at: string | null;
  plan_notes: string | null;
  /** The extraction pass that last read the record (schema 006); absent in rows built by hand. */
  seen_pass?: string | null;
  target_points: number | null;
  target_lifetime: number | null;
  target_credits: number | null;
  predicted_points: number | null;
  predicted_lifetime: number | null;
  predicted_credits: number | null;
  predicted_tier: string | null;
  predicted_dob: string | null;
  planned_at: string | null;
}

export interface EventRow {
  key: string;
  customer_key: string;
  rivo_id: string;
  kind: EventKind;
  role: EventRole;
  generation: number;
  points_amount: number;
  credits_cents: number;
  value: string | null;
  applied_at: string | null;
  /** Schema 008: sent as `expires_at`; absent in rows built by hand. */
  expires_at?: string | null;
  internal_note: string;
  external_note: string | null;
  status: EventStatus;
  attempts: number;
  batch_id: string | null;
  rivo_event_id: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  done_at: string | null;
}

/** A row of `verify_results`: the latest comparison of one customer with Rivo. */
export interface VerifyResultRow {
  customer_key: string;
  rivo_id: string | null;
  checked_at: string;
  outcome: VerifyOutcome;
  points_expected: number | null;
  points_actual: number | null;
  lifetime_expected: number | null;
  lifetime_actual: number | null;
  credits_expected: number | null;
  credits_actual: number | null;
  tier_expected: string | null;
  tier_actual: string | null;
  dob_expected: string | null;
  dob_actual: string | null;
  keys_expected: number | null;
  keys_found: number | null;
  keys_duplicated: number;
  detail: string | null;
}
