import type { Db } from '../db/open.js';
import { ASSUMPTION_NAMES, type AssumptionResult } from '../pilot/types.js';
import { readStoredPilot, type StoredPilot } from '../pilot/store.js';
import { html, joinHtml, type SafeHtml } from './html-template.js';
import type { Redactor } from './redact.js';

/** The store's profile as `pilot` measured it, for report.html (null before any pilot). */
export interface PilotSectionData {
  customer: string | null;
  measuredAt: string;
  /** `observed` as text, emails in it masked when the report is redacted (a note may carry the operator's email). */
  rows: { name: string; status: AssumptionResult['status']; observed: string; setting: string; consequence: AssumptionResult['consequence'] }[];
  emailAnswer: StoredPilot['emailAnswer'];
  checklist: string[];
}

export function collectPilotSection(db: Db, redactor: Redactor): PilotSectionData | null {
  const p = readStoredPilot(db);
  if (!p) return null;
  const customer = p.customer.includes('@') ? redactor.email(p.customer) : p.customer;
  const rows = ASSUMPTION_NAMES.flatMap((name) => {
    const r = p.assumptions[name];
    return r ? [{ name, status: r.status, observed: redactor.text(observedText(r.observed)) ?? '', setting: r.setting, consequence: r.consequence }] : [];
  });
  return { customer, measuredAt: p.measuredAt, rows, emailAnswer: p.emailAnswer, checklist: p.checklist };
}

const observedText = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** "This store's Rivo": one row per assumption, the differences that need the merchant marked. */
export function pilotSectionHtml(d: PilotSectionData | null): SafeHtml {
  if (!d)
    return html`<h2>This store's Rivo (pilot)</h2>\n<p>No pilot yet: run <code>yotpo-to-rivo pilot --customer &lt;staff email&gt;</code> before the first real run.</p>`;
  const rows = joinHtml(
    d.rows.map((r) => {
      // The row says what the finding is: one that needs the merchant (attention) or stops the real run (blocking).
      const kind = r.consequence === 'attention' ? html` class="row-attention"` : r.consequence === 'blocking' ? html` class="row-blocking"` : '';
      return html`<tr${kind}><td><code>${r.name}</code></td><td>${r.status}</td><td><div class="reason">${r.observed}</div></td><td><div class="reason">${r.setting}</div></td><td>${r.consequence}</td></tr>`;
    }),
    '\n',
  );
  return html`<h2>This store's Rivo (pilot)</h2>
<p class="meta">Measured ${d.measuredAt} on customer ${d.customer ?? ''}; batch emails: ${d.emailAnswer ?? 'not confirmed by a person yet'}.</p>
<table><thead><tr><th>assumption</th><th>status</th><th>observed</th><th>setting</th><th>consequence</th></tr></thead><tbody>
${rows}
</tbody></table>
${d.checklist.length ? html`<h3>Before the real run</h3>\n<ul>${d.checklist.map((c) => html`<li>${c}</li>`)}</ul>` : ''}`;
}
