import type { ProbeContext } from '../context.js';
import { confirmed, differs, unknown, type AssumptionResult } from '../types.js';
import type { WriteOutcome } from '../writer.js';

/**
 * `batch_atomicity` and `batch_item_results`: one batch of a valid event (+1 point) and a deliberately invalid one
 * (a source Rivo's enum does not have). Both are read back, whatever the answer said: the valid one landed
 * (`partial`) or not (`atomic`); the answer named the failed item or not.
 */
export interface BatchObservation {
  answer: { status: number; body: unknown } | { error: string };
  valid: WriteOutcome['status'];
  invalid: WriteOutcome['status'];
}

export async function observeBatch(ctx: ProbeContext): Promise<BatchObservation> {
  const r = await ctx.writer.batch('batch_atomicity', [{ points: 1 }, { points: 1, invalid: true }]);
  return { answer: r.answer, valid: r.outcomes[0]!.status, invalid: r.outcomes[1]!.status };
}

export function judgeAtomicity(o: BatchObservation): AssumptionResult {
  const status = 'status' in o.answer ? o.answer.status : o.answer.error;
  if (o.invalid === 'done')
    return unknown({ mode: 'unknown', status, invalidItemApplied: true }, 'a batch that fails is settled by read-back', 'none');
  if (o.valid === 'done') return confirmed({ mode: 'partial', status }, 'valid items of a refused batch are taken as applied once read back');
  return differs({ mode: 'atomic', status }, 'a batch with one refused item applied none: the valid items are sent again after read-back proves them absent', 'adapted');
}

/** Whether anywhere in the answer an object names item index 1 (the invalid one). */
function namesItem(body: unknown, index: number): boolean {
  if (Array.isArray(body)) return body.some((b) => namesItem(b, index));
  if (body === null || typeof body !== 'object') return false;
  const o = body as Record<string, unknown>;
  for (const k of ['index', 'position', 'item']) if (o[k] === index || o[k] === String(index)) return true;
  return Object.values(o).some((v) => typeof v === 'object' && namesItem(v, index));
}

/**
 * Modelled: a batch with a failed item is answered 4xx naming it. Other ways: a 2xx that lists the failures item by
 * item (the loader reads per-item errors in 2xx and 4xx alike), or an answer that names nothing (every batch is then
 * settled by reading the customers back).
 */
export function judgeItemResults(o: BatchObservation): AssumptionResult {
  if (!('status' in o.answer)) return unknown({ answered: false, error: o.answer.error }, 'every batch answer is settled by read-back');
  if (o.invalid === 'done') return unknown({ status: o.answer.status, invalidItemApplied: true }, 'every batch answer is settled by read-back');
  const { status, body } = o.answer;
  const named = namesItem(body, 1);
  const ok = status >= 200 && status < 300;
  const observed = { status, namesFailedItem: named, failuresIn2xx: ok };
  if (named && !ok) return confirmed(observed, 'failed items are read from the answer; anything it does not say is settled by read-back');
  if (named) return differs(observed, 'a 2xx answer is read item by item: the items it names as failed are not taken as applied', 'adapted');
  // The dangerous shape: an answer that does not say which item failed (worst, a 2xx). Every batch is read back.
  return differs(observed, 'the answer does not say which item failed: every batch is settled by reading the customers back', 'adapted');
}
