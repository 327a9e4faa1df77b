import type { Db } from '../db/open.js';
import type { CustomerRow } from '../ledger/types.js';
import { makeRedactor } from '../reports/redact.js';
import { customerActions, type CustomerActions } from '../awards/view.js';

/**
 * One customer's whole story, read from the migration DB only: what Yotpo said, how the identity was decided, what
 * was planned, every event with its key, status and Rivo id, and what verification found. Two Yotpo records of one
 * person (a conflict) are both shown.
 */

export interface ShownEvent {
  key: string;
  kind: string;
  role: string;
  generation: number;
  points: number;
  creditsCents: number;
  value: string | null;
  /** The `expires_at` this event carries to Rivo (null: none). */
  expiresAt: string | null;
  /** Backdating and the customer-facing text (a replayed history item shows Yotpo's date and words). */
  appliedAt: string | null;
  externalNote: string | null;
  status: string;
  attempts: number;
  rivoEventId: string | null;
  lastError: string | null;
  doneAt: string | null;
}

export interface ShownCustomer {
  seq: number;
  key: string;
  yotpo: {
    email: string | null;
    shopifyId: string | null;
    name: string | null;
    pointsBalance: number | null;
    pointsEarned: number | null;
    creditCents: number | null;
    tier: string | null;
    birthday: string | null;
    /** Yotpo's `points_expire_at` as read (unreadable text is kept as given; the plan's notes say so). */
    pointsExpireAt: string | null;
    source: string;
    extractedAt: string;
    invalidReason: string | null;
  };
  identity: { state: string; reason: string | null; rivoId: string | null; rivoEmail: string | null; candidateRivoId: string | null; explicit: boolean };
  rivoBefore: { points: number | null; lifetime: number | null; creditCents: number | null; tier: string | null; dob: string | null };
  plan: {
    targetPoints: number | null;
    targetLifetime: number | null;
    targetCreditCents: number | null;
    predicted: { points: number | null; lifetime: number | null; creditCents: number | null; tier: string | null; dob: string | null };
    notes: string[];
  };
  /** mapping.history: what the plan made of the history, and the stored lookup (null: never looked up). */
  history: { status: string | null; lookup: { status: string; reason: string | null; items: number; lookedUpAt: string } | null };
  events: ShownEvent[];
  verify: Record<string, unknown> | null;
  problems: { at: string; kind: string; eventKey: string | null; detail: string }[];
  /** One-time actions (awards/view.ts): awarded, pending, not awarded and why, unmapped; null when none. */
  oneTimeActions?: CustomerActions | null;
}

/** The records for an email (any case, spaces around), a Shopify id, or a record key. */
export function findCustomers(db: Db, query: string): CustomerRow[] {
  const q = query.trim();
  return db
    .prepare('SELECT * FROM customers WHERE email_norm = ? OR third_party_id = ? OR key = ? ORDER BY seq')
    .all(q.toLowerCase(), q, q) as CustomerRow[];
}

export function showCustomer(db: Db, c: CustomerRow, redact = false): ShownCustomer {
  const r = makeRedactor(redact);
  const candidate = db.prepare('SELECT rivo_id, explicit FROM match_candidates WHERE customer_key = ?').get(c.key) as { rivo_id: string; explicit: number } | undefined;
  const events = (
    db
      .prepare(
        `SELECT key, kind, role, generation, points_amount, credits_cents, value, expires_at, applied_at, external_note, status, attempts, rivo_event_id, last_error, done_at
         FROM events WHERE customer_key = ? ORDER BY generation, created_at, key`,
      )
      .all(c.key) as {
      key: string; kind: string; role: string; generation: number; points_amount: number; credits_cents: number; value: string | null; expires_at: string | null; applied_at: string | null; external_note: string | null;
      status: string; attempts: number; rivo_event_id: string | null; last_error: string | null; done_at: string | null;
    }[]
  ).map((e) => ({
    key: e.key,
    kind: e.kind,
    role: e.role,
    generation: e.generation,
    points: e.points_amount,
    creditsCents: e.credits_cents,
    value: e.value,
    expiresAt: e.expires_at,
    appliedAt: e.applied_at,
    externalNote: e.external_note,
    status: e.status,
    attempts: e.attempts,
    rivoEventId: e.rivo_event_id,
    lastError: r.text(e.last_error),
    doneAt: e.done_at,
  }));
  const verify = (db.prepare('SELECT * FROM verify_results WHERE customer_key = ?').get(c.key) as Record<string, unknown> | undefined) ?? null;
  if (verify) {
    delete verify.customer_key;
    verify.detail = r.text((verify.detail as string | null) ?? null);
  }
  const problems = (db.prepare('SELECT at, kind, event_key, detail FROM problems WHERE customer_key = ? ORDER BY id').all(c.key) as { at: string; kind: string; event_key: string | null; detail: string }[]).map(
    (p) => ({ at: p.at, kind: p.kind, eventKey: p.event_key, detail: r.text(p.detail) ?? '' }),
  );
  const lookup = db.prepare('SELECT status, reason, item_count, looked_up_at FROM history_lookups WHERE customer_key = ?').get(c.key) as
    | { status: string; reason: string | null; item_count: number; looked_up_at: string }
    | undefined;
  const name = [c.first_name, c.last_name].filter((p) => p && p.trim()).join(' ') || null;
  const birthday = c.birthday_month ? `${c.birthday_year ?? '????'}-${String(c.birthday_month).padStart(2, '0')}-${String(c.birth_day ?? 0).padStart(2, '0')}` : null;
  let notes: string[] = [];
  try {
    notes = c.plan_notes ? (JSON.parse(c.plan_notes) as string[]) : [];
  } catch {
    notes = [c.plan_notes ?? ''];
  }
  return {
    seq: c.seq,
    key: r.text(c.key)!,
    yotpo: {
      email: r.email(c.email),
      shopifyId: c.third_party_id,
      name: r.name(name),
      pointsBalance: c.points_balance,
      pointsEarned: c.points_earned,
      creditCents: c.credit_cents,
      tier: c.tier_name,
      birthday,
      pointsExpireAt: r.text(c.points_expire_at ?? null),
      source: c.source,
      extractedAt: c.extracted_at,
      invalidReason: c.invalid_reason,
    },
    identity: {
      state: c.state,
      reason: r.text(c.state_reason),
      rivoId: c.rivo_id,
      rivoEmail: r.email(c.rivo_email),
      candidateRivoId: candidate?.rivo_id ?? null,
      explicit: candidate?.explicit === 1,
    },
    rivoBefore: { points: c.rivo_points_before, lifetime: c.rivo_lifetime_before, creditCents: c.rivo_credits_before, tier: c.rivo_tier_name_before ?? c.rivo_tier_before, dob: c.rivo_dob_before },
    plan: {
      targetPoints: c.target_points,
      targetLifetime: c.target_lifetime,
      targetCreditCents: c.target_credits,
      predicted: { points: c.predicted_points, lifetime: c.predicted_lifetime, creditCents: c.predicted_credits, tier: c.predicted_tier, dob: c.predicted_dob },
      notes,
    },
    history: {
      status: r.text(c.history_status ?? null),
      lookup: lookup ? { status: lookup.status, reason: r.text(lookup.reason), items: lookup.item_count, lookedUpAt: lookup.looked_up_at } : null,
    },
    events,
    verify,
    problems,
    oneTimeActions: customerActions(db, c.key),
  };
}
