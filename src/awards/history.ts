import type { Db } from '../db/open.js';
import { storedLookup } from '../ledger/history.js';
import type { HistoryItem } from '../history/items.js';
import { awardsOf } from '../ledger/awards.js';
import type { HistoryInput } from '../mapper/history.js';
import { actionMap, isCompleted, namesOf, type HistoryItemLike } from './actions.js';

/**
 * A customer's Yotpo history items as the history lookup stored them (ledger/history.ts; the lookup runs before each
 * plan pass when `mapping.history` is on or one-time actions are mapped). Read one customer at a time. A customer
 * whose history was not found or not read has no known actions: nothing is awarded to them.
 */
export function historySource(db: Db): (customerKey: string) => HistoryItemLike[] {
  return (customerKey) => {
    const stored = storedLookup(db, customerKey);
    if (!stored || stored.status !== 'found') return [];
    return stored.items.map((i) => ({
      action: i.action,
      action_name: i.actionName,
      points: i.points,
      status: i.status,
      completed_at: i.completedAt,
      created_at: i.createdAt,
    }));
  };
}

/**
 * The history the replay carries once awards were counted: the item of each awarded action is left out (the award's
 * own event stands for it in Rivo), and `yotpoPoints` says what those items were worth in Yotpo, so the replay can
 * still compare the rest with the balance. The history as given when nothing was awarded.
 */
export function withoutAwardedItems(db: Db, customerKey: string, oneTimeActions: Readonly<Record<string, string>>, history: HistoryInput): { history: HistoryInput; yotpoPoints: number } {
  const awarded = new Set(awardsOf(db, customerKey).filter((a) => a.status === 'awarded' && (a.points ?? 0) !== 0).map((a) => a.rule_id));
  if (awarded.size === 0) return { history, yotpoPoints: 0 };
  const map = actionMap(oneTimeActions);
  const left: HistoryItem[] = [];
  let yotpoPoints = 0;
  for (const item of history.items) {
    const like = { action: item.action, action_name: item.actionName, points: item.points, status: item.status, completed_at: item.completedAt };
    const rule = isCompleted(like)
      ? namesOf(like)
          .map((n) => map.get(n.trim().toLowerCase())?.ruleId)
          .find((r) => r !== undefined)
      : undefined;
    if (rule !== undefined && awarded.has(rule)) {
      awarded.delete(rule); // the first completed item of the rule is the one awarded (actions.ts mappedActionsOf)
      yotpoPoints += item.points;
      continue;
    }
    left.push(item);
  }
  return { history: { ...history, items: left }, yotpoPoints };
}
