import type { RivoCustomerSnapshot } from '../domain.js';
import { NotFoundError } from '../http/errors.js';
import { findKeyInNote } from '../mapper/keys.js';
import type { RivoApi, RivoEvent } from './api.js';
import { readCustomerEvents, type CustomerListing } from './listing.js';
import type { RivoProfile } from './profile.js';
import { formatCents } from '../util/money.js';

/**
 * A read-back that may conclude "absent". Finding a key is proof enough that the event landed; *not* finding it is
 * proof only when the listing is shown to be the customer's whole ledger:
 *  - the listing's own links/meta say every page was read, and every event belongs to the customer (`listing.ts`);
 *  - every key this tool already confirmed (done) for the customer is in it;
 *  - the listed events add up to the customer's `points_tally` and `credits_tally`, read from Rivo.
 * Anything short of that leaves the verdict `unproven`, with the reason: the caller holds the customer (never resends).
 */

export interface ReadBack {
  /** The customer's events as listed (whatever the verdict: a key found in them is found). */
  events: RivoEvent[];
  /** Null when a key missing from `events` is proven absent; otherwise why it is not. */
  unproven: string | null;
  /** The customer as read with the listing (null: Rivo does not know them). */
  customer: RivoCustomerSnapshot | null;
}

/**
 * `known`: the customer's tallies as just read by the caller (verify has them), saving a request; by default the
 * customer is read here, just before the listing.
 */
export async function readBack(
  rivo: RivoApi,
  rivoId: string,
  profile: RivoProfile,
  confirmedKeys: readonly string[],
  known?: RivoCustomerSnapshot,
): Promise<ReadBack> {
  const customer = known ?? (await rivo.getCustomer(rivoId));
  // An event cannot be applied to a customer Rivo does not have: with no customer, nothing of ours is there.
  if (customer === null) return { events: [], unproven: confirmedKeys.length ? `Rivo no longer knows customer ${rivoId}, who has confirmed events` : null, customer };
  let listing: CustomerListing;
  try {
    listing = await readCustomerEvents(rivo, { identifier: rivoId, id: customer.id, email: customer.email }, profile);
  } catch (err) {
    // The customer exists, so a 404 on the listing is a wrong path or filter, not "no events".
    if (err instanceof NotFoundError) return { events: [], unproven: `the events listing answered 404 for a customer Rivo knows (${err.summary()})`, customer };
    throw err;
  }
  return { events: listing.events, unproven: completenessProblem(listing, customer, confirmedKeys), customer };
}

/** Why the listing cannot be taken as the customer's whole ledger; null when it can. Pure. */
export function completenessProblem(listing: CustomerListing, customer: RivoCustomerSnapshot, confirmedKeys: readonly string[]): string | null {
  if (listing.incomplete) return `listing incomplete: ${listing.incomplete}`;
  const missing = confirmedKeys.filter((k) => !listing.events.some((e) => findKeyInNote(e.internalNote, k)));
  if (missing.length)
    return `listing incomplete: ${missing.length} event(s) already confirmed in Rivo are not in it (${missing.slice(0, 3).map((k) => `[${k}]`).join(', ')})`;
  // Every listed event counts, revoked ones too: how a revocation shows in the tally is not documented, and a wrong
  // guess only holds the customer (the safe side).
  const points = listing.events.reduce((s, e) => s + e.pointsDiff, 0);
  const credits = listing.events.reduce((s, e) => s + e.creditsDiffCents, 0);
  if (points !== customer.pointsTally)
    return `listing incomplete: its events add up to ${points} points but the customer's points_tally is ${customer.pointsTally}`;
  if (credits !== customer.creditsCents)
    return `listing incomplete: its events add up to ${formatCents(credits)} credit but the customer's credits_tally is ${formatCents(customer.creditsCents)}`;
  return null;
}

/** How often each key appears in the listed events (0 when absent). */
export function keyCounts(events: readonly RivoEvent[], keys: readonly string[]): Map<string, RivoEvent[]> {
  return new Map(keys.map((k) => [k, events.filter((e) => findKeyInNote(e.internalNote, k))]));
}
