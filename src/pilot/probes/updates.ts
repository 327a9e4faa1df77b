import { HttpError } from '../../http/errors.js';
import type { ProbeContext } from '../context.js';
import { confirmed, differs, unknown, type AssumptionResult } from '../types.js';

/**
 * `tier_endpoint` and `dob_format`, probed only with `--probe-updates`: they change the customer's VIP tier and
 * birthday and put them back where Rivo allows (a customer with no tier cannot be given "no tier" again).
 */

/** A difference matters only when the migration would make that update. */
const tiersOn = (ctx: ProbeContext) => (ctx.config.mapping.tiers ? 'attention' : 'adapted');
const birthdaysOn = (ctx: ProbeContext) => (ctx.config.mapping.birthdays ? 'attention' : 'adapted');

const answerOf = (err: unknown) => (err instanceof HttpError ? { status: err.status ?? null, answer: err.summary() } : { error: String(err) });

export async function probeTier(ctx: ProbeContext): Promise<AssumptionResult> {
  const tiers = await ctx.rivo.listTiers();
  const before = await ctx.customer();
  const target = tiers.find((t) => t.id !== before.tierId);
  if (!target) return unknown({ probed: false, tiers: tiers.length }, 'the store has no other VIP tier to set: tiers are not probed');
  try {
    await ctx.rivo.setVipTier(ctx.rivoId, target.id);
  } catch (err) {
    if (!(err instanceof HttpError) || err.uncertain) throw err;
    return differs({ path: 'POST /customers/{id}/vip_tier', ...answerOf(err) }, 'set mapping.tiers to false and set tiers in Rivo\'s admin', tiersOn(ctx));
  }
  const after = await ctx.customer();
  if (before.tierId !== null) await ctx.rivo.setVipTier(ctx.rivoId, before.tierId);
  else ctx.note(`The customer had no VIP tier and now has "${target.name}": Rivo has no documented way to remove a tier; change it in Rivo's admin if needed.`);
  if (after.tierId !== target.id)
    return differs({ accepted: true, sent: target.id, tierAfter: after.tierId }, 'set mapping.tiers to false: the tier call is accepted but does not set the tier', tiersOn(ctx));
  return confirmed({ accepted: true, sent: target.id, tierAfter: after.tierId }, 'mapping.tiers: tiers are set with POST /customers/{id}/vip_tier');
}

export async function probeDob(ctx: ProbeContext): Promise<AssumptionResult> {
  const before = await ctx.customer();
  const sent = before.dob?.startsWith('2000-01-15') ? '2000-01-16' : '2000-01-15';
  try {
    await ctx.rivo.setDob(ctx.rivoId, sent);
  } catch (err) {
    if (!(err instanceof HttpError) || err.uncertain) throw err;
    return differs({ sent, ...answerOf(err) }, 'set mapping.birthdays to false: Rivo refuses YYYY-MM-DD', birthdaysOn(ctx));
  }
  const stored = (await ctx.customer()).dob;
  await ctx.rivo.setDob(ctx.rivoId, before.dob);
  const restored = (await ctx.customer()).dob;
  if (restored !== before.dob) ctx.note(`The customer's birthday was ${before.dob ?? 'not set'} and is now ${restored ?? 'not set'}: put it back in Rivo's admin.`);
  const observed = { sent, stored };
  if (stored === sent || stored?.startsWith(`${sent}T`)) return confirmed(observed, 'birthdays are sent as YYYY-MM-DD');
  return differs(observed, 'set mapping.birthdays to false: Rivo stores the birthday differently from what was sent', birthdaysOn(ctx));
}
