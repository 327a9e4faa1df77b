/**
 * The stable key of a Yotpo record inside one migration: what makes a re-read, a repeated page or a resumed run
 * update the same row instead of adding one.
 *
 * 1. The email exactly as Yotpo gives it, trimmed, case preserved. Not lower-cased: two Yotpo records that differ
 *    only in case are two records, and the planner must see both (they resolve to one Rivo customer: a conflict),
 *    never have one silently overwrite the other here.
 * 2. Without an email: `tpid:<third_party_id>`.
 * 3. Without either: a positional key from the source, the page's cursor and the index in the page. It is stable
 *    as long as the source lists the same records in the same order; such records are invalid anyway (no email).
 */
export function recordKey(identity: { email: string | null; thirdPartyId: string | null }, position: () => string): string {
  if (identity.email !== null && identity.email.trim() !== '') return identity.email.trim();
  if (identity.thirdPartyId !== null && identity.thirdPartyId.trim() !== '') return `tpid:${identity.thirdPartyId.trim()}`;
  return position();
}

export function positionalKey(source: string, pageCursor: string | null, index: number): string {
  return `pos:${source}:${pageCursor ?? 'first'}:${index}`;
}
