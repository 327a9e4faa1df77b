import type { ProbeContext } from '../context.js';
import { confirmed, differs, unknown, type AssumptionResult } from '../types.js';

/**
 * `negative_below_zero`: is a debit that takes points below zero accepted? Probed only on a customer holding few
 * points: the debit is −(points + 1), and restoring it credits the same amount back, which under the modelled
 * lifetime rule raises the customer's lifetime by that much.
 */
export const BELOW_ZERO_MAX_POINTS = 100;

export async function probeBelowZero(ctx: ProbeContext): Promise<AssumptionResult> {
  const c = await ctx.customer();
  if (c.pointsTally < 0 || c.pointsTally > BELOW_ZERO_MAX_POINTS)
    return unknown(
      { probed: false, customerPoints: c.pointsTally },
      `treated as refused (the safe assumption). To measure it, run the pilot on a staff customer holding 0–${BELOW_ZERO_MAX_POINTS} points`,
    );
  const debit = -(c.pointsTally + 1);
  const w = await ctx.writer.single('negative_below_zero', { points: debit });
  if (w.status === 'done') {
    ctx.note(`The below-zero probe took the customer to −1 point and back: restoring it credited ${-debit} point(s), which may raise their lifetime by as much.`);
    return confirmed({ accepted: true, debit }, 'a debit may be sent before the credit it depends on');
  }
  if (w.status === 'refused')
    return differs({ accepted: false, debit, answer: w.error }, 'a customer\'s credits are sent before their debits; a refused debit is retried after them', 'adapted');
  return unknown({ probed: true, debit, outcome: w.status }, 'treated as refused (the safe assumption)');
}
