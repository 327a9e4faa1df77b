import { getMeta, setMeta } from '../db/open.js';
import type { Db } from '../db/open.js';
import type { AwardRow } from '../ledger/awards.js';
import { pluckStatement, statement } from '../ledger/statements.js';
import { isAwardable, type EarningRule } from '../rivo/awards.js';
import { actionMap, actionNameOf, isCompleted, namesOf, suggestRule, type HistoryItemLike } from './actions.js';

/**
 * What the plan, `show` and the reports say about one-time actions, from the DB only: the histories the lookup
 * stored, the `awards` ledger, and the mapping the last plan used (kept in meta so the reports, which take no config,
 * can tell a mapped action from an unmapped one).
 */

const META_MAPPING = 'one_time_actions';

/** Kept by each plan pass that checked the mapping (plan, migrate): what the reports compare histories with. */
export function rememberMapping(db: Db, oneTimeActions: Readonly<Record<string, string>>): void {
  if (Object.keys(oneTimeActions).length === 0 && getMeta(db, META_MAPPING) === null) return;
  setMeta(db, META_MAPPING, JSON.stringify(oneTimeActions));
}

export function rememberedMapping(db: Db): Record<string, string> {
  const raw = getMeta(db, META_MAPPING);
  if (raw === null) return {};
  try {
    return JSON.parse(raw) as Record<string, string>;
  } catch {
    return {};
  }
}

const hasTable = (db: Db, name: string) => (pluckStatement(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) as number) > 0;

/**
 * A completed item whose name is not mapped is worth a warning when it looks like a one-time action: Yotpo gave it an
 * `action_name` or a `completed_at` (repeatable earnings such as purchases carry neither).
 */
export function looksOneTime(item: HistoryItemLike): boolean {
  return Boolean(item.completed_at) || Boolean(item.action_name);
}

export interface CustomerActions {
  /** Rule awarded and points counted. */
  awarded: { action: string; points: number }[];
  pending: { action: string; dueAt: string | null }[];
  /** Mapped and completed, not awarded (yet): to award, skipped, already earned, refused, uncertain. */
  other: { action: string; status: string; why: string | null }[];
  unmapped: string[];
}

function historyItems(db: Db, customerKey: string): HistoryItemLike[] {
  if (!hasTable(db, 'history_items')) return [];
  return statement(db, 'SELECT action, action_name, points, status, completed_at, created_at FROM history_items WHERE customer_key = ? ORDER BY idx').all(
    customerKey,
  ) as HistoryItemLike[];
}

function awardRows(db: Db, customerKey: string): AwardRow[] {
  if (!hasTable(db, 'awards')) return [];
  return statement(db, 'SELECT * FROM awards WHERE customer_key = ? ORDER BY created_at, key').all(customerKey) as AwardRow[];
}

/** Null when the customer has neither a mapped nor a one-time-looking action, nor an award. */
export function customerActions(db: Db, customerKey: string, mapping: Readonly<Record<string, string>> = rememberedMapping(db)): CustomerActions | null {
  const items = historyItems(db, customerKey).filter(isCompleted);
  const awards = awardRows(db, customerKey);
  const map = actionMap(mapping);
  const out: CustomerActions = { awarded: [], pending: [], other: [], unmapped: [] };
  for (const a of awards) {
    if (a.status === 'awarded') out.awarded.push({ action: a.action, points: a.points ?? 0 });
    else if (a.status === 'pending') out.pending.push({ action: a.action, dueAt: a.points_due_at });
    else out.other.push({ action: a.action, status: a.status, why: a.last_error });
  }
  const rulesDone = new Set(awards.map((a) => a.rule_id));
  for (const item of items) {
    const m = namesOf(item)
      .map((n) => map.get(n.trim().toLowerCase()))
      .find((x) => x !== undefined);
    if (m) {
      if (!rulesDone.has(m.ruleId)) {
        rulesDone.add(m.ruleId);
        out.other.push({ action: m.action, status: 'to award', why: null });
      }
      continue;
    }
    const name = actionNameOf(item);
    if (name && looksOneTime(item) && !out.unmapped.includes(name)) out.unmapped.push(name);
  }
  const empty = !out.awarded.length && !out.pending.length && !out.other.length && !out.unmapped.length;
  return empty ? null : out;
}

/** One line for plan.csv and `show`: "awarded: X +150; pending: Y; unmapped (warning): Z". */
export function describeActions(a: CustomerActions | null): string {
  if (!a) return '';
  const parts: string[] = [];
  if (a.awarded.length) parts.push(`awarded: ${a.awarded.map((x) => `${x.action} +${x.points}`).join(', ')}`);
  if (a.pending.length) parts.push(`pending (not counted): ${a.pending.map((x) => `${x.action}${x.dueAt ? ` until ${x.dueAt.slice(0, 10)}` : ''}`).join(', ')}`);
  const by = new Map<string, string[]>();
  for (const o of a.other) by.set(o.status, [...(by.get(o.status) ?? []), o.action]);
  const words: Record<string, string> = { 'to award': 'mapped, to award', skipped: 'not awarded', already: 'earned before the migration', refused: 'refused by Rivo', uncertain: 'uncertain', in_flight: 'uncertain' };
  for (const [status, actions] of by) parts.push(`${words[status] ?? status}: ${actions.join(', ')}`);
  if (a.unmapped.length) parts.push(`unmapped (warning: not awarded, can be earned again in Rivo): ${a.unmapped.join(', ')}`);
  return parts.join('; ');
}

export interface ActionName {
  name: string;
  customers: number;
  /** The rule it is mapped to, or null. */
  ruleId: string | null;
  /** An awardable rule with a similar name, for an unmapped one. */
  suggestion: EarningRule | null;
}

/** Every completed action name in the stored histories, with how many customers did it: the dry run's list. */
export function actionNames(db: Db, mapping: Readonly<Record<string, string>>, rules: readonly EarningRule[], maxSeq = Number.MAX_SAFE_INTEGER): ActionName[] {
  if (!hasTable(db, 'history_items')) return [];
  const rows = statement(
    db,
    `SELECT h.action, h.action_name, count(DISTINCT h.customer_key) AS customers
       FROM history_items h JOIN customers c ON c.key = h.customer_key
      WHERE c.seq <= ? AND h.points >= 0 AND (lower(trim(h.status)) = 'approved' OR h.completed_at IS NOT NULL)
      GROUP BY coalesce(h.action_name, h.action), h.action ORDER BY customers DESC, 1`,
  ).all(maxSeq) as { action: string | null; action_name: string | null; customers: number }[];
  const map = actionMap(mapping);
  const byName = new Map<string, ActionName>();
  for (const r of rows) {
    const item: HistoryItemLike = { action: r.action, action_name: r.action_name, points: 0, status: 'approved' };
    const name = actionNameOf(item);
    if (!name) continue;
    const m = namesOf(item)
      .map((n) => map.get(n.trim().toLowerCase()))
      .find((x) => x !== undefined);
    const seen = byName.get(name);
    if (seen) {
      seen.customers += r.customers;
      continue;
    }
    byName.set(name, { name, customers: r.customers, ruleId: m?.ruleId ?? null, suggestion: m ? null : (namesOf(item).map((n) => suggestRule(n, rules)).find((s) => s) ?? null) });
  }
  return [...byName.values()];
}

export const AWARD_EMAIL_NOTICE =
  'Rivo may notify each customer of an award (the award endpoint takes no skip_email); nothing is awarded unless mapped in mapping.oneTimeActions.';

/** The dry run's lines: action names found next to Rivo's awardable rules, with suggestions. */
export function actionsOverviewLines(names: readonly ActionName[], rules: readonly EarningRule[], mapping: Readonly<Record<string, string>>): string[] {
  const awardable = rules.filter(isAwardable);
  if (!names.length && !Object.keys(mapping).length) return [];
  const lines = [`One-time actions: ${names.length} action name(s) completed in the Yotpo histories read; Rivo has ${awardable.length} awardable earning rule(s).`];
  for (const n of names.slice(0, 20)) {
    const rule = n.ruleId ? rules.find((r) => r.id === n.ruleId) : null;
    const right = n.ruleId
      ? `mapped to ${n.ruleId}${rule ? ` "${rule.name}"` : ''}`
      : n.suggestion
        ? `unmapped; Rivo's "${n.suggestion.name}" looks alike: map it with "${n.name}": "${n.suggestion.id}"`
        : 'unmapped';
    lines.push(`  ${n.name} (${n.customers} customer${n.customers === 1 ? '' : 's'}): ${right}`);
  }
  if (names.length > 20) lines.push(`  … and ${names.length - 20} more (plan.csv, column one_time_actions)`);
  if (awardable.length)
    lines.push(`  Rivo's awardable rules: ${awardable.map((r) => `${r.id} "${r.name}" (${r.category}${r.points !== null ? `, ${r.points} points` : ''}${r.approvalTime ? `, approval ${r.approvalTime} days` : ''})`).join('; ')}`);
  lines.push(AWARD_EMAIL_NOTICE);
  return lines;
}

/**
 * `(customerKey) => text` for a report over every customer: decided once whether there is anything to say at all, so
 * a migration without histories or awards costs nothing per row.
 */
export function actionsDescriber(db: Db): (customerKey: string) => string {
  const items = hasTable(db, 'history_items') && !!db.prepare('SELECT 1 FROM history_items LIMIT 1').get();
  const awards = hasTable(db, 'awards') && !!db.prepare('SELECT 1 FROM awards LIMIT 1').get();
  if (!items && !awards) return () => '';
  const mapping = rememberedMapping(db);
  return (key) => describeActions(customerActions(db, key, mapping));
}

export interface AwardTotals {
  awarded: number;
  points: number;
  pending: number;
  already: number;
  skipped: number;
  refused: number;
  uncertain: number;
  customers: number;
  mapped: number;
}

export function collectAwardTotals(db: Db): AwardTotals | undefined {
  const mapped = Object.keys(rememberedMapping(db)).length;
  if (!hasTable(db, 'awards')) return undefined;
  const t = db
    .prepare(
      `SELECT coalesce(sum(status = 'awarded'), 0) AS awarded, coalesce(sum(CASE WHEN status = 'awarded' THEN points END), 0) AS points,
         coalesce(sum(status = 'pending'), 0) AS pending, coalesce(sum(status = 'already'), 0) AS already,
         coalesce(sum(status = 'skipped'), 0) AS skipped, coalesce(sum(status = 'refused'), 0) AS refused,
         coalesce(sum(status IN ('in_flight','uncertain')), 0) AS uncertain, count(DISTINCT customer_key) AS customers FROM awards`,
    )
    .get() as Omit<AwardTotals, 'mapped'>;
  if (mapped === 0 && t.customers === 0) return undefined;
  return { ...t, mapped };
}
