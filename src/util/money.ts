/**
 * Money. Every amount in this tool is a whole number of cents (Yotpo's and Rivo's decimals are parsed into cents at
 * the edge, `rivo/parse.ts decimalToCents`), and every amount shown or sent as a decimal goes through `formatCents`:
 * reports, terminal messages, Rivo's `credits_amount`. Integer arithmetic only, so 0.1 + 0.2 never shows.
 */

/** Cents as a decimal with exactly two places: 1250 -> "12.50", -5 -> "-0.05". Refuses a fraction of a cent. */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`credits must be whole cents, got ${cents}`);
  const abs = Math.abs(cents);
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** A difference in words: "2.50 more" / "2.50 less". */
export function moreOrLessMoney(diffCents: number): string {
  return diffCents > 0 ? `${formatCents(diffCents)} more` : `${formatCents(-diffCents)} less`;
}
