import { formatCents } from '../util/money.js';
/**
 * Spreadsheet formula injection: a cell that starts with one of these is run as a formula by Excel, LibreOffice
 * and Google Sheets (`=HYPERLINK(...)`, `+cmd|...`, `-2+3`, `@SUM(...)`, and tab / CR which some of them skip).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * The one escaping rule for text cells of every CSV this tool writes: a text cell that would start a formula is
 * prefixed with a single quote, which spreadsheets show as text. Only text is escaped: numbers written by us as
 * numbers (a negative points amount) are never passed here and stay numbers.
 */
export function csvSafe(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/**
 * A number we formatted ourselves (store credit as `-12.50`): written as is, never escaped. The CSV writers' cast
 * turns it back into its text, so a value can only avoid escaping by being built here from a number.
 */
export class FormattedNumber {
  readonly text: string;
  private constructor(text: string) {
    this.text = text;
  }
  /** Cents as a decimal with two places: -1250 -> "-12.50". */
  static cents(cents: number): FormattedNumber {
    return new FormattedNumber(centsToDecimal(cents));
  }
}

/** Integer cents as a decimal string with exactly two places, without floating point: 123456789 -> "1234567.89". */
export const centsToDecimal: (cents: number) => string = formatCents;

/** A CSV cell as the report writers produce it. */
export type Cell = string | number | FormattedNumber | null;

/** csv-stringify `cast` options applying the rule: every string through `csvSafe`, our formatted numbers as is. */
export const safeCast = {
  string: (value: string) => csvSafe(value),
  object: (value: Record<string, unknown>) => (value instanceof FormattedNumber ? value.text : csvSafe(JSON.stringify(value))),
};
