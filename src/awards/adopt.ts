import type { Db } from '../db/open.js';
import type { AdoptedEvent } from '../ledger/adopt.js';
import { AWARD_GENERATION, AWARD_ROLE, awardKey, recordAdoptedAward } from '../ledger/awards.js';
import type { MigrateContext } from '../migrate/context.js';
import { readProfile } from '../pilot/store.js';
import { isAwardEvent } from '../rivo/awards.js';
import { readCustomerEvents } from '../rivo/listing.js';
import { CLOCK_MARGIN_MS } from './runner.js';

export interface AdoptedAward {
  key: string;
  customerKey: string;
  rivoId: string;
  action: string;
  ruleId: string;
  /** `awarded`: booked by the lost migration (counted); `already`: earned before it (nothing counted). */
  status: 'awarded' | 'already';
  points: number;
  rivoEventId: string;
  at: string;
}

export interface AdoptedAwards {
  /** Customers whose Rivo listing was read for awards of mapped rules. */
  checked: number;
  found: AdoptedAward[];
}

/**
 * Rivo's award events carry none of this tool's keys, so the store scan cannot see them, yet the lost migration may
 * have counted one (its earn event then shrank by the award's points): left out, the rebuilt ledger would owe those
 * points again. So every adopted customer's listing is read for an award of each rule `mapping.oneTimeActions`
 * names, and each one is told apart by the award pass's own rule: booked no earlier than the adopted migration's first
 * write (`since`, less the clock margin) is the migration's, earlier is the customer's own. Reads only; a listing not
 * proven complete, or two award events of one rule, stops `adopt` before anything is written.
 */
export async function findAdoptedAwards(
  s: MigrateContext,
  migrationId: string,
  customers: readonly { customerKey: string; rivoId: string; email: string | null }[],
  since: string,
): Promise<AdoptedAwards> {
  const rules = new Map<string, string>();
  for (const [action, ruleId] of Object.entries(s.config.mapping.oneTimeActions)) if (!rules.has(ruleId)) rules.set(ruleId, action);
  const out: AdoptedAwards = { checked: 0, found: [] };
  if (rules.size === 0) return out;
  const profile = readProfile(s.db);
  const from = Date.parse(since) - CLOCK_MARGIN_MS;
  for (const c of customers) {
    if (s.signal.aborted) throw new Error('adopt stopped before every adopted customer was checked for awards: nothing was written; run it again');
    if (!c.rivoId) continue;
    const listing = await readCustomerEvents(s.rivo(), { identifier: c.rivoId, id: c.rivoId, email: c.email }, profile);
    if (listing.incomplete !== null)
      throw new Error(`adopt cannot prove which one-time action awards Rivo holds for customer ${c.rivoId} (${listing.incomplete}): nothing was written; run it again`);
    out.checked++;
    for (const [ruleId, action] of rules) {
      const events = listing.events.filter((e) => isAwardEvent(e, ruleId));
      if (events.length === 0) continue;
      if (events.length > 1)
        throw new Error(`Rivo lists ${events.length} award events of earning rule ${ruleId} for customer ${c.rivoId}: adopt cannot tell which one the migration counted; nothing was written`);
      const e = events[0]!;
      const at = e.createdAt ?? e.appliedAt ?? '';
      const t = Date.parse(at);
      out.found.push({
        key: awardKey(s.config.migrationName, migrationId, c.customerKey, ruleId),
        customerKey: c.customerKey,
        rivoId: c.rivoId,
        action,
        ruleId,
        status: Number.isFinite(t) && t < from ? 'already' : 'awarded',
        points: e.pointsDiff,
        rivoEventId: e.id,
        at: Number.isFinite(t) ? new Date(t).toISOString() : since,
      });
    }
  }
  return out;
}

/** The adopted ledger rows of the awards the lost migration counted (their points are then in "Rivo before" no more). */
export function awardEventsOf(awards: AdoptedAwards, customerKey: string): AdoptedEvent[] {
  return awards.found
    .filter((a) => a.customerKey === customerKey && a.status === 'awarded')
    .map((a) => ({
      key: a.key,
      role: AWARD_ROLE,
      generation: AWARD_GENERATION,
      rivoEventId: a.rivoEventId,
      rivoId: a.rivoId,
      pointsDiff: a.points,
      creditsDiffCents: 0,
      internalNote: `One-time action award counted into the migration (${a.key}), adopted from Rivo`,
      appliedAt: a.at,
      createdAt: a.at,
    }));
}

/** Inside the adoption's transaction: every award found, so the award pass never sends it again. */
export function recordAdoptedAwards(db: Db, awards: AdoptedAwards): void {
  for (const a of awards.found) recordAdoptedAward(db, a);
}
