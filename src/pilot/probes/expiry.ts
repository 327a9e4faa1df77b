import type { ProbeContext } from '../context.js';
import { decideExpiry } from '../../rivo/expiry.js';
import { confirmed, differs, unknown, type AssumptionResult, type Consequence } from '../types.js';

/** How far ahead the probe's event expires: far enough that no expiry job touches it before it is compensated. */
export const PROBE_EXPIRY_DAYS = 365;

/**
 * `expires_at`: does a created event keep the `expires_at` it was sent with? Rivo lists it on events but documents it
 * only for its CSV import. One +1 event carrying a date a year ahead is written (keyed, exactly once), read back from
 * the listing, and compensated by the runner like every probe write. `observed.outcome` is what the store profile
 * keeps (`accepted`, `ignored`, `refused`, `unknown`); `mapping.expiry auto` sends the date only on `accepted`.
 */
export async function probeExpiry(ctx: ProbeContext, now = new Date()): Promise<AssumptionResult> {
  const sent = new Date(Date.parse(now.toISOString().slice(0, 10)) + PROBE_EXPIRY_DAYS * 86_400_000).toISOString();
  const setting = ctx.config.mapping.expiry;
  const w = await ctx.writer.single('expires_at', { points: 1, expiresAt: sent });
  if (w.status === 'refused') return judgeExpiry(setting, { sent, outcome: 'refused', answer: w.error });
  if (w.status !== 'done') return judgeExpiry(setting, { sent, outcome: 'unknown', write: w.status });
  const [read] = await ctx.writer.settle([w.key]);
  if (!read?.event) return judgeExpiry(setting, { sent, outcome: 'unknown', listed: false });
  const listed = read.event.expiresAt ?? null;
  ctx.note(
    `The expires_at probe's +1 event carries an expiry date (${sent.slice(0, 10)}); it was taken back by a −1 event. If Rivo expires unspent event points, check the pilot customer's balance after that date.`,
  );
  if (listed === null) return judgeExpiry(setting, { sent, listed, outcome: 'ignored' });
  if (Date.parse(listed) === Date.parse(sent)) return judgeExpiry(setting, { sent, listed, outcome: 'accepted' });
  // A different date kept: Rivo may round it (to a day, a time zone); the tool cannot tell what a customer would see.
  return judgeExpiry(setting, { sent, listed, outcome: 'unknown' });
}

type Observed = { sent: string; outcome: 'accepted' | 'ignored' | 'refused' | 'unknown' } & Record<string, unknown>;

export function judgeExpiry(setting: 'auto' | 'send' | 'off', observed: Observed): AssumptionResult {
  const decision = decideExpiry(setting, { expiresAt: observed.outcome });
  const what = decision.send ? 'earn events carry Yotpo\'s points_expire_at as expires_at' : 'expiry dates stay in the plan and reports, not sent';
  if (observed.outcome === 'accepted') return confirmed(observed, `mapping.expiry ${setting}: ${what}`);
  // Forcing the date onto a store that refuses or drops it needs the merchant's decision; auto and off adapt.
  const consequence: Exclude<Consequence, 'none'> = setting === 'send' ? 'attention' : 'adapted';
  const fix = setting === 'send' ? 'set mapping.expiry to auto or off: ' : `mapping.expiry ${setting}: `;
  if (observed.outcome === 'refused') return differs(observed, `${fix}Rivo refuses an event carrying expires_at; ${setting === 'send' ? 'every earn event would be refused' : what}`, consequence);
  if (observed.outcome === 'ignored') return differs(observed, `${fix}Rivo drops expires_at; ${setting === 'send' ? 'the dates would be lost' : what}`, consequence);
  return unknown(observed, `${fix}not confirmed that Rivo keeps expires_at as sent; ${setting === 'send' ? 'dates may be lost or changed' : what}`, setting === 'send' ? 'attention' : 'none');
}
