import type { EventRow } from '../../ledger/types.js';
import { isDebit } from '../halves.js';

/**
 * How a pass's customers are packed into requests (pure; the runner reads the ledger and sends). Rules:
 *  - a customer is never in two requests at once: all its sendable points events go in one unit, so a read-back
 *    never races a write of the same customer;
 *  - points first: several customers share a batch up to `batchSize` events; a customer with more than `batchSize`
 *    gets a unit of its own (sent in consecutive requests); in single mode, or once a batch of the customer was
 *    refused as a whole (`singleOnly`), one event per request;
 *  - tier and birthday updates only once every points event of the customer is in Rivo;
 *  - unless the store is known to take a debit below zero, a batch customer's debits wait until its additions landed.
 */

export interface CustomerWork {
  key: string;
  events: EventRow[];
  /**
   * The customer's planned tier and birthday updates, carried when `events` holds every planned points event of the
   * customer: once they all land, these are what follows (the runner checks the ledger still says so before sending
   * them, with one light query instead of reading the customer's events again).
   */
  followUps?: EventRow[];
}

export type Unit =
  | { kind: 'batch'; customers: CustomerWork[] }
  | { kind: 'single'; customer: CustomerWork }
  | { kind: 'updates'; customer: CustomerWork };

export interface PackRules {
  sendMode: 'batch' | 'single';
  /** 1..10: events per batch request. */
  batchSize: number;
  /** `profile.negativeBelowZero`: true only when the pilot measured that the store takes a debit below zero. */
  negativeBelowZero: boolean | null | undefined;
  /** Customers whose batch was refused as a whole: sent one event per request. */
  singleOnly: ReadonlySet<string>;
}

/**
 * Which of a customer's planned points events may go now. A store that checks each item of a batch against the
 * balance before the batch would refuse the debit while the addition lands, so a batch customer's debits wait for
 * the additions (unless `negativeBelowZero`). Single mode already sends in order and stops at the first failure.
 */
export function sendableNow(points: EventRow[], rules: Pick<PackRules, 'sendMode' | 'negativeBelowZero'>): EventRow[] {
  if (rules.sendMode !== 'batch' || rules.negativeBelowZero === true) return points;
  const additions = points.filter((e) => !isDebit(e));
  return additions.length ? additions : points;
}

/**
 * Units for these customers, in order. `planned`: each customer's planned events in sending order;
 * `pointsLanded(key)`: whether every points event of the customer is in Rivo (asked only for customers with no points
 * event to send now, so the ledger is read only when it matters).
 */
export function packUnits(customers: { key: string; planned: EventRow[] }[], rules: PackRules, pointsLanded: (key: string) => boolean): Unit[] {
  const units: Unit[] = [];
  let pack: CustomerWork[] = [];
  let packed = 0;
  const flush = () => {
    if (pack.length) units.push({ kind: 'batch', customers: pack });
    pack = [];
    packed = 0;
  };
  for (const { key, planned } of customers) {
    const allPoints = planned.filter((e) => e.kind === 'points');
    const points = sendableNow(allPoints, rules);
    if (points.length) {
      const work: CustomerWork = { key, events: points };
      if (points.length === allPoints.length) {
        const updates = updatesOf(planned);
        if (updates.length) work.followUps = updates;
      }
      if (rules.sendMode === 'single' || rules.singleOnly.has(key)) units.push({ kind: 'single', customer: work });
      else if (points.length > rules.batchSize) units.push({ kind: 'batch', customers: [work] });
      else {
        if (packed + points.length > rules.batchSize) flush();
        pack.push(work);
        packed += points.length;
      }
      continue;
    }
    const updates = updatesOf(planned);
    if (updates.length && pointsLanded(key)) units.push({ kind: 'updates', customer: { key, events: updates } });
  }
  flush();
  return units;
}

/** A customer's tier and birthday updates among its planned events. */
export function updatesOf(planned: EventRow[]): EventRow[] {
  return planned.filter((e) => e.kind !== 'points');
}
