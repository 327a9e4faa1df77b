import { MAX_POINTS, show } from '../extract/validate.js';

/**
 * Yotpo's `history_items` (yotpo-loyalty-api.md, "One customer") -> validated items. Pure, never throws on bad data:
 * each bad item is a problem naming the customer, the item's index and the field, and is left out of the result.
 *
 * An item: `{ created_at, date, action, points, status, action_name?, completed_at? }`. Needed: whole `points`
 * (negative for redemptions and expiries), a `created_at` or `date` that is a date, an `action` or `action_name`
 * to show the customer, and a `status` string (a redemption's status is its coupon code).
 */
export interface HistoryItem {
  /** Position in Yotpo's list, from 0: part of the item's event key. */
  idx: number;
  createdAt: string | null;
  date: string | null;
  action: string | null;
  actionName: string | null;
  points: number;
  status: string;
  completedAt: string | null;
  /** The item as Yotpo sent it. */
  rawJson: string;
}

export interface ParsedHistory {
  items: HistoryItem[];
  /** One line per bad item or field: `customer <key>: history item <i>: <field> <problem>`. */
  problems: string[];
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
const isDate = (v: string) => !Number.isNaN(Date.parse(v));

/** `body`: the whole answer of `GET /customers?with_history=true`. A missing `history_items` is a problem too. */
export function parseHistory(customerKey: string, body: Record<string, unknown>): ParsedHistory {
  const raw = body.history_items;
  if (!Array.isArray(raw)) {
    const what = raw === undefined ? 'is missing from the answer' : `is not a list (${show(raw)})`;
    return { items: [], problems: [`customer ${customerKey}: history_items ${what}`] };
  }
  const items: HistoryItem[] = [];
  const problems: string[] = [];
  raw.forEach((item, idx) => {
    const bad = (field: string, problem: string) => problems.push(`customer ${customerKey}: history item ${idx}: ${field} ${problem}`);
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return bad('(the item)', `is not an object (${show(item)})`);
    const o = item as Record<string, unknown>;
    const before = problems.length;

    let points = NaN;
    if (typeof o.points === 'number') points = o.points;
    else if (typeof o.points === 'string' && /^[+-]?\d+$/.test(o.points.trim())) points = Number(o.points.trim());
    if (o.points === undefined || o.points === null) bad('points', 'is missing');
    else if (!Number.isSafeInteger(points)) bad('points', `${show(o.points)} is not a whole number`);
    else if (Math.abs(points) > MAX_POINTS) bad('points', `${show(o.points)} is absurd (more than ${MAX_POINTS})`);

    const createdAt = text(o.created_at);
    const date = text(o.date);
    if (o.created_at !== undefined && o.created_at !== null && (createdAt === null || !isDate(createdAt))) bad('created_at', `${show(o.created_at)} is not a date`);
    if (o.date !== undefined && o.date !== null && (date === null || !isDate(date))) bad('date', `${show(o.date)} is not a date`);
    if (createdAt === null && date === null) bad('created_at', 'is missing (and so is date)');

    const action = text(o.action);
    const actionName = text(o.action_name);
    if (action === null && actionName === null) bad('action', `is missing or empty (${show(o.action)}), and there is no action_name`);

    if (typeof o.status !== 'string') bad('status', o.status === undefined || o.status === null ? 'is missing' : `${show(o.status)} is not text`);

    const completedAt = text(o.completed_at);
    if (o.completed_at !== undefined && o.completed_at !== null && (completedAt === null || !isDate(completedAt)))
      bad('completed_at', `${show(o.completed_at)} is not a date`);

    if (problems.length > before) return;
    items.push({ idx, createdAt, date, action, actionName, points, status: (o.status as string).trim(), completedAt, rawJson: JSON.stringify(item) });
  });
  return { items, problems };
}

/** When the item happened, as an ISO instant: `created_at` when it is a date, else `date` (midnight UTC). */
export function itemInstant(item: Pick<HistoryItem, 'createdAt' | 'date'>): string {
  const at = item.createdAt ?? item.date;
  return new Date(Date.parse(at as string)).toISOString();
}

/** The words Yotpo showed the customer for the item. */
export function itemLabel(item: Pick<HistoryItem, 'action' | 'actionName'>): string {
  return (item.action ?? item.actionName) as string;
}
