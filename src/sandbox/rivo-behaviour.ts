export type BatchMode = 'atomic' | 'partial';

/**
 * How this stand-in behaves where Rivo's docs say nothing ([unconfirmed] in rivo-api.md). The defaults are the
 * modelled behaviour (`MODELLED_PROFILE` in src/rivo/profile.ts); each switch makes it behave the other way, so tests
 * can show the tool stays exact (or stops safely) on a store that differs. Switchable at run time.
 */
export interface RivoBehaviour {
  /** Most events a listing page serves, whatever `per_page` asked (≤ 250); `links`/`meta` tell what was served. */
  perPageCap: number;
  /** Order of `GET /points_events`. */
  order: 'newest_first' | 'oldest_first';
  /** A batch with bad items: `partial` applies the valid ones, `atomic` applies none. */
  batchAtomicity: BatchMode;
  /** A batch with bad items answers 200 listing the failed items (and the created events) instead of 422. */
  batchItemErrorsIn2xx: boolean;
  /** A debit that would take points (or credit) below zero is refused with 422; by default it is accepted. */
  refuseNegativeBelowZero: boolean;
  /** Prepended to every stored `internal_note` (Rivo prefixes admin-made events with the operator's email). */
  notePrefix: string;
  /** `/points_events/batch` emails the customer whatever `skip_email` says. */
  batchIgnoresSkipEmail: boolean;
  /**
   * Each batch item is checked against the customer's balance before the batch, not after the items before it: an
   * `earned +L` and its `spent −(L−B)` in one batch see the debit refused below zero (with `refuseNegativeBelowZero`).
   */
  batchChecksAgainstStart: boolean;
  /** A debit lowers `lifetime_earnings_tally` too (the modelled rule leaves it alone). */
  lifetimeNet: boolean;
  /** `POST /customers/{id}/vip_tier` does not exist (404): the modelled tier path is wrong for this store. */
  tierEndpointMissing: boolean;
  /** `dob` is accepted only as `MM-DD` (month and day, as RivoJS sends it); `YYYY-MM-DD` is refused with 422. */
  dobMonthDayOnly: boolean;
  /** `expires_at` on a created event is accepted but dropped: the listing shows `expires_at: null`. */
  expiresAtIgnored: boolean;
  /** An event carrying `expires_at` is refused with 422 (by default it is stored and listed). */
  expiresAtRefused: boolean;
  /**
   * Where the award of an earning rule lives ([unconfirmed] path): `earning_rules` (modelled:
   * `POST /earning_rules/{id}/award` with `{customer_identifier}`) or `customers`
   * (`POST /customers/{identifier}/earning_rules/{id}/award`, no body); the other path answers 404.
   */
  awardPath: 'earning_rules' | 'customers';
  /**
   * `GET /customers` serves `next_since_id`s that are tokens, not ids, and takes `pagination[since_id]` only as one of
   * those (or 0): asked to start after an id, it lists from the start, as a store with opaque cursors might. By
   * default the cursor is the page's last id, and any id works.
   */
  customerCursorOpaque: boolean;
}

export const DEFAULT_RIVO_BEHAVIOUR: Readonly<RivoBehaviour> = {
  perPageCap: 250,
  order: 'newest_first',
  batchAtomicity: 'partial',
  batchItemErrorsIn2xx: false,
  refuseNegativeBelowZero: false,
  notePrefix: '',
  batchIgnoresSkipEmail: false,
  batchChecksAgainstStart: false,
  lifetimeNet: false,
  tierEndpointMissing: false,
  dobMonthDayOnly: false,
  expiresAtIgnored: false,
  expiresAtRefused: false,
  awardPath: 'earning_rules',
  customerCursorOpaque: false,
};

/** The default behaviour with `over` on top; keys set to undefined do not hide a default. */
export function rivoBehaviour(over: Partial<RivoBehaviour> = {}): RivoBehaviour {
  const defined = Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined)) as Partial<RivoBehaviour>;
  return { ...DEFAULT_RIVO_BEHAVIOUR, ...defined };
}
