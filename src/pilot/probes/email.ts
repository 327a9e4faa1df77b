import type { ProbeContext } from '../context.js';

/**
 * `batch_skip_email`: no API tells whether an email went out. One batch event (+1 point, `skip_email`) is sent to
 * the pilot customer; the person checks that inbox and answers with `pilot --confirm-no-email`. Until then the
 * assumption stays `unknown` and `rivo.sendMode auto` sends single events (documented `skip_email`).
 */
export async function sendEmailProbe(ctx: ProbeContext): Promise<{ key: string; sentAt: string } | null> {
  const sentAt = new Date().toISOString();
  const r = await ctx.writer.batch('batch_skip_email', [{ points: 1 }]);
  const landed = r.outcomes[0]!;
  if (landed.status !== 'done') {
    ctx.note(`The batch event for the email check did not land (${'status' in r.answer ? `HTTP ${r.answer.status}` : r.answer.error}); batch emails stay unconfirmed.`);
    return null;
  }
  return { key: landed.key, sentAt };
}
