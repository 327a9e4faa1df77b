/**
 * Calendar dates: the one leap-year rule, and how two birthdays compare. Pure. The Rivo `dob` format itself (how it
 * is written and read) stays in `mapper/dob.ts`, which builds on these.
 */

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in a month; with no year, February has 29 (a birthday on 29 Feb is a real birthday). */
export function daysInMonth(month: number, year: number | null): number {
  if (month === 2) return year === null || isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * A `dob` as a calendar date `YYYY-MM-DD` (Rivo may answer with a time part: "2000-05-17T00:00:00Z"); blank is no
 * date; anything that is not a valid date is kept as trimmed text, so it compares equal only to the same text.
 */
export function normaliseDob(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const v = value.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|T|\s)/.exec(v);
  if (!m) return v;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(month, year) ? v.slice(0, 10) : v;
}

/** Birthdays compare as calendar dates: "2000-05-17" equals "2000-05-17T00:00:00Z"; null equals blank. */
export function sameDob(a: string | null | undefined, b: string | null | undefined): boolean {
  return normaliseDob(a) === normaliseDob(b);
}
