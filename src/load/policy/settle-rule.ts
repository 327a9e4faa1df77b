import type { RivoCustomerSnapshot } from '../../domain.js';
import { sameDob } from '../../util/dates.js';

/**
 * What a read-back proves about a customer's uncertain points writes (pure; `load/settle.ts` reads Rivo and applies
 * it). Each write is matched by its key in `internal_note`:
 *  - found once → done (with Rivo's event id);
 *  - found more than once → done, and a loud duplicate;
 *  - not found → planned again (`resend`), but ONLY when the listing was proven complete; when it was not (`unproven`
 *    says why), the write is held: it stays uncertain and is never resent on a guess.
 * A key confirmed earlier that the listing now shows twice is a duplicate too (a resend that should not have been).
 *
 * When the read is made matters only for "not found". A found key is proof whenever it is read; a missing one may be a
 * write a slow server is still applying, so only a read made `settleDelayMs` after the writes became uncertain
 * (`moment: 'after-delay'`) may conclude absent (or held). An `'early'` read (made at once, to settle what is already
 * there without waiting) leaves every missing key `waiting`: still uncertain, read again after the delay.
 */

/** `early`: made before `settleDelayMs` passed, so it may only confirm; `after-delay`: may also conclude absent. */
export type ReadBackMoment = 'early' | 'after-delay';

export interface ListedMatch {
  id: string;
}

export interface ReadBackDecision {
  done: { key: string; rivoEventId: string }[];
  duplicates: { key: string; rivoEventIds: string[] }[];
  /** Proven absent: sent again. */
  resend: string[];
  /** Not found, but absence is not proven: stay uncertain, with the reason. */
  held: { keys: string[]; reason: string } | null;
  /** Not found by an early read: nothing concluded, read again after the delay. */
  waiting: string[];
}

export function decideReadBack(
  uncertainKeys: readonly string[],
  /** How often each uncertain key appears in the listing (a missing entry means none). */
  listed: ReadonlyMap<string, readonly ListedMatch[]>,
  /** The same for the keys the ledger already holds as done for this customer. */
  confirmed: ReadonlyMap<string, readonly ListedMatch[]>,
  /** Why the listing is not proven complete; null when it is. */
  unproven: string | null,
  moment: ReadBackMoment,
): ReadBackDecision {
  const out: ReadBackDecision = { done: [], duplicates: [], resend: [], held: null, waiting: [] };
  const absent: string[] = [];
  for (const key of uncertainKeys) {
    const matches = listed.get(key) ?? [];
    if (matches.length === 1) out.done.push({ key, rivoEventId: matches[0]!.id });
    else if (matches.length > 1) out.duplicates.push({ key, rivoEventIds: matches.map((m) => m.id) });
    else absent.push(key);
  }
  for (const [key, matches] of confirmed) if (matches.length > 1) out.duplicates.push({ key, rivoEventIds: matches.map((m) => m.id) });
  if (moment === 'early') out.waiting = absent;
  else if (absent.length && unproven) out.held = { keys: absent, reason: unproven };
  else out.resend = absent;
  return out;
}

/**
 * Whether a tier or birthday update is in Rivo, from the customer as Rivo serves it now. A customer Rivo does not
 * know (`null`) cannot carry the update: not applied, and the resend will be refused with a reason.
 */
export function updateApplied(snapshot: Pick<RivoCustomerSnapshot, 'tierId' | 'dob'> | null, update: { kind: string; value: string | null }): boolean {
  if (snapshot === null) return false;
  return update.kind === 'tier' ? snapshot.tierId === update.value : sameDob(snapshot.dob, update.value);
}

/**
 * What a read of the customer proves about a tier or birthday update: the value in place → done, whenever read;
 * otherwise absent (sent again) only after the delay, `wait` before it (a slow server may still be applying it).
 */
export function decideUpdate(
  snapshot: Pick<RivoCustomerSnapshot, 'tierId' | 'dob'> | null,
  update: { kind: string; value: string | null },
  moment: ReadBackMoment,
): 'done' | 'absent' | 'wait' {
  if (updateApplied(snapshot, update)) return 'done';
  return moment === 'early' ? 'wait' : 'absent';
}
