import type { AwardTotals } from '../awards/view.js';
import { escapeHtml as esc } from './html-escape.js';

/** A short section on one-time action awards; nothing when none were mapped or made. */
export function awardsSection(t: AwardTotals | undefined): string {
  if (!t) return '';
  const n = (x: number) => esc(String(x));
  const rows = [
    [`awarded, points counted into the migration`, `${n(t.awarded)} (${n(t.points)} points)`],
    ['pending approval in Rivo (not counted: Rivo adds the points when it approves)', n(t.pending)],
    ['already earned in Rivo before the migration (nothing counted)', n(t.already)],
    ['not sent: more than the customer is owed', n(t.skipped)],
    ['refused by Rivo', n(t.refused)],
    ['uncertain (the customer waits; read back on the next run)', n(t.uncertain)],
  ]
    .filter(([, v]) => v !== '0')
    .map(([k, v]) => `<tr><td>${esc(k!)}</td><td>${v}</td></tr>`)
    .join('\n');
  return (
    `<h2>One-time actions</h2>\n<p>${n(t.mapped)} Yotpo action name(s) mapped to Rivo earning rules; awards for ${n(t.customers)} customer(s). ` +
    'Rivo may notify each customer of an award (the award endpoint takes no skip_email). Per customer: plan.csv, column <code>one_time_actions</code>.</p>\n' +
    (rows ? `<table>\n${rows}\n</table>` : '<p class="note">Nothing awarded yet.</p>')
  );
}
