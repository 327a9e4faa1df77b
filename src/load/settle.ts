import type { Db } from '../db/open.js';
import { AuthenticationError, HttpError } from '../http/errors.js';
import { markAbsent, markDone, markDoneWithDuplicates, markHeld } from '../ledger/events.js';
import type { EventRow } from '../ledger/types.js';
import type { RivoApi } from '../rivo/api.js';
import type { RivoProfile } from '../rivo/profile.js';
import { keyCounts, readBack } from '../rivo/readback.js';
import { decideReadBack, decideUpdate, type ReadBackMoment } from './policy/settle-rule.js';
import { confirmedKeysOf, uncertainEventsOf } from './queries.js';

/**
 * Settling one customer's uncertain writes by reading Rivo back: the reads and the ledger writes. What a read-back
 * proves is decided in `policy/settle-rule.ts`: points events by their key in `internal_note` (found once → done;
 * more than once → done and a loud duplicate; not found → planned again only when the read-back proves the listing
 * complete (`rivo/readback.ts`), otherwise held: never resent on a guess); tier and birthday updates by the
 * customer's current value. An `early` read (before `settleDelayMs`) settles only what it finds; the rest stays
 * uncertain, untouched, for the read after the delay, which alone may conclude absent or held.
 */

export interface SettleDeps {
  db: Db;
  rivo: RivoApi;
  profile: RivoProfile;
  /** True when the write's request provably never left its run (`sent-journal.ts`); absent: never proven. */
  neverLeft?: (requestId: string | null) => boolean;
}

export interface SettleOutcome {
  found: number;
  absent: number;
  duplicates: { key: string; rivoEventIds: string[] }[];
  /** Why some writes stay uncertain although Rivo answered (the listing was not proven complete). */
  held: string | null;
  /** A read-back that failed outright (after the delay only: an early read that fails is simply made again later). */
  unreadable: string | null;
  /** Writes an early read did not find: still uncertain, to be read again after the delay. */
  waiting: number;
}

export async function settleCustomer(deps: SettleDeps, customerKey: string, moment: ReadBackMoment): Promise<SettleOutcome> {
  const { db, rivo } = deps;
  const out: SettleOutcome = { found: 0, absent: 0, duplicates: [], held: null, unreadable: null, waiting: 0 };
  const unreadable = (err: unknown, count: number) => {
    if (err instanceof AuthenticationError || !(err instanceof HttpError)) throw err;
    if (moment === 'early') out.waiting += count;
    else out.unreadable = `read-back failed: ${err.summary()}`;
  };
  let rows = uncertainEventsOf(db, customerKey);
  if (!rows.length) return out;
  // A write whose request never left the run that was stopped is not in Rivo: planned again at once, no read, no wait.
  const notSent = deps.neverLeft ? rows.filter((r) => deps.neverLeft!(r.batch_id)) : [];
  if (notSent.length) {
    markAbsent(db, notSent.map((r) => r.key), `never sent: the run that wrote its intent (request ${notSent[0]!.batch_id}) stopped before the request left`);
    out.absent += notSent.length;
    rows = rows.filter((r) => !notSent.includes(r));
    if (!rows.length) return out;
  }

  for (const [rivoId, group] of groupBy(rows.filter((r) => r.kind === 'points'), (r) => r.rivo_id)) {
    const confirmed = confirmedKeysOf(db, customerKey, rivoId);
    let rb;
    try {
      rb = await readBack(rivo, rivoId, deps.profile, confirmed);
    } catch (err) {
      unreadable(err, group.length);
      continue;
    }
    const keys = group.map((r) => r.key);
    const d = decideReadBack(keys, keyCounts(rb.events, keys), keyCounts(rb.events, confirmed), rb.unproven, moment);
    markDone(db, d.done);
    markDoneWithDuplicates(db, d.duplicates);
    if (d.held) {
      markHeld(db, d.held.keys, `held, not resent: ${d.held.reason}`);
      out.held = d.held.reason;
    } else {
      markAbsent(db, d.resend);
      out.absent += d.resend.length;
    }
    out.found += d.done.length;
    out.waiting += d.waiting.length;
    out.duplicates.push(...d.duplicates);
  }

  for (const [rivoId, group] of groupBy(rows.filter((r) => r.kind !== 'points'), (r) => r.rivo_id)) {
    let snapshot;
    try {
      snapshot = await rivo.getCustomer(rivoId);
    } catch (err) {
      unreadable(err, group.length);
      continue;
    }
    for (const row of group) {
      const d = decideUpdate(snapshot, row, moment);
      if (d === 'done') {
        markDone(db, [{ key: row.key }]);
        out.found++;
      } else if (d === 'absent') {
        markAbsent(db, [row.key]);
        out.absent++;
      } else out.waiting++;
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
