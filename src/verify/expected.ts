import type { EventKind, EventRole, EventStatus, RivoCustomerSnapshot } from '../domain.js';
import { foldEvents, inWriteOrder, rivoShows, type LedgerEvent } from '../mapper/migrated.js';
import { formatCents, moreOrLessMoney } from '../util/money.js';
import { normaliseDob, sameDob } from '../util/dates.js';

export { normaliseDob, sameDob };

/**
 * What Rivo should show for one customer, from what it showed before anything was posted and from the events the
 * ledger says are `done`; and how Rivo's current values compare with that. Pure: no DB, no network.
 *
 * The model's rules (`mapper/migrated.ts`: the planner's and rollback's too), over the done events only:
 *  - points   = points_before + Σ points_amount of done points events (every role, rollbacks included)
 *  - lifetime = (lifetime_before ?? 0) + Σ positive points_amount (+ Σ negative ones when Rivo is modelled as
 *               lowering lifetime on negative events: `mapping.negativeEventsLowerLifetime`)
 *  - credits  = credits_before + Σ credits_cents
 *  - tier     = value of the last done `tier` event in write order, else the tier before (compared by tier id)
 *  - dob      = value of the last done `birthday` event in write order, else the dob before
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

  const done = inWriteOrder(events.filter((e) => e.status === 'done').map(foldable));
  const start = {
    points: before.pointsBefore,
    lifetime: before.lifetimeBefore,
    creditsCents: before.creditsBefore ?? 0,
    tierId: before.tierBefore,
    dob: before.dobBefore,
  };
  const configured = rivoShows(start, foldEvents(done, rules));
  const other = rivoShows(start, foldEvents(done, { negativeEventsLowerLifetime: !rules.negativeEventsLowerLifetime }));
  return {
    checkable: true,
    expected: {
      points: configured.points,
      lifetime: configured.lifetime ?? 0,
      lifetimeOtherModel: other.lifetime ?? 0,
      lifetimeUnknownBefore: before.lifetimeBefore === null,
      credits: configured.creditsCents,
      tierId: configured.tierId,
      dob: configured.dob,
      // An award's points event is Rivo's own, under no key of ours (ledger/awards.ts): counted, not looked for.
      eventKeys: done.filter((e) => e.kind === 'points' && e.role !== 'award').map((e) => e.key),
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
      text: `store credit: expected ${formatCents(expected.credits)}, Rivo has ${formatCents(actual.creditsCents)} (${moreOrLessMoney(actual.creditsCents - expected.credits)})`,
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

function tierWords(id: string | null, name: string | null): string {
  if (id === null) return 'no tier';
  return name && name !== id ? `"${name}" (id ${id})` : `tier id ${id}`;
}

function more(diff: number, unit: string): string {
  return diff > 0 ? `${diff} ${unit} more` : `${-diff} ${unit} fewer`;
}

/** A ledger entry as the model folds it: done, so it reached Rivo at `doneAt`. */
function foldable(e: LedgerEntry): LedgerEvent & { key: string } {
  return { key: e.key, kind: e.kind, role: e.role, generation: e.generation, pointsAmount: e.pointsAmount, creditsCents: e.creditsCents, value: e.value, at: e.doneAt };
}
