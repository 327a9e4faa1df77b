import type { CustomerRow } from '../ledger/types.js';
import type { VerifyResultRow } from '../ledger/types.js';

/** The reason shown for a customer: their state's reason, then the planner's notes, joined with "; ". */
export function reasonOf(row: Pick<CustomerRow, 'state_reason' | 'plan_notes'>): string | null {
  const parts: string[] = [];
  if (row.state_reason) parts.push(row.state_reason);
  parts.push(...planNotes(row.plan_notes));
  return parts.length ? parts.join('; ') : null;
}

/** plan_notes is a JSON array of strings; anything else is shown as it is rather than dropped. */
export function planNotes(raw: string | null): string[] {
  if (raw === null || raw === '') return [];
  try {
    const v: unknown = JSON.parse(raw);
    if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
    return [typeof v === 'string' ? v : JSON.stringify(v)];
  } catch {
    return [raw];
  }
}

/**
 * Yotpo birthday as `YYYY-MM-DD`, or `MM-DD` without a year (not ISO's `--MM-DD`: a spreadsheet would read that as a
 * formula); null when incomplete.
 */
export function yotpoBirthday(row: Pick<CustomerRow, 'birthday_month' | 'birth_day' | 'birthday_year'>): string | null {
  if (row.birthday_month === null || row.birth_day === null) return null;
  const md = `${String(row.birthday_month).padStart(2, '0')}-${String(row.birth_day).padStart(2, '0')}`;
  return row.birthday_year === null ? md : `${String(row.birthday_year).padStart(4, '0')}-${md}`;
}

/** The compared values of a verify result. */
export type VerifyFields = Omit<VerifyResultRow, 'customer_key' | 'rivo_id' | 'checked_at' | 'outcome' | 'detail'>;

/** Which verified values differ (an expected value that Rivo does not have), in the order the CSV lists them. */
export function differingFields(v: VerifyFields): string[] {
  const out: string[] = [];
  const cmp = (name: string, e: unknown, a: unknown, ci = false) => {
    if (e === null || e === undefined) return;
    const same = ci && typeof e === 'string' && typeof a === 'string' ? e.toLowerCase() === a.toLowerCase() : e === a;
    if (!same) out.push(name);
  };
  cmp('points', v.points_expected, v.points_actual);
  cmp('lifetime', v.lifetime_expected, v.lifetime_actual);
  cmp('credits', v.credits_expected, v.credits_actual);
  cmp('tier', v.tier_expected, v.tier_actual, true);
  cmp('dob', v.dob_expected, v.dob_actual);
  cmp('keys', v.keys_expected, v.keys_found);
  if (v.keys_duplicated > 0) out.push('duplicated keys');
  return out;
}
