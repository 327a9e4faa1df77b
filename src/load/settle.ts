import type { Db } from '../db/open.js';
import { AuthenticationError, HttpError } from '../http/errors.js';
import { markAbsent, markDone, markDoneWithDuplicates, markHeld } from '../ledger/events.js';
import type { EventRow } from '../ledger/types.js';
import type { RivoApi } from '../rivo/api.js';
import type { RivoProfile } from '../rivo/profile.js';
import { keyCounts, readBack } from '../rivo/readback.js';
import { sameDob } from '../util/dates.js';
import { confirmedKeysOf, uncertainEventsOf } from './queries.js';

/**
 * Settling one customer's uncertain writes by reading Rivo back. Points events are decided by their key in
 * `internal_note`: found once → done; more than once → done and a loud duplicate; not found → planned again, but only
 * when the read-back proves the listing complete (`rivo/readback.ts`); otherwise the write stays uncertain with the
 * reason (held: never resent on a guess). Tier and birthday updates compare the customer's current value.
 */

export interface SettleDeps {
  db: Db;
  rivo: RivoApi;
  profile: RivoProfile;
}

export interface SettleOutcome {
  found: number;
  absent: number;
  duplicates: { key: string; rivoEventIds: string[] }[];
  /** Why some writes stay uncertain although Rivo answered (the listing was not proven complete). */
  held: string | null;
  /** A read-back that failed outright. */
  unreadable: string | null;
}

export async function settleCustomer(deps: SettleDeps, customerKey: string): Promise<SettleOutcome> {
  const { db, rivo } = deps;
  const out: SettleOutcome = { found: 0, absent: 0, duplicates: [], held: null, unreadable: null };
  const rows = uncertainEventsOf(db, customerKey);
  if (!rows.length) return out;

  for (const [rivoId, group] of groupBy(rows.filter((r) => r.kind === 'points'), (r) => r.rivo_id)) {
    const confirmed = confirmedKeysOf(db, customerKey, rivoId);
    let rb;
    try {
      rb = await readBack(rivo, rivoId, deps.profile, confirmed);
    } catch (err) {
      if (err instanceof AuthenticationError || !(err instanceof HttpError)) throw err;
      out.unreadable = `read-back failed: ${err.summary()}`;
      continue;
    }
    const counts = keyCounts(rb.events, group.map((r) => r.key));
    const done: { key: string; rivoEventId: string }[] = [];
    const dups: { key: string; rivoEventIds: string[] }[] = [];
    const absent: string[] = [];
    for (const row of group) {
      const matches = counts.get(row.key) ?? [];
      if (matches.length === 1) done.push({ key: row.key, rivoEventId: matches[0]!.id });
      else if (matches.length > 1) dups.push({ key: row.key, rivoEventIds: matches.map((m) => m.id) });
      else absent.push(row.key);
    }
    // A key confirmed earlier that the listing now shows twice is a duplicate too (a resend that should not have been).
    for (const [key, matches] of keyCounts(rb.events, confirmed)) if (matches.length > 1) dups.push({ key, rivoEventIds: matches.map((m) => m.id) });
    markDone(db, done);
    markDoneWithDuplicates(db, dups);
    if (absent.length && rb.unproven) {
      markHeld(db, absent, `held, not resent: ${rb.unproven}`);
      out.held = rb.unproven;
    } else {
      markAbsent(db, absent);
      out.absent += absent.length;
    }
    out.found += done.length;
    out.duplicates.push(...dups);
  }

  for (const [rivoId, group] of groupBy(rows.filter((r) => r.kind !== 'points'), (r) => r.rivo_id)) {
    let snapshot;
    try {
      snapshot = await rivo.getCustomer(rivoId);
    } catch (err) {
      if (err instanceof AuthenticationError || !(err instanceof HttpError)) throw err;
      out.unreadable = `read-back failed: ${err.summary()}`;
      continue;
    }
    for (const row of group) {
      // A customer Rivo does not know cannot carry the update: absent, and the resend will be refused with a reason.
      const applied = snapshot !== null && (row.kind === 'tier' ? snapshot.tierId === row.value : sameDob(snapshot.dob, row.value));
      if (applied) {
        markDone(db, [{ key: row.key }]);
        out.found++;
      } else {
        markAbsent(db, [row.key]);
        out.absent++;
      }
    }
  }
  return out;
}

function groupBy(items: EventRow[], key: (t: EventRow) => string): Map<string, EventRow[]> {
  const out = new Map<string, EventRow[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
