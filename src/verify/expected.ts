import type { EventKind, EventRole, EventStatus, RivoCustomerSnapshot } from '../domain.js';
import { formatDob, parseDob } from '../mapper/dob.js';

/**
 * What Rivo should show for one customer, from what it showed before anything was posted and from the events the
 * ledger says are `done`; and how Rivo's current values compare with that. Pure: no DB, no network.
 *
 * Rules:
 *  - points   = points_before + Σ points_amount of done points events (every role, rollbacks included)
 *  - lifetime = (lifetime_before ?? 0) + Σ positive points_amount (+ Σ negative ones when Rivo is modelled as
 *               lowering lifetime on negative events: `mapping.negativeEventsLowerLifetime`)
 *  - credits  = credits_before + Σ credits_cents
 *  - tier     = value of the latest done `tier` event, else the tier before (compared by tier id)
 *  - dob      = value of the latest done `birthday` event, else the dob before
 * A customer with any event still planned, in flight or uncertain cannot be checked yet: Rivo may or may not hold it.
 * Rejected and cancelled events never reached Rivo and are ignored.
 */

export const LIFETIME_RULE = 'mapping.negativeEventsLowerLifetime';

/** Rivo as first observed for this customer (customers.rivo_*_before). */
export interface CustomerBefore {
  pointsBefore: number | null;
  lifetimeBefore: number | null;
  creditsBefore: number | null;
  tierBefore: string | null;
  dobBefore: string | null;
}

/** One ledger event, as much of it as the expectation needs. */
export interface LedgerEntry {
  key: string;
  kind: EventKind;
  role: EventRole;
  status: EventStatus;
  generation: number;
  pointsAmount: number;
  creditsCents: number;
  value: string | null;
  doneAt: string | null;
}

export interface LifetimeRules {
  negativeEventsLowerLifetime: boolean;
}

export interface ExpectedValues {
  points: number;
  /** Under the configured lifetime model. */
  lifetime: number;
  /** Under the other model: when Rivo shows this instead, the config rule is the wrong one for this store. */
  lifetimeOtherModel: number;
  /** Whether Rivo had no lifetime for this customer before (it may not report one at all). */
  lifetimeUnknownBefore: boolean;
  credits: number;
  tierId: string | null;
  dob: string | null;
  /** Keys of the done points events: each must appear exactly once in Rivo's internal notes. */
  eventKeys: string[];
  doneEvents: number;
}

export type Expectation = { checkable: true; expected: ExpectedValues } | { checkable: false; reason: string };

const UNSETTLED: readonly EventStatus[] = ['planned', 'in_flight', 'uncertain'];

export function expectedFor(before: CustomerBefore, events: readonly LedgerEntry[], rules: LifetimeRules): Expectation {
  const unsettled = events.filter((e) => UNSETTLED.includes(e.status));
  if (unsettled.length) {
    const by = UNSETTLED.map((s) => [s, unsettled.filter((e) => e.status === s).length] as const)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${s.replace('_', ' ')}`)
      .join(', ');
    return {
      checkable: false,
      reason: `${unsettled.length} event${unsettled.length === 1 ? '' : 's'} not settled yet (${by}): run \`yotpo-to-rivo migrate\` to finish, then verify`,
    };
  }
  if (before.pointsBefore === null) return { checkable: false, reason: 'Rivo values before the migration were not recorded' };

  // Latest first by done time; on a tie a rollback comes after what it undoes, then the higher generation.
  const done = events
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => e.status === 'done')
    .sort(
      (a, b) =>
        cmp(a.e.doneAt ?? '', b.e.doneAt ?? '') ||
        Number(a.e.role === 'rollback') - Number(b.e.role === 'rollback') ||
        a.e.generation - b.e.generation ||
        a.i - b.i,
    )
    .map(({ e }) => e);

  let points = before.pointsBefore;
  let positive = 0;
  let negative = 0;
  let credits = before.creditsBefore ?? 0;
  let tierId = before.tierBefore;
  let dob = before.dobBefore;
  const eventKeys: string[] = [];
  for (const e of done) {
    if (e.kind === 'points') {
      points += e.pointsAmount;
      if (e.pointsAmount > 0) positive += e.pointsAmount;
      else negative += e.pointsAmount;
      credits += e.creditsCents;
      // An award's points event is Rivo's own, under no key of ours (ledger/awards.ts): counted, not looked for.
      if (e.role !== 'award') eventKeys.push(e.key);
    } else if (e.kind === 'tier') tierId = e.value;
    else if (e.kind === 'birthday') dob = e.value;
  }
  const base = (before.lifetimeBefore ?? 0) + positive;
  const lowered = base + negative;
  return {
    checkable: true,
    expected: {
      points,
      lifetime: rules.negativeEventsLowerLifetime ? lowered : base,
      lifetimeOtherModel: rules.negativeEventsLowerLifetime ? base : lowered,
      lifetimeUnknownBefore: before.lifetimeBefore === null,
      credits,
      tierId,
      dob,
      eventKeys,
      doneEvents: done.length,
    },
  };
}

/** One field that differs, in words. */
export interface Difference {
  field: 'points' | 'lifetime' | 'credits' | 'tier' | 'dob';
  text: string;
}

export interface Comparison {
  matches: boolean;
  differences: Difference[];
  /** Rivo's lifetime is what the other lifetime model predicts (and differs from the configured one). */
  otherLifetimeModel: boolean;
  /** Notes that are not differences (e.g. Rivo reports no lifetime). */
  notes: string[];
}

/** How a tier id reads in words: its name when known. */
export type TierNamer = (id: string | null) => string | null;

/**
 * Rivo's current values against the expectation. Lifetime is compared only when Rivo reports one, or when it had one
 * before (a store whose Rivo never reports lifetime cannot be checked on it).
 */
export function compareWithRivo(expected: ExpectedValues, actual: RivoCustomerSnapshot, rules: LifetimeRules, tierName: TierNamer = (id) => id): Comparison {
  const differences: Difference[] = [];
  const notes: string[] = [];
  let otherLifetimeModel = false;

  if (actual.pointsTally !== expected.points)
    differences.push({ field: 'points', text: `points: expected ${expected.points}, Rivo has ${actual.pointsTally} (${more(actual.pointsTally - expected.points, 'points')})` });

  if (actual.lifetimeTally === null && expected.lifetimeUnknownBefore) {
    notes.push('lifetime not compared: Rivo reports none for this customer');
  } else {
    const actualLifetime = actual.lifetimeTally ?? 0;
    if (actualLifetime !== expected.lifetime) {
      let text = `lifetime: expected ${expected.lifetime}, Rivo has ${actual.lifetimeTally === null ? 'none' : actual.lifetimeTally} (${more(actualLifetime - expected.lifetime, 'points')})`;
      if (expected.lifetimeOtherModel !== expected.lifetime && actualLifetime === expected.lifetimeOtherModel) {
        otherLifetimeModel = true;
        text += rules.negativeEventsLowerLifetime
          ? `; this is what Rivo shows when negative events do NOT lower lifetime: this store behaves otherwise than configured, set \`${LIFETIME_RULE}\` to false`
          : `; this is what Rivo shows when negative events DO lower lifetime: this store behaves otherwise than configured, set \`${LIFETIME_RULE}\` to true`;
      }
      differences.push({ field: 'lifetime', text });
    }
  }

  if (actual.creditsCents !== expected.credits)
    differences.push({
      field: 'credits',
      text: `store credit: expected ${money(expected.credits)}, Rivo has ${money(actual.creditsCents)} (${moreMoney(actual.creditsCents - expected.credits)})`,
    });

  if ((actual.tierId ?? null) !== (expected.tierId ?? null)) {
    const exp = tierWords(expected.tierId, tierName(expected.tierId));
    const act = tierWords(actual.tierId, actual.tierName ?? tierName(actual.tierId));
    differences.push({ field: 'tier', text: `tier: expected ${exp}, Rivo has ${act}` });
  }

  if (!sameDob(expected.dob, actual.dob))
    differences.push({ field: 'dob', text: `birthday: expected ${expected.dob ?? 'none'}, Rivo has ${actual.dob ?? 'none'}` });

  return { matches: differences.length === 0, differences, otherLifetimeModel, notes };
}

/** Dates compare by calendar date (Rivo may answer with a time part); anything unparseable compares as text. */
export function sameDob(a: string | null, b: string | null): boolean {
  return normaliseDob(a) === normaliseDob(b);
}

export function normaliseDob(value: string | null): string | null {
  if (value === null || value.trim() === '') return null;
  const parts = parseDob(value);
  return parts ? formatDob(parts) : value.trim();
}

function tierWords(id: string | null, name: string | null): string {
  if (id === null) return 'no tier';
  return name && name !== id ? `"${name}" (id ${id})` : `tier id ${id}`;
}

function more(diff: number, unit: string): string {
  return diff > 0 ? `${diff} ${unit} more` : `${-diff} ${unit} fewer`;
}

function moreMoney(diffCents: number): string {
  return diffCents > 0 ? `${money(diffCents)} more` : `${money(-diffCents)} less`;
}

export function money(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
