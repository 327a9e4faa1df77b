/** The pilot's answer, one entry per assumption (names as in the pilot issue and `--json`). */

export const ASSUMPTION_NAMES = [
  'events_listing',
  'note_verbatim',
  'batch_atomicity',
  'batch_item_results',
  'negative_below_zero',
  'lifetime_model',
  'batch_skip_email',
  'expires_at',
  'tier_endpoint',
  'dob_format',
] as const;
export type AssumptionName = (typeof ASSUMPTION_NAMES)[number];

export type AssumptionStatus = 'confirmed' | 'differs' | 'unknown';

/**
 * What a difference means for the run: `none` (as modelled), `adapted` (the tool handles it from the stored
 * profile), `attention` (the merchant must change a setting or check something), `blocking` (this store cannot be
 * migrated exactly: nothing should be sent).
 */
export type Consequence = 'none' | 'adapted' | 'attention' | 'blocking';

export interface AssumptionResult {
  status: AssumptionStatus;
  /** What the store did, in the terms of the assumption. */
  observed: unknown;
  /** What the tool does with it (or what the merchant should set). */
  setting: string;
  consequence: Consequence;
}

export type Assumptions = Partial<Record<AssumptionName, AssumptionResult>>;

export interface CustomerBalances {
  points: number;
  creditsCents: number;
  lifetime: number | null;
}

export interface PilotReport {
  customer: { given: string; rivoId: string; email: string | null };
  measuredAt: string;
  assumptions: Assumptions;
  /** The customer before and after the pilot: points and credit must be equal. */
  before: CustomerBalances;
  after: CustomerBalances;
  restored: boolean;
  /** Pilot writes made in this run (probes and compensations). */
  writes: number;
  /** Things the person should know (a tier that could not be restored, lifetime raised by N…). */
  notes: string[];
  /** What to pause before the real run (webhook flows, tier emails…), for the terminal and the report. */
  checklist: string[];
  /** The batch event the person is asked to look for in the pilot customer's inbox. */
  emailProbe: { key: string; sentAt: string } | null;
}

export function confirmed(observed: unknown, setting: string): AssumptionResult {
  return { status: 'confirmed', observed, setting, consequence: 'none' };
}

export function differs(observed: unknown, setting: string, consequence: Exclude<Consequence, 'none'>): AssumptionResult {
  return { status: 'differs', observed, setting, consequence };
}

export function unknown(observed: unknown, setting: string, consequence: Consequence = 'none'): AssumptionResult {
  return { status: 'unknown', observed, setting, consequence };
}
