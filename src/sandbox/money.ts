/**
 * Money is kept in integer cents inside the sandbox: decimal strings on the wire, never floats in between.
 */

/** Rivo's `credits_tally` style (Ruby BigDecimal#to_s): 2500 → "25.0", 1250 → "12.5", 1234 → "12.34". */
export function centsToRivo(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100);
  const frac = abs % 100;
  const fracText = frac === 0 ? '0' : frac % 10 === 0 ? String(frac / 10) : String(frac).padStart(2, '0');
  return `${sign}${whole}.${fracText}`;
}

/** Yotpo's `credit_balance` style: "12.50". */
export function centsToFixed2(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * A signed decimal (string or number) to cents. Undefined when it is not a decimal or has sub-cent precision
 * (trailing zeros past the cents are fine).
 */
export function decimalToCents(v: unknown): number | undefined {
  let s: string;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return undefined;
    s = String(v);
  } else if (typeof v === 'string') s = v.trim();
  else return undefined;
  const m = /^([+-])?(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) return undefined;
  const frac = m[3] ?? '';
  if (frac.length > 2 && !/^0+$/.test(frac.slice(2))) return undefined;
  const cents = Number(m[2]) * 100 + Number(frac.slice(0, 2).padEnd(2, '0'));
  if (!Number.isSafeInteger(cents)) return undefined;
  return m[1] === '-' ? -cents : cents;
}
