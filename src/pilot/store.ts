import type { Db } from '../db/open.js';
import { UNMEASURED_PROFILE, type RivoProfile } from '../rivo/profile.js';
import { confirmed, differs, type AssumptionResult, type Assumptions, type PilotReport } from './types.js';

/**
 * The store's profile in the migration DB (table `rivo_profile`, one row): what `pilot` measured, and the person's
 * answer about batch emails. Later commands read it through `readProfile`.
 */

export interface StoredPilot {
  customer: string;
  rivoCustomerId: string;
  profile: RivoProfile;
  assumptions: Assumptions;
  measuredAt: string;
  checklist: string[];
  emailProbe: { key: string; sentAt: string } | null;
  emailAnswer: 'silent' | 'emails' | null;
  emailAnsweredAt: string | null;
}

interface Row {
  customer: string;
  rivo_customer_id: string;
  profile_json: string;
  assumptions_json: string;
  measured_at: string;
  checklist_json: string;
  email_probe_key: string | null;
  email_probe_sent_at: string | null;
  email_answer: 'silent' | 'emails' | null;
  email_answered_at: string | null;
}

function row(db: Db): Row | undefined {
  return db.prepare('SELECT * FROM rivo_profile WHERE id = 1').get() as Row | undefined;
}

export function readStoredPilot(db: Db): StoredPilot | null {
  const r = row(db);
  if (!r) return null;
  return {
    customer: r.customer,
    rivoCustomerId: r.rivo_customer_id,
    profile: { ...UNMEASURED_PROFILE, ...(JSON.parse(r.profile_json) as Partial<RivoProfile>) },
    assumptions: JSON.parse(r.assumptions_json) as Assumptions,
    measuredAt: r.measured_at,
    checklist: JSON.parse(r.checklist_json) as string[],
    emailProbe: r.email_probe_key && r.email_probe_sent_at ? { key: r.email_probe_key, sentAt: r.email_probe_sent_at } : null,
    emailAnswer: r.email_answer,
    emailAnsweredAt: r.email_answered_at,
  };
}

/** The store's measured profile, or `UNMEASURED_PROFILE` (the safe assumptions) before any pilot. */
export function readProfile(db: Db): RivoProfile {
  return readStoredPilot(db)?.profile ?? UNMEASURED_PROFILE;
}

/** Only a person who watched the inbox can say whether batch events email customers. */
export function emailAssumption(answer: 'silent' | 'emails' | null, probe: { key: string; sentAt: string } | null): AssumptionResult {
  const observed = { batchEventSent: probe !== null, personAnswered: answer };
  if (answer === 'silent') return confirmed(observed, 'rivo.sendMode auto: batches (confirmed silent by a person)');
  if (answer === 'emails')
    return differs(observed, 'rivo.sendMode auto: single events with the documented skip_email; never force batch on this store', 'adapted');
  return {
    status: 'unknown',
    observed,
    setting: 'rivo.sendMode auto: single events until someone confirms that no email arrived (`pilot --confirm-no-email`)',
    consequence: 'none',
  };
}

/** Builds the profile later commands use from the pilot's measurements. */
export function profileFrom(a: Assumptions, emailAnswer: 'silent' | 'emails' | null): RivoProfile {
  const flag = (r: AssumptionResult | undefined): boolean | null => (r?.status === 'confirmed' ? true : r?.status === 'differs' ? false : null);
  const listing = a.events_listing?.observed as { order?: RivoProfile['listing']['order']; perPageCap?: number | null } | undefined;
  const atomicity = (a.batch_atomicity?.observed as { mode?: RivoProfile['batchAtomicity'] } | undefined)?.mode;
  const lifetime = (a.lifetime_model?.observed as { model?: RivoProfile['lifetimeModel'] } | undefined)?.model;
  return {
    listing: { order: listing?.order ?? 'unknown', perPageCap: listing?.perPageCap ?? null },
    noteVerbatim: flag(a.note_verbatim),
    batchAtomicity: atomicity ?? 'unknown',
    // Whether answers say item by item what failed (in a 2xx or a 4xx): the status code is the loader's to read.
    batchItemResults: a.batch_item_results?.status === 'unknown' || !a.batch_item_results ? null : (a.batch_item_results.observed as { namesFailedItem: boolean }).namesFailedItem,
    negativeBelowZero: flag(a.negative_below_zero),
    lifetimeModel: lifetime ?? 'unknown',
    batchSkipEmail: emailAnswer ?? 'unknown',
    expiresAt: (a.expires_at?.observed as { outcome?: RivoProfile['expiresAt'] } | undefined)?.outcome ?? 'unknown',
  };
}

/**
 * Stores a pilot's result as the store's profile. The person's email answer is kept across pilots: it is about this
 * store's batch endpoint, not about one run.
 */
export function savePilot(db: Db, report: PilotReport): StoredPilot {
  const previous = row(db);
  const answer = previous?.email_answer ?? null;
  const assumptions: Assumptions = { ...report.assumptions, batch_skip_email: emailAssumption(answer, report.emailProbe) };
  const profile = profileFrom(assumptions, answer);
  db.prepare(
    `INSERT INTO rivo_profile (id, customer, rivo_customer_id, profile_json, assumptions_json, measured_at, checklist_json, email_probe_key, email_probe_sent_at, email_answer, email_answered_at)
     VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET customer = excluded.customer, rivo_customer_id = excluded.rivo_customer_id, profile_json = excluded.profile_json,
       assumptions_json = excluded.assumptions_json, measured_at = excluded.measured_at, checklist_json = excluded.checklist_json,
       email_probe_key = coalesce(excluded.email_probe_key, rivo_profile.email_probe_key),
       email_probe_sent_at = coalesce(excluded.email_probe_sent_at, rivo_profile.email_probe_sent_at)`,
  ).run(
    report.customer.given,
    report.customer.rivoId,
    JSON.stringify(profile),
    JSON.stringify(assumptions),
    report.measuredAt,
    JSON.stringify(report.checklist),
    report.emailProbe?.key ?? null,
    report.emailProbe?.sentAt ?? null,
    answer,
    previous?.email_answered_at ?? null,
  );
  return readStoredPilot(db)!;
}

/** Records the person's answer about the pilot's batch event; null when no pilot has sent one yet. */
export function recordEmailAnswer(db: Db, answer: 'silent' | 'emails'): StoredPilot | null {
  const stored = readStoredPilot(db);
  if (!stored?.emailProbe) return null;
  const assumptions: Assumptions = { ...stored.assumptions, batch_skip_email: emailAssumption(answer, stored.emailProbe) };
  const profile = profileFrom(assumptions, answer);
  db.prepare('UPDATE rivo_profile SET email_answer = ?, email_answered_at = ?, assumptions_json = ?, profile_json = ? WHERE id = 1').run(
    answer,
    new Date().toISOString(),
    JSON.stringify(assumptions),
    JSON.stringify(profile),
  );
  return readStoredPilot(db);
}
