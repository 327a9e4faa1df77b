import type { HistoryItem } from '../history/items.js';
import { itemInstant, itemLabel } from '../history/items.js';
import type { LifetimeModel } from './migrated.js';

/**
 * History replay (mapping.history): a customer's approved Yotpo history items as backdated Rivo events, plus the
 * balancing events that make every tally end exactly where the balance-only migration puts it. Pure.
 *
 * Under the modelled lifetime rule (a positive event raises points and lifetime, a negative one lowers points only),
 * with E+ the approved earnings and E- the approved redemptions and expiries (as positive numbers), TP the points
 * and TL the lifetime the migration must add (rules.ts: B and max(L, B) in `add` mode):
 *   balancing earn  x = TL - E+          (must be >= 0: otherwise the history earns more than Yotpo's lifetime)
 *   balancing spend y = E+ - E- + x - TP (must be >= 0: otherwise the history spends more than the balance allows)
 * so points rise by E+ - E- + x - y = TP and lifetime by E+ + x = TL. Where negative events lower lifetime too, one
 * balancing event of TP - (E+ - E-) keeps both exact. The loader sends additions before subtractions, so the
 * balance never dips below where it ends.
 *
 * A history that cannot be replayed exactly falls back to the balance-only events, with the reason.
 */

export interface HistoryInput {
  /** `missing`: never looked up (the planner does not plan such a customer while history is on). */
  status: 'found' | 'not_found' | 'unreadable' | 'failed' | 'missing';
  reason: string | null;
  items: readonly HistoryItem[];
}

export interface ReplayEvent {
  idx: number;
  points: number;
  appliedAt: string;
  /** What Yotpo showed the customer: the event's external note. */
  label: string;
}

export type ReplayOutcome =
  | {
      kind: 'replay';
      /** In date order (Yotpo's order for equal dates). */
      events: ReplayEvent[];
      /** Points-and-lifetime balance (x above); 0 when the history explains all of it. */
      balancingEarn: number;
      /** Points taken back without touching lifetime (y above), as a positive number. */
      balancingSpend: number;
      /** Under negativeEventsLowerLifetime: the one balancing amount (any sign). */
      balancingNet: number;
      notes: string[];
    }
  | { kind: 'fallback'; reason: string };

/** Longest external note taken from a history item. */
const LABEL_MAX = 200;

/** A status that means the item has not (or no longer) counted in Yotpo's balance. */
const NOT_COUNTED = /^(pending|declined|rejected|cancell?ed|void(ed)?|refunded|on hold|expired pending)$/i;
/** An earning counts only when Yotpo approved it; a redemption's status is its coupon code, so any status but those above counts. */
const APPROVED = /^(approved|completed?|awarded|earned)$/i;

export function counts(item: Pick<HistoryItem, 'points' | 'status'>): boolean {
  if (item.points > 0) return APPROVED.test(item.status.trim());
  return !NOT_COUNTED.test(item.status.trim());
}

export interface ReplayInput {
  history: HistoryInput;
  /** Net points the migration adds (TP) and the lifetime increase it intends (TL). */
  targetPoints: number;
  targetLifetime: number;
  /** Yotpo's balance B: the approved items are compared with it. */
  balance: number;
  model: LifetimeModel;
  now: string;
}

export function replayHistory(input: ReplayInput): ReplayOutcome {
  const { history, targetPoints: TP, targetLifetime: TL, balance: B, model, now } = input;
  switch (history.status) {
    case 'missing':
      return { kind: 'fallback', reason: 'history not looked up' };
    case 'not_found':
      return { kind: 'fallback', reason: `no history: ${history.reason ?? 'Yotpo answered 404'}` };
    case 'failed':
      return { kind: 'fallback', reason: history.reason ?? 'the history lookup failed' };
    case 'unreadable': {
      const lines = (history.reason ?? 'an item is not valid').split('\n');
      return { kind: 'fallback', reason: `history unreadable: ${lines[0]}${lines.length > 1 ? ` (and ${lines.length - 1} more problems)` : ''}` };
    }
  }
  const counted = history.items.filter((i) => i.points !== 0 && counts(i));
  const uncounted = history.items.filter((i) => i.points !== 0 && !counts(i));
  if (!counted.length) return { kind: 'fallback', reason: 'the history has no approved items to replay' };
  const earned = counted.filter((i) => i.points > 0).reduce((s, i) => s + i.points, 0);
  const spent = -counted.filter((i) => i.points < 0).reduce((s, i) => s + i.points, 0);
  const net = earned - spent;
  const notes: string[] = [];
  if (uncounted.length) {
    const list = uncounted.map((i) => `item ${i.idx} ${signed(i.points)} "${i.status}"`).join(', ');
    // Without them the approved items match the balance: Yotpo did not count them, and neither does the replay.
    if (net !== B)
      return {
        kind: 'fallback',
        reason: `items not approved (${list}) and the approved ones add up to ${net}, not the balance ${B}: whether Yotpo counted them is unknown`,
      };
    notes.push(`history: not replayed, as Yotpo does not count them yet: ${list}`);
  }

  let balancingEarn = 0;
  let balancingSpend = 0;
  let balancingNet = 0;
  if (model.negativeEventsLowerLifetime) balancingNet = TP - net;
  else {
    balancingEarn = TL - earned;
    if (balancingEarn < 0)
      return { kind: 'fallback', reason: `its earnings (${earned}) exceed the lifetime to carry (${TL}): replayed, lifetime would end too high` };
    balancingSpend = earned - spent + balancingEarn - TP;
    if (balancingSpend < 0)
      return {
        kind: 'fallback',
        reason: `the history does not add up: its earnings and the lifetime to carry (${earned + balancingEarn}) less what it spent (${spent}) is below the ${TP} points to carry`,
      };
  }

  const nowMs = Date.parse(now);
  let future = 0;
  const events = counted
    .map((i) => {
      let appliedAt = itemInstant(i);
      if (Date.parse(appliedAt) > nowMs) {
        future++;
        appliedAt = new Date(nowMs).toISOString();
      }
      return { idx: i.idx, points: i.points, appliedAt, label: cut(itemLabel(i)) };
    })
    .sort((a, b) => a.appliedAt.localeCompare(b.appliedAt) || a.idx - b.idx);
  if (future) notes.push(`history: ${future} items dated in the future are dated now`);
  return { kind: 'replay', events, balancingEarn, balancingSpend, balancingNet, notes };
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

function cut(text: string): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length > LABEL_MAX ? `${clean.slice(0, LABEL_MAX - 1)}…` : clean;
}
