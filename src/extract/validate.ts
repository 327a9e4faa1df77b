import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ExtractedRecord } from '../ledger/types.js';
import { recordKey } from './record-key.js';
import { daysInMonth } from '../util/dates.js';

/**
 * Raw Yotpo record -> `ExtractedRecord`. Pure: no I/O, no throwing on bad data. A customer-level problem never stops
 * an extraction; it makes the record invalid (stored, with a reason naming the record, the field and the value) or,
 * for fields that carry no points, is dropped and reported as a warning.
 *
 * What blocks a record (invalid): email missing; points_balance or points_earned missing, negative, fractional, not a
 * number, or absurd (> 1e12); credit_balance negative, not an amount, or finer than cents.
 * What does not (warning, value dropped, raw JSON kept for the reports): a birthday that is not a real date, an
 * unreadable opt-in, tier, third-party id or activity date. Points must not wait on a birthday typo.
 */

/** More points than any program hands out: a value above it is a unit or export error, not a balance. */
export const MAX_POINTS = 1e12;
/** Store credit above 10 billion (in cents) is treated the same way. */
export const MAX_CREDIT_CENTS = 1e12;

export interface ValidationContext {
  source: 'api' | 'csv';
  /** The positional key, used only when the record has neither email nor third-party id. */
  position: () => string;
  /** The record as received, serialised; defaults to `JSON.stringify(raw)`. CSV passes its row under its own headers. */
  rawJson?: string;
  /**
   * False when the source has no lifetime points at all (a CSV export without that column): `pointsEarned` is then
   * null rather than every record invalid. The extractor warns once about it.
   */
  earnedExpected?: boolean;
  /** For the birthday year's upper bound. */
  now?: Date;
}

export interface ValidationResult {
  record: ExtractedRecord;
  /** Dropped values, each naming the record, the field and the value. */
  warnings: string[];
}

type FieldResult<T> = { ok: true; value: T } | { ok: false; problem: string };

/** A value as it appears in a message: strings quoted, long ones cut. */
export function show(value: unknown): string {
  const text = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** A zod schema that turns a raw value into T, or fails with one message that names the value. */
function field<T>(parse: (v: unknown) => T | { problem: string }) {
  return z.unknown().transform((v, ctx) => {
    const r = parse(v);
    if (typeof r === 'object' && r !== null && 'problem' in r) {
      ctx.issues.push({ code: 'custom', message: r.problem, input: v });
      return z.NEVER;
    }
    return r as T;
  });
}

function run<T>(schema: z.ZodType<T>, value: unknown): FieldResult<T> {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, problem: r.error.issues[0]?.message ?? 'is not valid' };
}

/** Whole, non-negative, sane points. Numeric strings ("455") are fine: CSV exports and some APIs send them. */
const wholePoints = field<number>((v) => {
  if (isBlank(v)) return { problem: 'missing' };
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^[+-]?\d+(\.\d+)?$/.test(v.trim())) n = Number(v.trim());
  else return { problem: `${show(v)} is not a whole number` };
  if (!Number.isFinite(n)) return { problem: `${show(v)} is not a whole number` };
  if (n < 0) return { problem: `${show(v)} is negative` };
  if (!Number.isInteger(n)) return { problem: `${show(v)} is not a whole number` };
  if (n > MAX_POINTS) return { problem: `${show(v)} is absurd (more than ${MAX_POINTS})` };
  return n === 0 ? 0 : n; // no -0
});

/**
 * A decimal amount -> integer cents, from the string's digits (never through a float). Trailing zeros past the
 * cents are exact and accepted ("12.500"); any other third decimal would need rounding, so it is refused.
 */
const creditCents = field<number | null>((v) => {
  if (isBlank(v)) return null;
  const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : null;
  const m = text === null ? null : /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return { problem: `${show(v)} is not an amount` };
  const [, sign, whole = '', frac = ''] = m;
  const significant = frac.replace(/0+$/, '');
  if (sign === '-' && /[1-9]/.test(whole + frac)) return { problem: `${show(v)} is negative` };
  if (significant.length > 2) return { problem: `${show(v)} has more than 2 decimals` };
  const cents = BigInt(whole === '' ? '0' : whole) * 100n + BigInt(significant.padEnd(2, '0'));
  if (cents > BigInt(MAX_CREDIT_CENTS)) return { problem: `${show(v)} is absurd (more than ${MAX_CREDIT_CENTS / 100})` };
  return Number(cents);
});

const email = field<string>((v) => {
  if (isBlank(v)) return { problem: 'missing' };
  if (typeof v !== 'string') return { problem: `${show(v)} is not an email address` };
  return v.trim();
});

/** Optional text: blank -> null; numbers are read as text; anything else is unreadable. */
const text = field<string | null>((v) => {
  if (isBlank(v)) return null;
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return { problem: `${show(v)} is not text` };
});

/** Shopify customer ids are integers too large to trust as JS numbers on the way in; kept as text. */
const thirdPartyId = field<string | null>((v) => {
  if (isBlank(v)) return null;
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  return { problem: `${show(v)} is not a customer id` };
});

const smallInt = field<number | null>((v) => {
  if (isBlank(v)) return null;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d{1,4}$/.test(v.trim())) return Number(v.trim());
  return { problem: `${show(v)} is not a whole number` };
});

const TRUE = new Set(['true', 'yes', 'y', '1', 't']);
const FALSE = new Set(['false', 'no', 'n', '0', 'f']);
const optIn = field<boolean | null>((v) => {
  if (isBlank(v)) return null;
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string' && TRUE.has(v.trim().toLowerCase())) return true;
  if (typeof v === 'string' && FALSE.has(v.trim().toLowerCase())) return false;
  return { problem: `${show(v)} is not yes or no` };
});

const timestamp = field<string | null>((v) => {
  if (isBlank(v)) return null;
  const ms = typeof v === 'string' ? Date.parse(v.trim()) : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : { problem: `${show(v)} is not a date` };
});

interface Birthday {
  month: number | null;
  day: number | null;
  year: number | null;
}

/**
 * Month and day must make a real date, or the whole birthday is dropped; a bad year alone drops only the year
 * (month and day are what a birthday reward needs). Partial birthdays (a month without a day) are kept as read.
 */
function birthday(raw: Record<string, unknown>, now: Date, warn: (msg: string) => void): Birthday {
  const none: Birthday = { month: null, day: null, year: null };
  const m = run(smallInt, raw.birthday_month);
  const d = run(smallInt, raw.birth_day);
  const y = run(smallInt, raw.birthday_year);
  if (!m.ok) return warn(`birthday dropped: birthday_month: ${m.problem}`), none;
  if (!d.ok) return warn(`birthday dropped: birth_day: ${d.problem}`), none;
  const month = m.value;
  const day = d.value;
  let year = y.ok ? y.value : null;
  if (!y.ok) warn(`birthday year dropped: birthday_year: ${y.problem}`);
  if (year !== null && (year < 1900 || year > now.getUTCFullYear())) {
    warn(`birthday year dropped: birthday_year: ${show(raw.birthday_year)} is not a plausible year`);
    year = null;
  }
  if (month !== null && (month < 1 || month > 12)) return warn(`birthday dropped: birthday_month: ${show(raw.birthday_month)} is not a month`), none;
  if (day !== null && (day < 1 || day > (month === null ? 31 : daysInMonth(month, year))))
    return warn(`birthday dropped: birth_day: ${show(raw.birth_day)} is not a day of month ${month ?? '?'}${year !== null ? ` in ${year}` : ''}`), none;
  return { month, day, year };
}

/**
 * `points_expire_at`: an ISO instant when it is a date. An unreadable one is a warning, and its text is kept as given
 * (never the points' problem): the planner then says in the plan that this customer's expiry is not carried.
 */
function pointsExpireAt(v: unknown, warn: (msg: string) => void): string | null {
  const r = run(timestamp, v);
  if (r.ok) return r.value;
  warn(`points_expire_at not carried: ${r.problem}`);
  return typeof v === 'string' ? v.trim() : show(v);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Hash of everything the migration carries for a customer: a change on re-extraction means a delta may be owed. */
export function valuesHash(r: Omit<ExtractedRecord, 'valuesHash' | 'rawJson' | 'key' | 'source'>): string {
  const values = [
    'v1',
    r.emailNorm,
    r.thirdPartyId,
    r.pointsBalance,
    r.pointsEarned,
    r.creditCents,
    r.tierName,
    r.birthdayMonth,
    r.birthDay,
    r.birthdayYear,
    r.optedIn,
    // An invalid record's values are mostly null: its reason tells two different problems apart.
    r.invalidReason,
    // Appended only when there is one, so records without an expiry keep the hash earlier versions stored.
    ...(r.pointsExpireAt ? [r.pointsExpireAt] : []),
  ];
  return createHash('sha256').update(JSON.stringify(values)).digest('hex');
}

export function validateRecord(raw: unknown, ctx: ValidationContext): ValidationResult {
  const rawJson = ctx.rawJson ?? JSON.stringify(raw) ?? 'null';
  const problems: string[] = [];
  const notes: string[] = [];
  const rec = isObject(raw) ? raw : {};
  if (!isObject(raw)) problems.push(`the record is not an object: ${show(raw)}`);

  const mail = run(email, rec.email);
  if (!mail.ok) problems.push(`email: ${mail.problem}`);
  const emailValue = mail.ok ? mail.value : null;

  // `thirty_party_id` is a misspelled twin some records carry instead of (or beside) `third_party_id`.
  const tp = run(thirdPartyId, rec.third_party_id);
  const twin = run(thirdPartyId, rec.thirty_party_id);
  if (!tp.ok) notes.push(`third_party_id dropped: ${tp.problem}`);
  if (!twin.ok) notes.push(`thirty_party_id dropped: ${twin.problem}`);
  const tpValue = tp.ok ? tp.value : null;
  const twinValue = twin.ok ? twin.value : null;
  if (tpValue !== null && twinValue !== null && tpValue !== twinValue)
    notes.push(`third_party_id ${show(tpValue)} and thirty_party_id ${show(twinValue)} differ: using third_party_id`);
  const tpid = tpValue ?? twinValue;

  const balance = run(wholePoints, rec.points_balance);
  if (!balance.ok) problems.push(`points_balance: ${balance.problem}`);
  let earnedValue: number | null = null;
  if (ctx.earnedExpected !== false || !isBlank(rec.points_earned)) {
    const earned = run(wholePoints, rec.points_earned);
    if (earned.ok) earnedValue = earned.value;
    else problems.push(`points_earned: ${earned.problem}`);
  }
  const credit = run(creditCents, rec.credit_balance);
  if (!credit.ok) problems.push(`credit_balance: ${credit.problem}`);

  const optional = <T>(name: string, schema: z.ZodType<T | null>, value: unknown): T | null => {
    const r = run(schema, value);
    if (r.ok) return r.value;
    notes.push(`${name} dropped: ${r.problem}`);
    return null;
  };
  const tierName = optional('vip_tier_name', text, rec.vip_tier_name);
  const firstName = optional('first_name', text, rec.first_name);
  const lastName = optional('last_name', text, rec.last_name);
  const optedIn = optional('opt_in', optIn, rec.opt_in);
  const activity = [optional('last_seen_at', timestamp, rec.last_seen_at), optional('last_purchase_at', timestamp, rec.last_purchase_at)]
    .filter((t): t is string => t !== null)
    .sort();
  const bday = birthday(rec, ctx.now ?? new Date(), (msg) => notes.push(msg));
  const expiry = pointsExpireAt(rec.points_expire_at, (msg) => notes.push(msg));

  const key = recordKey({ email: emailValue, thirdPartyId: tpid }, ctx.position);
  const who = emailValue !== null ? `customer ${show(emailValue)}` : `record ${key}`;
  const invalidReason = problems.length ? `${who}: ${problems.join('; ')}` : null;
  const values = {
    email: emailValue,
    emailNorm: emailValue === null ? null : emailValue.toLowerCase(),
    thirdPartyId: tpid,
    firstName,
    lastName,
    pointsBalance: balance.ok ? balance.value : null,
    pointsEarned: earnedValue,
    creditCents: credit.ok ? credit.value : null,
    tierName,
    birthdayMonth: bday.month,
    birthDay: bday.day,
    birthdayYear: bday.year,
    optedIn,
    lastActivityAt: activity[activity.length - 1] ?? null,
    pointsExpireAt: expiry,
    invalidReason,
  };
  return {
    record: { key, source: ctx.source, ...values, rawJson, valuesHash: valuesHash(values) },
    warnings: notes.map((n) => `${who}: ${n}`),
  };
}
