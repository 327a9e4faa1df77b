/**
 * Data shapes of the two stand-ins, as they go over the wire (see shared/reference/*-api.md).
 */

/**
 * A Yotpo customer record exactly as `GET /customers…` serves it. Balances are typed loosely on purpose: the
 * generator puts strings, fractions and nulls there, because real exports do.
 */
export interface YotpoRecord {
  email: string;
  third_party_id?: string | null;
  /** The misspelled twin some records carry instead of `third_party_id`. */
  thirty_party_id?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  phone_number?: string | null;
  points_balance?: number | string | null;
  points_earned?: number | string | null;
  /** Decimal string, store-credit programs only. */
  credit_balance?: string | null;
  points_expire_at?: string | null;
  vip_tier_name?: string | null;
  vip_tier_entry_date?: string | null;
  vip_tier_expiration?: string | null;
  birthday_month?: number | null;
  birth_day?: number | null;
  birthday_year?: number | null;
  opt_in?: boolean | null;
  opted_in_at?: string | null;
  total_spend_cents?: number | null;
  total_purchases?: number | null;
  perks_redeemed?: number | null;
  last_purchase_at?: string | null;
  last_seen_at?: string | null;
  [extra: string]: unknown;
}

export interface YotpoTier {
  id: number;
  name: string;
  rank: number;
  points_needed: number;
}

export interface YotpoHistoryItem {
  created_at: string;
  date: string;
  action: string;
  points: number;
  status: string;
  action_name?: string;
  completed_at?: string;
}

export interface RivoTierRecord {
  id: number;
  name: string;
  threshold: number;
  perks: string[];
  rewards: { id: number; name: string }[];
}

/** Customer attributes as `GET /customers/{id}` serves them. */
export interface RivoCustomerAttributes {
  id: number;
  email: string;
  first_name: string | null;
  last_name: string | null;
  points_tally: number;
  /** Decimal string, e.g. "25.0". */
  credits_tally: string;
  /** Null for customers who never earned. */
  lifetime_earnings_tally: number | null;
  loyalty_status: 'member' | 'guest';
  vip_tier: { id: number; name: string } | null;
  dob: string | null;
  points_expire_at: string | null;
  referral_code: string;
  orders_count: number;
  total_spent: number;
}

/** One points event as the Rivo stand-in stored it. `skip_email` is kept exactly as received. */
export interface RivoEventRecord {
  id: number;
  customer_id: number;
  /** What the client sent (Shopify id or email). */
  customer_identifier: string;
  source: string;
  points_amount: number;
  points_diff: number;
  credits_amount: number;
  credits_diff: number;
  internal_note: string | null;
  external_note: string | null;
  custom_action_name: string | null;
  applied_at: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  skip_email: unknown;
  /** Whether it came through `POST /points_events/batch`. */
  via_batch: boolean;
  /** Whether the customer was emailed (skip_email not true, or a batch endpoint that ignores it). */
  emailed: boolean;
}
