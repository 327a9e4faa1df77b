/**
 * Yotpo's `points_expire_at` as the `expires_at` of the migrated earn event. Pure: whether the store takes the field
 * is decided outside (`rivo/expiry.ts`, from `mapping.expiry` and the pilot's profile) and comes in as `send`.
 */
export interface ExpiryOutcome {
  /** ISO 8601 instant to send, or null. */
  expiresAt: string | null;
  /** A line for the plan when the date cannot be carried. */
  note: string | null;
}

export function expiryFor(value: string | null | undefined, send: boolean, now: string): ExpiryOutcome {
  if (value === null || value === undefined || value.trim() === '') return { expiresAt: null, note: null };
  const t = Date.parse(value);
  // Said whatever `send` is: the plan and the report show the date, and an unreadable one must not look carried.
  if (!/^\d{4}-\d{2}-\d{2}/.test(value.trim()) || Number.isNaN(t))
    return { expiresAt: null, note: `points_expire_at ${JSON.stringify(value)} is not a date: no expiry carried for this customer` };
  if (!send) return { expiresAt: null, note: null };
  // A date already past would let Rivo expire the migrated points the moment they land (or refuse the event).
  if (t <= Date.parse(now)) return { expiresAt: null, note: `points_expire_at ${value} is already past: expires_at not sent` };
  return { expiresAt: new Date(t).toISOString(), note: null };
}

/** Which migrated event carries the date: the one that adds the customer's points (lifetime `earned`, or a positive `balance`). */
export function carriesExpiry(role: string, pointsAmount: number): boolean {
  return (role === 'earned' || role === 'balance') && pointsAmount > 0;
}
