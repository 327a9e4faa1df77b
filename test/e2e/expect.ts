import { expect } from 'vitest';
import { parseKeysFromNote } from '../../src/mapper/keys.js';
import type { RivoCustomerAttributes, RivoEventRecord, Sandbox, YotpoRecord } from '../../src/sandbox/index.js';

/**
 * THE expectation of every end-to-end and reliability test: what Rivo must look like after a complete migration,
 * computed from the sandbox's Yotpo records and Rivo-before customers with the documented rules
 * (shared/reference/migration-semantics.md, default config: strategy `lifetime`, mode `add`), never from the tool's DB.
 *
 * Rules, as written down by the reference and encoded here independently of src/:
 * - a Yotpo record is valid when its email is a non-blank string, `points_balance` and `points_earned` are whole,
 *   non-negative numbers (or numeric strings) no larger than 1e12, and `credit_balance` is absent/blank or a
 *   non-negative amount with at most two significant decimals;
 * - records whose trimmed email is identical (case included) are one Yotpo customer read twice: the later read wins
 *   (a record that moved in Yotpo's listing; see src/extract/record-key.ts). Emails differing in case are two records;
 * - a valid record matches the Rivo customer whose id is its Shopify id (`third_party_id`, else `thirty_party_id`),
 *   else the one whose email equals its email trimmed and lower-cased (oldest Rivo id first);
 * - a Rivo customer matched by exactly one valid record: points = P + B; lifetime = (PL ?? 0) + max(L, B) (null
 *   stays null when that is 0); credits = PC + C;
 * - a Rivo customer matched by two or more records (conflict), or by none: untouched.
 */

export interface Tallies {
  points: number;
  /** null: Rivo's "never earned". */
  lifetime: number | null;
  creditsCents: number;
}

export type RecordOutcome =
  | { kind: 'invalid'; key: string; field: string }
  | { kind: 'matched'; key: string; rivoId: number }
  | { kind: 'conflict'; key: string; rivoId: number }
  | { kind: 'unmatched'; key: string };

export interface Expectation {
  /** Every Rivo customer of `rivoBefore`, by id: what its tallies must be. */
  rivo: Map<number, Tallies>;
  /** Rivo ids that must receive the migration (exactly one valid Yotpo record). */
  changed: Set<number>;
  /** Yotpo record key (trimmed email) -> what happens to it. */
  records: Map<string, RecordOutcome>;
  counts: { records: number; customers: number; invalid: number; matched: number; conflict: number; unmatched: number };
}

const MAX_POINTS = 1e12;

function isBlank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

/** Whole non-negative points, or undefined when the value is not one. */
export function wholePoints(v: unknown): number | undefined {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\+?\d+(\.0+)?$/.test(v.trim())) n = Number(v.trim());
  else return undefined;
  if (!Number.isFinite(n) || !Number.isInteger(n) || n < 0 || n > MAX_POINTS) return undefined;
  return n;
}

/** Store credit in cents: blank is 0; undefined when it is not a non-negative amount with at most two decimals. */
export function creditCents(v: unknown): number | undefined {
  if (isBlank(v)) return 0;
  const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : undefined;
  if (text === undefined) return undefined;
  const m = /^\+?(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return undefined;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > 2) return undefined;
  return Number(m[1]) * 100 + Number(frac.padEnd(2, '0'));
}

/** Rivo's credits_tally ("25.0", "12.34") in cents. */
export function rivoCents(v: string): number {
  const m = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(v.trim());
  if (!m) throw new Error(`unexpected credits_tally ${JSON.stringify(v)}`);
  const cents = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -cents : cents;
}

function isRecord(r: unknown): r is YotpoRecord {
  return typeof r === 'object' && r !== null && !Array.isArray(r);
}

function shopifyId(r: YotpoRecord): string | null {
  for (const v of [r.third_party_id, r.thirty_party_id]) {
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  }
  return null;
}

/** Why a record cannot be migrated (the field named), or null when it is valid. */
export function invalidField(r: YotpoRecord): string | null {
  if (!isRecord(r)) return 'record';
  if (typeof r.email !== 'string' || r.email.trim() === '') return 'email';
  if (wholePoints(r.points_balance) === undefined) return 'points_balance';
  if (wholePoints(r.points_earned) === undefined) return 'points_earned';
  if (creditCents(r.credit_balance) === undefined) return 'credit_balance';
  return null;
}

export function tallies(c: RivoCustomerAttributes): Tallies {
  return { points: c.points_tally, lifetime: c.lifetime_earnings_tally, creditsCents: rivoCents(c.credits_tally) };
}

/** The expected Rivo state after a complete migration of `yotpo` into a Rivo that looked like `rivoBefore`. */
export function expectedState(yotpo: readonly YotpoRecord[], rivoBefore: readonly RivoCustomerAttributes[]): Expectation {
  // One Yotpo customer per trimmed email (case kept): the later read wins.
  const byKey = new Map<string, YotpoRecord>();
  let unkeyed = 0;
  for (const r of yotpo) {
    const key = isRecord(r) && typeof r.email === 'string' && r.email.trim() !== '' ? r.email.trim() : `#no-email-${unkeyed++}`;
    byKey.delete(key);
    byKey.set(key, r);
  }

  const rivoById = new Map<string, RivoCustomerAttributes>();
  const rivoByEmail = new Map<string, RivoCustomerAttributes>();
  for (const c of [...rivoBefore].sort((a, b) => a.id - b.id)) {
    rivoById.set(String(c.id), c);
    const e = c.email.trim().toLowerCase();
    if (!rivoByEmail.has(e)) rivoByEmail.set(e, c);
  }

  const records = new Map<string, RecordOutcome>();
  const claims = new Map<number, string[]>();
  for (const [key, r] of byKey) {
    const field = invalidField(r);
    if (field) {
      records.set(key, { kind: 'invalid', key, field });
      continue;
    }
    const tp = shopifyId(r);
    const target = (tp !== null ? rivoById.get(tp) : undefined) ?? rivoByEmail.get(r.email.trim().toLowerCase());
    if (!target) {
      records.set(key, { kind: 'unmatched', key });
      continue;
    }
    claims.set(target.id, [...(claims.get(target.id) ?? []), key]);
  }

  const rivo = new Map<number, Tallies>();
  const changed = new Set<number>();
  for (const c of rivoBefore) rivo.set(c.id, tallies(c));
  for (const [rivoId, keys] of claims) {
    if (keys.length > 1) {
      for (const key of keys) records.set(key, { kind: 'conflict', key, rivoId });
      continue;
    }
    const key = keys[0]!;
    records.set(key, { kind: 'matched', key, rivoId });
    const r = byKey.get(key)!;
    const B = wholePoints(r.points_balance)!;
    const L = wholePoints(r.points_earned)!;
    const C = creditCents(r.credit_balance)!;
    const before = rivo.get(rivoId)!;
    const grow = Math.max(L, B);
    rivo.set(rivoId, {
      points: before.points + B,
      lifetime: before.lifetime === null && grow === 0 ? null : (before.lifetime ?? 0) + grow,
      creditsCents: before.creditsCents + C,
    });
    changed.add(rivoId);
  }

  const outcomes = [...records.values()];
  const count = (k: RecordOutcome['kind']) => outcomes.filter((o) => o.kind === k).length;
  return {
    rivo,
    changed,
    records,
    counts: {
      records: yotpo.length,
      customers: byKey.size,
      invalid: count('invalid'),
      matched: count('matched'),
      conflict: count('conflict'),
      unmatched: count('unmatched'),
    },
  };
}

/** The expectation for a sandbox: its Yotpo records as served now, Rivo as the shop was generated. */
export function expectedFor(sb: Sandbox, rivoBefore: readonly RivoCustomerAttributes[] = sb.shop.rivoCustomers): Expectation {
  return expectedState(sb.yotpo.customers(), rivoBefore);
}

/** Rivo's current tallies that differ from `want`, one line each (empty when Rivo is exactly as expected). */
export function tallyDifferences(sb: Sandbox, want: Map<number, Tallies>, fields: (keyof Tallies)[] = ['points', 'lifetime', 'creditsCents']): string[] {
  const out: string[] = [];
  for (const [id, w] of want) {
    const c = sb.rivo.customer(id);
    if (!c) {
      out.push(`${id}: missing from Rivo`);
      continue;
    }
    const have = tallies(c);
    for (const f of fields) if (have[f] !== w[f]) out.push(`${id} ${c.email}: ${f} is ${String(have[f])}, expected ${String(w[f])}`);
  }
  return out;
}

/** Every event key that appears in more than one Rivo event. */
export function duplicateKeys(events: readonly RivoEventRecord[]): string[] {
  const seen = new Map<string, number>();
  for (const e of events) for (const k of parseKeysFromNote(e.internal_note)) seen.set(k, (seen.get(k) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`);
}

/** Rivo customers whose events carry at least one key. */
export function keyedCustomers(events: readonly RivoEventRecord[]): Set<number> {
  return new Set(events.filter((e) => parseKeysFromNote(e.internal_note).length > 0).map((e) => e.customer_id));
}

/**
 * The promise, asserted: every Rivo customer has exactly the expected tallies, no event key appears twice, every
 * event was created with skip_email (no customer was emailed), and no event touched a customer that must stay
 * untouched.
 */
export function expectExactMigration(sb: Sandbox, want: Expectation, context = ''): void {
  const events = sb.rivo.allEvents();
  expect(tallyDifferences(sb, want.rivo), `tallies ${context}`).toEqual([]);
  expect(duplicateKeys(events), `duplicate event keys ${context}`).toEqual([]);
  expect(sb.stats().rivo.emailsSent, `emails sent ${context}`).toBe(0);
  const touched = [...keyedCustomers(events)].filter((id) => !want.changed.has(id));
  expect(touched, `customers that must be untouched but received events ${context}`).toEqual([]);
}

/** Rivo back to its points and credits before the migration (lifetime cannot go down under the modelled Rivo). */
export function expectRolledBack(sb: Sandbox, rivoBefore: readonly RivoCustomerAttributes[] = sb.shop.rivoCustomers): void {
  const before = new Map(rivoBefore.map((c) => [c.id, tallies(c)] as const));
  expect(tallyDifferences(sb, before, ['points', 'creditsCents']), 'tallies after rollback').toEqual([]);
  expect(duplicateKeys(sb.rivo.allEvents()), 'duplicate event keys after rollback').toEqual([]);
  expect(sb.stats().rivo.emailsSent, 'emails sent').toBe(0);
}
