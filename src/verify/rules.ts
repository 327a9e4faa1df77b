import { ATTENTION_STATES, type CustomerState, type RivoCustomerSnapshot, type VerifyOutcome } from '../domain.js';
import type { CustomerRow, EventRow, VerifyResultRow } from '../ledger/types.js';
import { findKeyInNote, parseKeysFromNote } from '../mapper/keys.js';
import type { ReadBack } from '../rivo/readback.js';
import { compareWithRivo, expectedFor, LIFETIME_RULE, normaliseDob, type ExpectedValues, type LedgerEntry, type LifetimeRules } from './expected.js';

/**
 * Verify's rules, pure: what each customer's row says (from the ledger, the stored plan targets and what Rivo
 * shows), what a read-back of their events proves, and the summary. `verifier.ts` does the reading and writing.
 */

export interface VerifyProgress {
  phase: 'list' | 'customers' | 'events';
  done: number;
  total: number | null;
}

export interface VerifySummary {
  checkedAt: string;
  /** How Rivo's customers were read. */
  lookup: 'list' | 'get';
  /** Rows written to verify_results (customers in the window). */
  customers: number;
  outcomes: Record<VerifyOutcome, number>;
  /** Customers whose Rivo events were read back (every mismatch plus the sample). */
  ledgerChecked: number;
  keysExpected: number;
  keysFound: number;
  /** Event keys found more than once in Rivo: each is a duplicate event. */
  duplicates: number;
  /** Keys of this migration found in Rivo although the ledger does not hold them as done. */
  notInLedger: number;
  /** Customers in a state that needs the merchant (unmatched, conflict, rejected, invalid), in the window. */
  attention: Partial<Record<CustomerState, number>>;
  /** Customers whose lifetime shows what the other lifetime model predicts. */
  otherLifetimeModel: number;
  /**
   * Customers whose intended lifetime the lifetime model cannot reach (the plan's stored target and prediction
   * differ: e.g. a balance that fell after an earlier run, when events cannot lower lifetime). Rivo showing the best
   * reachable lifetime is no mismatch; each is recorded as a `lifetime_not_exact` problem.
   */
  lifetimeNotExact: number;
  /** Set when the pilot check says the lifetime rule is the wrong one for this store. */
  lifetimeHint: string | null;
  /** Rivo requests this verification made. */
  requests: number;
  /** `attention`: a mismatch, a missing customer, a duplicate, or a customer in an attention state. */
  outcome: 'clean' | 'attention';
}

export interface PendingProblem {
  customerKey: string;
  eventKey: string | null;
  kind: string;
  detail: string;
}

/** The `problems` kind of a lifetime the model cannot reach. */
export const LIFETIME_NOT_EXACT_PROBLEM = 'lifetime_not_exact';

/** One customer on its way through verification. */
export interface Work {
  row: CustomerRow;
  events: EventRow[];
  /** Null for a customer verification does not look at (nothing in Rivo to compare): its old row is removed. */
  result: VerifyResultRow | null;
  expected: ExpectedValues | null;
  notes: Set<Note>;
  problems: PendingProblem[];
}
export type Checked = Work & { result: VerifyResultRow };

type Note = 'other-lifetime-model' | 'lifetime-differs' | 'lifetime-not-exact';

/** How a tier id reads: its name in Rivo's tier list, or the one recorded before the migration. */
export function tierNamer(row: CustomerRow, tierNames: ReadonlyMap<string, string>) {
  return (id: string | null): string | null => {
    if (id === null) return null;
    return tierNames.get(id) ?? (id === row.rivo_tier_before ? row.rivo_tier_name_before : null) ?? null;
  };
}

/** The customer's expected values, from Rivo before the migration and the ledger's events. */
export function prepare(row: CustomerRow, events: EventRow[], eligible: boolean, checkedAt: string, rules: LifetimeRules, tierNames: ReadonlyMap<string, string>): Work {
  const work: Work = { row, events, result: null, expected: null, notes: new Set(), problems: [] };
  if (!eligible) return work;
  const exp = expectedFor(before(row), events.map(entry), rules);
  if (!exp.checkable) return { ...work, result: emptyResult(row, checkedAt, exp.reason) };
  const e = exp.expected;
  const name = tierNamer(row, tierNames);
  return {
    ...work,
    expected: e,
    result: {
      ...emptyResult(row, checkedAt, null),
      points_expected: e.points,
      lifetime_expected: e.lifetime,
      credits_expected: e.credits,
      tier_expected: e.tierId === null ? null : (name(e.tierId) ?? e.tierId),
      dob_expected: normaliseDob(e.dob),
    },
  };
}

/**
 * The lifetime the plan intended against the best the lifetime model can reach, both as the planner stored them
 * (`customers.target_lifetime` as an increase over Rivo's lifetime before, `predicted_lifetime`); null when the
 * customer was never planned, or when the done events do not add up to the stored prediction (a plan not fully
 * sent, or another lifetime rule configured since), so the stored numbers do not describe what is in Rivo.
 */
export function lifetimeReach(row: CustomerRow, expected: ExpectedValues): { target: number; reachable: number } | null {
  if (row.target_lifetime === null) return null;
  const before = row.rivo_lifetime_before ?? 0;
  const reachable = row.predicted_lifetime ?? before;
  if (expected.lifetime !== reachable) return null;
  return { target: before + row.target_lifetime, reachable };
}

/** Compares Rivo's values with the expectation and fills the row's actual values, outcome and detail. */
export function applyActual(w: Checked, actual: RivoCustomerSnapshot | null, rules: LifetimeRules, tierNames: ReadonlyMap<string, string>): void {
  const r = w.result;
  if (!actual) {
    r.outcome = 'missing';
    r.detail = `Rivo no longer has customer ${w.row.rivo_id}`;
    return;
  }
  const name = tierNamer(w.row, tierNames);
  r.points_actual = actual.pointsTally;
  r.lifetime_actual = actual.lifetimeTally;
  r.credits_actual = actual.creditsCents;
  r.tier_actual = actual.tierId === null ? null : (actual.tierName ?? name(actual.tierId) ?? actual.tierId);
  r.dob_actual = normaliseDob(actual.dob);
  const c = compareWithRivo(w.expected!, actual, rules, name);
  if (c.otherLifetimeModel) w.notes.add('other-lifetime-model');
  if (c.differences.some((d) => d.field === 'lifetime')) w.notes.add('lifetime-differs');
  const words = [...c.differences.map((d) => d.text), ...c.notes];
  const reach = lifetimeReach(w.row, w.expected!);
  const lifetimeCompared = actual.lifetimeTally !== null || !w.expected!.lifetimeUnknownBefore;
  if (reach && reach.target !== reach.reachable && lifetimeCompared && actual.lifetimeTally !== reach.target) {
    // Not Rivo's fault: the plan could not reach its target, and said so. Rivo is judged against the best reachable.
    const text =
      `lifetime cannot be exact: target ${reach.target}, best reachable ${reach.reachable} ` +
      `(${reach.reachable > reach.target ? 'events cannot lower lifetime under the modelled Rivo behaviour' : `lifetime moves with the net points under \`${LIFETIME_RULE}\``})`;
    words.push(text);
    w.notes.add('lifetime-not-exact');
    w.problems.push({ customerKey: w.row.key, eventKey: null, kind: LIFETIME_NOT_EXACT_PROBLEM, detail: text });
  }
  r.outcome = c.matches ? 'match' : 'mismatch';
  r.detail = words.length ? words.join('; ') : null;
}

/** The customer's Rivo tallies just compared, which the read-back's listing must add up to (no second request). */
export function talliesOf(w: Checked): RivoCustomerSnapshot | undefined {
  const r = w.result;
  if (r.points_actual === null || r.credits_actual === null) return undefined;
  return {
    id: w.row.rivo_id!,
    email: w.row.rivo_email,
    pointsTally: r.points_actual,
    lifetimeTally: r.lifetime_actual,
    creditsCents: r.credits_actual,
    tierId: null,
    tierName: null,
    dob: null,
    loyaltyStatus: null,
  };
}

/**
 * What the customer's Rivo events (read back whole, `rivo/readback.ts`) say of the ledger: each of our done event
 * keys counted in the internal notes. A key seen twice is a duplicate event; a key of this migration that the ledger
 * does not hold as done means the ledger and Rivo disagree; a listing that cannot be proven complete proves nothing
 * missing. Each turns the outcome into a mismatch; the first two are recorded as problems. Revoked events are not
 * counted.
 */
export function judgeReadBack(w: Checked, rb: ReadBack, ourKeyPrefix: string): void {
  const keys = w.expected!.eventKeys;
  const counts = new Map<string, number>(keys.map((k) => [k, 0]));
  const pointsOf = new Map<string, number>();
  const known = new Set(keys);
  const strangers = new Set<string>();
  const firstPosted = w.events.reduce<number | null>((min, e) => {
    const t = Date.parse(e.created_at);
    return Number.isFinite(t) && (min === null || t < min) ? t : min;
  }, null);
  let otherCount = 0;
  let otherPoints = 0;
  for (const ev of rb.events) {
    if (ev.revokedAt) continue;
    let ours = false;
    for (const k of keys) {
      if (findKeyInNote(ev.internalNote ?? '', k)) {
        counts.set(k, (counts.get(k) ?? 0) + 1);
        pointsOf.set(k, ev.pointsDiff);
        ours = true;
      }
    }
    for (const k of parseKeysFromNote(ev.internalNote)) {
      if (k.startsWith(ourKeyPrefix) && !known.has(k)) {
        strangers.add(k);
        ours = true;
      }
    }
    if (!ours && firstPosted !== null) {
      const t = Date.parse(ev.createdAt ?? ev.appliedAt ?? '');
      if (Number.isFinite(t) && t >= firstPosted) {
        otherCount++;
        otherPoints += ev.pointsDiff;
      }
    }
  }

  const r = w.result;
  const duplicated = [...counts.entries()].filter(([, n]) => n > 1);
  const absent = [...counts.entries()].filter(([, n]) => n === 0).map(([k]) => k);
  r.keys_expected = keys.length;
  r.keys_found = [...counts.values()].filter((n) => n > 0).length;
  r.keys_duplicated = duplicated.length;

  const words: string[] = [];
  for (const [k, n] of duplicated) {
    const pts = pointsOf.get(k) ?? 0;
    const text = `event [${k}] is in Rivo ${n} times: a duplicate (${pts >= 0 ? '+' : ''}${pts * (n - 1)} points too many); revoke the extra event in Rivo`;
    words.push(text);
    w.problems.push({ customerKey: w.row.key, eventKey: k, kind: 'duplicate_event', detail: text });
  }
  if (rb.unproven) words.push(`Rivo's event list could not be read as a whole, so nothing can be proven missing (${rb.unproven})`);
  if (absent.length) words.push(`${absent.length} of ${keys.length} events done in the ledger not found in Rivo's event list: ${absent.map((k) => `[${k}]`).join(', ')}`);
  for (const k of strangers) {
    const text = `event [${k}] of this migration is in Rivo but the ledger does not hold it as done`;
    words.push(text);
    w.problems.push({ customerKey: w.row.key, eventKey: k, kind: 'event_not_in_ledger', detail: text });
  }
  if (r.outcome === 'mismatch' && otherCount > 0)
    words.push(`Rivo shows ${otherCount} other event${otherCount === 1 ? '' : 's'} since the migration posted (${otherPoints >= 0 ? '+' : ''}${otherPoints} points): customer activity may explain a difference`);
  if (words.length) {
    if (duplicated.length || absent.length || strangers.size || rb.unproven) r.outcome = 'mismatch';
    r.detail = [r.detail, ...words].filter(Boolean).join('; ');
  }
}

/** The summary, counted as customers reach their final row: each customer once, never corrected afterwards. */
export class VerifyTally {
  private readonly s: Omit<VerifySummary, 'lifetimeHint' | 'requests' | 'outcome'>;
  private lifetimeDiffs = 0;

  constructor(checkedAt: string, lookup: 'list' | 'get') {
    const outcomes = { match: 0, mismatch: 0, missing: 0, not_checked: 0 };
    this.s = { checkedAt, lookup, customers: 0, outcomes, ledgerChecked: 0, keysExpected: 0, keysFound: 0, duplicates: 0, notInLedger: 0, attention: {}, otherLifetimeModel: 0, lifetimeNotExact: 0 };
  }

  /** Any customer of the window (verified or not): those in an attention state are counted. */
  inWindow(row: CustomerRow): void {
    if (ATTENTION_STATES.includes(row.state)) this.s.attention[row.state] = (this.s.attention[row.state] ?? 0) + 1;
  }

  /** A verified customer whose row is final. */
  final(w: Checked): void {
    const r = w.result;
    const s = this.s;
    s.customers++;
    s.outcomes[r.outcome]++;
    if (r.keys_found !== null) {
      s.ledgerChecked++;
      s.keysExpected += r.keys_expected ?? 0;
      s.keysFound += r.keys_found;
    }
    s.duplicates += r.keys_duplicated;
    s.notInLedger += w.problems.filter((p) => p.kind === 'event_not_in_ledger').length;
    if (w.notes.has('other-lifetime-model')) s.otherLifetimeModel++;
    if (w.notes.has('lifetime-differs')) this.lifetimeDiffs++;
    if (w.notes.has('lifetime-not-exact')) s.lifetimeNotExact++;
  }

  summary(rules: LifetimeRules, requests: number): VerifySummary {
    const s = this.s;
    let lifetimeHint: string | null = null;
    if (s.otherLifetimeModel > 0) {
      const to = !rules.negativeEventsLowerLifetime;
      lifetimeHint =
        `${s.otherLifetimeModel} of ${this.lifetimeDiffs} customers with a lifetime difference show exactly what Rivo would show if negative events ` +
        `${to ? 'DID' : 'did NOT'} lower lifetime: this store's Rivo behaves otherwise than configured. Set \`${LIFETIME_RULE}\` to ${to} ` +
        'in your config before migrating the remaining customers.';
    }
    const attention = Object.values(s.attention).reduce((a, b) => a + (b ?? 0), 0);
    const outcome = s.outcomes.mismatch + s.outcomes.missing + s.duplicates + attention > 0 ? 'attention' : 'clean';
    return { ...s, lifetimeHint, requests, outcome };
  }
}

function before(row: CustomerRow) {
  return {
    pointsBefore: row.rivo_points_before,
    lifetimeBefore: row.rivo_lifetime_before,
    creditsBefore: row.rivo_credits_before,
    tierBefore: row.rivo_tier_before,
    dobBefore: row.rivo_dob_before,
  };
}

function entry(e: EventRow): LedgerEntry {
  return {
    key: e.key,
    kind: e.kind,
    role: e.role,
    status: e.status,
    generation: e.generation,
    pointsAmount: e.points_amount,
    creditsCents: e.credits_cents,
    value: e.value,
    doneAt: e.done_at,
  };
}

function emptyResult(row: CustomerRow, checkedAt: string, detail: string | null): VerifyResultRow {
  return {
    customer_key: row.key,
    rivo_id: row.rivo_id,
    checked_at: checkedAt,
    outcome: 'not_checked',
    points_expected: null,
    points_actual: null,
    lifetime_expected: null,
    lifetime_actual: null,
    credits_expected: null,
    credits_actual: null,
    tier_expected: null,
    tier_actual: null,
    dob_expected: null,
    dob_actual: null,
    keys_expected: null,
    keys_found: null,
    keys_duplicated: 0,
    detail,
  };
}
