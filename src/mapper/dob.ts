import { daysInMonth } from '../util/dates.js';

/**
 * Birthdays. Rivo takes `dob` as `YYYY-MM-DD` (format unconfirmed, see rivo-api.md): `formatDob` is the one place
 * that writes it, `parseDob` the one place that reads Rivo's.
 */

export interface DateParts {
  year: number;
  month: number;
  day: number;
}

export { daysInMonth, isLeapYear } from '../util/dates.js';

export function isValidMonthDay(month: number, day: number, year: number | null = null): boolean {
  return (
    Number.isInteger(month) && month >= 1 && month <= 12 && Number.isInteger(day) && day >= 1 && day <= daysInMonth(month, year)
  );
}

/** The Rivo `dob` value. */
export function formatDob(parts: DateParts): string {
  const { year, month, day } = parts;
  if (!Number.isInteger(year) || year < 1 || year > 9999 || !isValidMonthDay(month, day, year))
    throw new Error(`formatDob: ${year}-${month}-${day} is not a date`);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Reads a `dob` as Rivo (or an earlier run) stored it: a `YYYY-MM-DD` prefix, or null when it is not one. */
export function parseDob(value: string | null | undefined): DateParts | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|T|\s)/.exec(value.trim());
  if (!m) return null;
  const parts = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  return isValidMonthDay(parts.month, parts.day, parts.year) ? parts : null;
}

export interface YotpoBirthday {
  month: number | null;
  day: number | null;
  year: number | null;
}

export type BirthdayResult =
  | { kind: 'none' } // Yotpo has no birthday: nothing to say
  | { kind: 'invalid'; note: string }
  | { kind: 'ok'; dob: string; yearKnown: boolean; notes: string[] };

/**
 * What to write for a Yotpo birthday. A missing year, or one that cannot be right (before 1900, after `nowYear`, or
 * a 29 Feb in a year that had none), is replaced by `unknownYear`, with a note for the last two cases.
 */
export function birthdayFromYotpo(b: YotpoBirthday, unknownYear: number, nowYear: number): BirthdayResult {
  const { month, day, year } = b;
  if (month === null && day === null) return { kind: 'none' };
  if (month === null || day === null)
    return { kind: 'invalid', note: `birthday incomplete in Yotpo (month ${month ?? 'missing'}, day ${day ?? 'missing'}): not set` };
  if (!isValidMonthDay(month, day)) return { kind: 'invalid', note: `birthday ${month}/${day} (month/day) is not a valid date: not set` };
  const notes: string[] = [];
  let useYear: number | null = null;
  if (year !== null) {
    if (!Number.isInteger(year) || year < 1900 || year > nowYear) notes.push(`birthday year ${year} is implausible: using ${unknownYear}`);
    else if (!isValidMonthDay(month, day, year)) notes.push(`birthday 29 Feb in ${year}, not a leap year: using ${unknownYear}`);
    else useYear = year;
  }
  const finalYear = useYear ?? unknownYear;
  if (!isValidMonthDay(month, day, finalYear))
    return { kind: 'invalid', note: `birthday 29 Feb cannot be written with year ${finalYear} (rivo.dobUnknownYear is not a leap year): not set` };
  return { kind: 'ok', dob: formatDob({ year: finalYear, month, day }), yearKnown: useYear !== null, notes };
}

/**
 * Whether `existing` already holds this birthday. With the year unknown only month and day count, so a real year
 * already in Rivo is never overwritten by the placeholder year.
 */
export function sameBirthday(existing: string | null, dob: string, yearKnown: boolean): boolean {
  const a = parseDob(existing);
  const b = parseDob(dob);
  if (!a || !b) return false;
  return a.month === b.month && a.day === b.day && (!yearKnown || a.year === b.year);
}
