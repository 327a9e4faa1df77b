import type { EarningRule } from '../rivo/awards.js';
import { isAwardable } from '../rivo/awards.js';

/**
 * One-time actions in a Yotpo history, and how they meet `mapping.oneTimeActions` and Rivo's earning rules. Pure.
 *
 * A history item (yotpo-loyalty-api.md: `{ created_at, date, action, points, status, action_name?, completed_at? }`)
 * names the action by `action_name` when Yotpo gives one and by `action` (the text shown): the mapping may use
 * either. It counts as completed when it earned
 * points and Yotpo approved it (status "Approved", or a `completed_at`). Names compare trimmed and case-insensitively.
 */

export interface HistoryItemLike {
  action: string | null;
  action_name?: string | null;
  points: number | null;
  status: string | null;
  completed_at?: string | null;
  created_at?: string | null;
}

export interface MappedAction {
  /** The Yotpo action name as the config spells it. */
  action: string;
  ruleId: string;
  completedAt: string | null;
}

export function actionNameOf(item: HistoryItemLike): string | null {
  return namesOf(item)[0] ?? null;
}

/** Both names an item may be mapped by: `action_name` first (Yotpo's id-like name), then the `action` shown. */
export function namesOf(item: HistoryItemLike): string[] {
  return [item.action_name, item.action].map((n) => (n ?? '').trim()).filter((n, i, all) => n !== '' && all.indexOf(n) === i);
}

export function isCompleted(item: HistoryItemLike): boolean {
  if (typeof item.points !== 'number' || item.points < 0) return false;
  if (item.completed_at) return true;
  return (item.status ?? '').trim().toLowerCase() === 'approved';
}

const norm = (s: string) => s.trim().toLowerCase();

/** `mapping.oneTimeActions` with its names normalised: name → rule id. */
export function actionMap(oneTimeActions: Readonly<Record<string, string>>): Map<string, { action: string; ruleId: string }> {
  return new Map(Object.entries(oneTimeActions).map(([action, ruleId]) => [norm(action), { action, ruleId }]));
}

/**
 * The mapped actions this customer completed, one per rule (a rule is awarded once; two Yotpo names mapped to one
 * rule, or an action done twice, give one award), in the order first completed.
 */
export function mappedActionsOf(items: readonly HistoryItemLike[], oneTimeActions: Readonly<Record<string, string>>): MappedAction[] {
  const map = actionMap(oneTimeActions);
  const out: MappedAction[] = [];
  for (const item of items) {
    if (!isCompleted(item)) continue;
    const m = namesOf(item)
      .map((n) => map.get(norm(n)))
      .find((x) => x !== undefined);
    if (!m || out.some((o) => o.ruleId === m.ruleId)) continue;
    out.push({ action: m.action, ruleId: m.ruleId, completedAt: item.completed_at ?? item.created_at ?? null });
  }
  return out;
}

/** Completed action names in a history that the mapping does not name (distinct, as first spelt). */
export function unmappedActionsOf(items: readonly HistoryItemLike[], oneTimeActions: Readonly<Record<string, string>>): string[] {
  const map = actionMap(oneTimeActions);
  const out = new Map<string, string>();
  for (const item of items) {
    const name = actionNameOf(item);
    if (name === null || !isCompleted(item) || namesOf(item).some((n) => map.has(norm(n))) || out.has(norm(name))) continue;
    out.set(norm(name), name);
  }
  return [...out.values()];
}

const STOP = new Set(['a', 'an', 'the', 'us', 'on', 'our', 'to', 'for', 'of', 'with', 'in', 'at', 'your']);

function words(s: string): Set<string> {
  return new Set(
    s
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w !== '' && !STOP.has(w))
      .map((w) => (w.length > 3 && w.endsWith('s') ? w.slice(0, -1) : w)),
  );
}

function similarity(a: string, b: string): number {
  const x = words(a);
  const y = words(b);
  if (x.size === 0 || y.size === 0) return 0;
  let common = 0;
  for (const w of x) if (y.has(w)) common++;
  return common / (x.size + y.size - common);
}

/** Share of words two names must have in common for a suggestion. */
export const SUGGEST_MIN = 0.5;

/** The awardable rule whose name (or action) is closest to a Yotpo action name; null when none is close. */
export function suggestRule(name: string, rules: readonly EarningRule[]): EarningRule | null {
  let best: { rule: EarningRule; score: number } | null = null;
  for (const rule of rules) {
    if (!isAwardable(rule)) continue;
    const score = Math.max(similarity(name, rule.name), rule.action ? similarity(name, rule.action) : 0);
    if (score >= SUGGEST_MIN && (!best || score > best.score)) best = { rule, score };
  }
  return best?.rule ?? null;
}

/**
 * Config problems once Rivo's rules are listed: a mapped rule id Rivo does not have, an inactive rule, or a category
 * the API cannot award. Each names the setting by its dot path.
 */
export function mappingProblems(oneTimeActions: Readonly<Record<string, string>>, rules: readonly EarningRule[]): string[] {
  const problems: string[] = [];
  for (const [action, ruleId] of Object.entries(oneTimeActions)) {
    const rule = rules.find((r) => r.id === ruleId);
    const at = `mapping.oneTimeActions.${JSON.stringify(action)}`;
    if (!rule) problems.push(`${at}: Rivo has no earning rule ${JSON.stringify(ruleId)} (GET /earning_rules lists ${rules.map((r) => r.id).join(', ') || 'none'})`);
    else if (!rule.active) problems.push(`${at}: Rivo's earning rule ${ruleId} ("${rule.name}") is inactive; an award would be refused`);
    else if (!isAwardable(rule))
      problems.push(`${at}: Rivo's earning rule ${ruleId} ("${rule.name}") is in category ${rule.category}; only social and engagement rules can be awarded`);
  }
  return problems;
}
