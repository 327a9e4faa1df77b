/**
 * What this tool assumes about one Rivo store's undocumented behaviour ([unconfirmed] in rivo-api.md).
 *
 * `pilot` measures each assumption on the merchant's store and stores the result in the migration DB; the listing,
 * the loader and verify take a profile instead of hard-coding the behaviour our sandbox models. Before a pilot has
 * run, `UNMEASURED_PROFILE` is what they get: every unknown is treated the safe way (read every page, settle refused
 * batches by read-back, send single events with the documented `skip_email`).
 */
export interface RivoProfile {
  /** How `GET /points_events` orders a customer's events and how many it returns per page at most. */
  listing: { order: 'newest_first' | 'oldest_first' | 'unknown'; perPageCap: number | null };
  /** Whether `internal_note` comes back exactly as sent (keys are matched by *contains* either way). */
  noteVerbatim: boolean | null;
  /** A batch holding one invalid item: `partial` applies the valid ones and names the failed, `atomic` applies none. */
  batchAtomicity: 'partial' | 'atomic' | 'unknown';
  /** Whether a batch's answer says, item by item, what was applied. */
  batchItemResults: boolean | null;
  /** Whether a debit that takes a customer's points below zero is accepted. */
  negativeBelowZero: boolean | null;
  /** How events move `lifetime_earnings_tally`: `positive_only` is the modelled rule (a debit leaves lifetime alone). */
  lifetimeModel: 'positive_only' | 'net' | 'unknown';
  /** Whether `/points_events/batch` honours `skip_email`; only a person who watched the inbox can say `silent`. */
  batchSkipEmail: 'silent' | 'emails' | 'unknown';
  /**
   * `expires_at` on a created event: `accepted` (stored and listed back as sent), `ignored` (accepted, listed without
   * it), `refused` (the event is refused). Rivo lists `expires_at` but does not document it on creation.
   */
  expiresAt: 'accepted' | 'ignored' | 'refused' | 'unknown';
}

/** The behaviour the sandbox models by default (and rivo-api.md describes). */
export const MODELLED_PROFILE: RivoProfile = {
  listing: { order: 'newest_first', perPageCap: 250 },
  noteVerbatim: true,
  batchAtomicity: 'partial',
  batchItemResults: true,
  negativeBelowZero: true,
  lifetimeModel: 'positive_only',
  batchSkipEmail: 'silent',
  expiresAt: 'accepted',
};

/** What a command assumes before `pilot` has measured the store: nothing that could double-credit or email. */
export const UNMEASURED_PROFILE: RivoProfile = {
  listing: { order: 'unknown', perPageCap: null },
  noteVerbatim: null,
  batchAtomicity: 'unknown',
  batchItemResults: null,
  negativeBelowZero: null,
  lifetimeModel: 'unknown',
  batchSkipEmail: 'unknown',
  expiresAt: 'unknown',
};
