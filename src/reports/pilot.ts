import type { Db } from '../db/open.js';
import { ASSUMPTION_NAMES, type AssumptionResult } from '../pilot/types.js';
import { readStoredPilot, type StoredPilot } from '../pilot/store.js';
import { escapeHtml as esc } from './html-escape.js';
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
export function pilotSectionHtml(d: PilotSectionData | null): string {
  if (!d) return '<h2>This store\'s Rivo (pilot)</h2>\n<p>No pilot yet: run <code>yotpo-to-rivo pilot --customer &lt;staff email&gt;</code> before the first real run.</p>';
  const rows = d.rows
    .map((r) => {
      const bad = r.consequence === 'attention' || r.consequence === 'blocking';
      return `<tr${bad ? ' class="bad"' : ''}><td><code>${esc(r.name)}</code></td><td>${esc(r.status)}</td><td><div class="reason">${esc(r.observed)}</div></td><td><div class="reason">${esc(r.setting)}</div></td><td>${esc(r.consequence)}</td></tr>`;
    })
    .join('\n');
  return `<h2>This store's Rivo (pilot)</h2>
<p class="meta">Measured ${esc(d.measuredAt)} on customer ${esc(d.customer ?? '')}; batch emails: ${esc(d.emailAnswer ?? 'not confirmed by a person yet')}.</p>
<table><thead><tr><th>assumption</th><th>status</th><th>observed</th><th>setting</th><th>consequence</th></tr></thead><tbody>
${rows}
</tbody></table>
${d.checklist.length ? `<h3>Before the real run</h3>\n<ul>${d.checklist.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>` : ''}`;
}
