import type { Db } from '../db/open.js';
import { html, type SafeHtml } from './html-template.js';

/** What the report says about expiry dates: how many customers Yotpo gave one, and how many travel to Rivo. */
export interface ExpiryTotals {
  /** Customers (valid records) whose Yotpo record has a `points_expire_at` that is a date. */
  withDate: number;
  /** Records whose `points_expire_at` is not a date (the plan notes each one). */
  unreadable: number;
  /** Live (not cancelled) migrated events that carry `expires_at`, and how many of them Rivo confirmed. */
  eventsCarrying: number;
  eventsDone: number;
  /** Earliest and latest date carried or to carry. */
  earliest: string | null;
  latest: string | null;
}

/** An ISO instant as the extractor stores it; anything else in the column is the unreadable text it kept. */
const IS_DATE = "points_expire_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*'";

export function collectExpiryTotals(db: Db): ExpiryTotals {
  const c = db
    .prepare(
      `SELECT coalesce(sum(CASE WHEN ${IS_DATE} THEN 1 ELSE 0 END), 0) AS withDate,
         coalesce(sum(CASE WHEN points_expire_at IS NOT NULL AND NOT (${IS_DATE}) THEN 1 ELSE 0 END), 0) AS unreadable
       FROM customers WHERE state <> 'invalid'`,
    )
    .get() as { withDate: number; unreadable: number };
  const e = db
    .prepare(
      `SELECT count(*) AS n, coalesce(sum(status = 'done'), 0) AS done, min(expires_at) AS earliest, max(expires_at) AS latest
       FROM events WHERE expires_at IS NOT NULL AND status <> 'cancelled'`,
    )
    .get() as { n: number; done: number; earliest: string | null; latest: string | null };
  return { withDate: c.withDate, unreadable: c.unreadable, eventsCarrying: e.n, eventsDone: e.done, earliest: e.earliest, latest: e.latest };
}

/** A short section; nothing when no customer has an expiry date at all. */
export function expirySection(t: ExpiryTotals | undefined): SafeHtml | null {
  if (!t || (t.withDate === 0 && t.unreadable === 0 && t.eventsCarrying === 0)) return null;
  const range = t.earliest && t.latest ? html` (${t.earliest.slice(0, 10)} to ${t.latest.slice(0, 10)})` : '';
  const carried =
    t.eventsCarrying > 0
      ? html`<p>${t.eventsCarrying} migrated earn event(s) carry the date as <code>expires_at</code>${range}; ${t.eventsDone} confirmed in Rivo.</p>`
      : html`<p class="note">No migrated event carries <code>expires_at</code>: see <code>mapping.expiry</code> (the dates are in plan.csv, column <code>yotpo_points_expire_at</code>).</p>`;
  const bad =
    t.unreadable > 0 ? html`<p class="note">${t.unreadable} customer(s) have a <code>points_expire_at</code> that is not a date: not carried (plan.csv, reason).</p>` : '';
  return html`<h2>Expiry dates</h2>\n<p>${t.withDate} customer(s) have a points expiry date in Yotpo.</p>\n${carried}\n${bad}`;
}
