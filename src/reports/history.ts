import type { Db } from '../db/open.js';
import { getMeta } from '../db/open.js';
import { escapeHtml as esc } from './html-escape.js';
import type { Redactor } from './redact.js';

/** Meta key: the history lookup cost as the last run stated it before its first lookup (history/stage.ts). */
export const HISTORY_COST_META = 'history_cost';

/** What plan.json and the report say about history replay (mapping.history). Counts only: no customer named. */
export interface HistoryTotals {
  /** The cost stated before the lookups: lookups owed then, the Yotpo budget, and the estimate in seconds. */
  cost: { lookups: number; rpm: number; seconds: number; statedAt: string } | null;
  lookups: { found: number; not_found: number; unreadable: number; failed: number };
  replayed: number;
  fallback: number;
  /** Fallbacks by kind of reason (the first words of each reason). */
  fallbackReasons: Record<string, number>;
}

/** The kind of a fallback reason, from how `mapper/history.ts` words it. */
export function fallbackKind(reason: string): string {
  const kinds: [RegExp, string][] = [
    [/^its earnings .* exceed the lifetime/, 'earnings exceed lifetime'],
    [/^the history does not add up/, 'does not add up'],
    [/^items not approved/, 'items not approved'],
    [/^no history/, 'not found in Yotpo'],
    [/^history unreadable/, 'unreadable items'],
    [/^the history lookup failed/, 'lookup failed'],
    [/^the history has no approved items/, 'no approved items'],
  ];
  return kinds.find(([re]) => re.test(reason))?.[1] ?? 'other';
}

export function collectHistoryTotals(db: Db): HistoryTotals | null {
  const cost = getMeta(db, HISTORY_COST_META);
  const lookups = { found: 0, not_found: 0, unreadable: 0, failed: 0 };
  for (const r of db.prepare('SELECT status, count(*) AS n FROM history_lookups GROUP BY status').all() as { status: keyof typeof lookups; n: number }[]) lookups[r.status] = r.n;
  const statuses = db.prepare("SELECT history_status AS s FROM customers WHERE history_status IS NOT NULL AND state <> 'invalid'").pluck().all() as string[];
  if (cost === null && !statuses.length && !Object.values(lookups).some((n) => n > 0)) return null;
  const fallbackReasons: Record<string, number> = {};
  let replayed = 0;
  let fallback = 0;
  for (const s of statuses) {
    if (s.startsWith('replayed')) replayed++;
    else if (s.startsWith('fallback: ')) {
      fallback++;
      const kind = fallbackKind(s.slice('fallback: '.length));
      fallbackReasons[kind] = (fallbackReasons[kind] ?? 0) + 1;
    }
  }
  return { cost: cost ? (JSON.parse(cost) as HistoryTotals['cost']) : null, lookups, replayed, fallback, fallbackReasons };
}

/** Customers whose history was not replayed, shown by name in the report (redacted as the rest of it). */
const LISTED = 20;

export interface HistorySectionData {
  totals: HistoryTotals;
  /** The first fallback customers, already redacted: who, and why. */
  listed: { who: string; reason: string }[];
}

export function collectHistorySection(db: Db, r: Redactor): HistorySectionData | null {
  const totals = collectHistoryTotals(db);
  if (!totals) return null;
  const rows = db
    .prepare("SELECT key, email, history_status FROM customers WHERE history_status LIKE 'fallback: %' AND state <> 'invalid' ORDER BY seq LIMIT ?")
    .all(LISTED) as { key: string; email: string | null; history_status: string }[];
  return { totals, listed: rows.map((c) => ({ who: r.email(c.email) ?? r.text(c.key) ?? '', reason: r.text(c.history_status.slice('fallback: '.length)) ?? '' })) };
}

export function historySection(d: HistorySectionData | null | undefined): string {
  if (!d) return '';
  const t = d.totals;
  const cost = t.cost ? `<p>Lookups: ${esc(String(t.cost.lookups))}, stated before the first one (≈ ${esc(String(Math.ceil(t.cost.seconds)))} s at ${esc(String(t.cost.rpm))}/min).</p>` : '';
  const reasons = Object.entries(t.fallbackReasons)
    .map(([k, n]) => `${esc(k)}: ${esc(String(n))}`)
    .join(', ');
  const list = d.listed.length
    ? `<table><thead><tr><th>customer</th><th>why the balance-only events were sent instead</th></tr></thead><tbody>${d.listed
        .map((c) => `<tr><td>${esc(c.who)}</td><td>${esc(c.reason)}</td></tr>`)
        .join('')}</tbody></table>${t.fallback > d.listed.length ? `<p class="note">… and ${esc(String(t.fallback - d.listed.length))} more (plan.csv, column <code>history_status</code>).</p>` : ''}`
    : '';
  return `<h2>History replay</h2>
${cost}<p>${esc(String(t.replayed))} customer(s) got their Yotpo history as backdated events; ${esc(String(t.fallback))} got the balance-only events${reasons ? ` (${reasons})` : ''}.</p>
${list}`;
}
