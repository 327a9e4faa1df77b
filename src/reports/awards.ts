import type { AwardTotals } from '../awards/view.js';
import { html, type SafeHtml } from './html-template.js';

/** A short section on one-time action awards; nothing when none were mapped or made. */
export function awardsSection(t: AwardTotals | undefined): SafeHtml | null {
  if (!t) return null;
  const rows = (
    [
      ['awarded, points counted into the migration', t.awarded, `${t.awarded} (${t.points} points)`],
      ['pending approval in Rivo (not counted: Rivo adds the points when it approves)', t.pending, String(t.pending)],
      ['already earned in Rivo before the migration (nothing counted)', t.already, String(t.already)],
      ['not sent: more than the customer is owed', t.skipped, String(t.skipped)],
      ['refused by Rivo', t.refused, String(t.refused)],
      ['uncertain (the customer waits; read back on the next run)', t.uncertain, String(t.uncertain)],
    ] as const
  )
    .filter(([, count]) => count !== 0)
    .map(([label, , shown]) => html`<tr><td>${label}</td><td>${shown}</td></tr>`);
  return html`<h2>One-time actions</h2>
<p>${t.mapped} Yotpo action name(s) mapped to Rivo earning rules; awards for ${t.customers} customer(s). Rivo may notify each customer of an award (the award endpoint takes no skip_email). Per customer: plan.csv, column <code>one_time_actions</code>.</p>
${rows.length ? html`<table>\n${rows}\n</table>` : html`<p class="note">Nothing awarded yet.</p>`}`;
}
