import { html, type SafeHtml } from './html-template.js';

/** What a table row is, as its class says (`row-attention`…); the style decides which kinds stand out. */
export type RowKind =
  | 'attention' // customers in a state that needs the merchant
  | 'unmapped' // a Yotpo tier with no Rivo tier
  | 'difference' // a total that does not add up
  | 'mismatch'
  | 'missing'
  | 'not-checked'
  | 'duplicate' // an event key found more than once in Rivo
  | 'not-verified' // migrated customers verify did not check
  | 'blocking' // a pilot finding that needs the merchant before the real run
  | 'total'; // the sum under a table

/** Rows drawn pink: each one needs someone to look. */
const HIGHLIGHTED: readonly RowKind[] = ['attention', 'unmapped', 'difference', 'mismatch', 'missing', 'not-checked', 'duplicate', 'not-verified', 'blocking'];
const highlighted = HIGHLIGHTED.map((k) => `tr.row-${k} td`).join(', ');

/** The page's only style: inline, so the report needs nothing but itself to display and print. */
export const CSS: SafeHtml = html`
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1d232b; margin: 0; background: #f5f6f8; }
main { max-width: 1180px; margin: 0 auto; padding: 24px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 2px solid #e3e6ea; padding-bottom: 4px; }
.meta { color: #5b6470; margin: 0 0 12px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th, td { border: 1px solid #dde1e6; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
${highlighted} { background: #fdecec; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 10px; font-weight: 600; }
.badge.ok { background: #e3f5e8; color: #17652f; border: 1px solid #8fd3a3; }
.badge.bad { background: #fdecec; color: #a11b1b; border: 1px solid #ef9a9a; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { flex: 1 1 320px; border: 1px solid #dde1e6; border-radius: 6px; padding: 10px 14px; }
.card.ok { border-left: 6px solid #2e9e52; }
.card.bad { border-left: 6px solid #d23c3c; }
.card h3 { margin: 0 0 6px; font-size: 15px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.chart { max-width: 100%; height: auto; border: 1px solid #eef0f3; }
.chart-title { font-size: 13px; font-weight: 600; fill: #1d232b; }
.chart-value { font-size: 11px; fill: #1d232b; }
.chart-label { font-size: 11px; fill: #3d4550; }
.chart-note { font-size: 10px; fill: #6b7480; }
.note { color: #5b6470; }
.checklist li { margin: 0 0 8px; }
.reason { max-width: 460px; overflow-wrap: anywhere; }
footer { margin-top: 28px; color: #6b7480; font-size: 12px; }
@media print {
  body { background: #fff; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  tr, .card, .chart { break-inside: avoid; }
  .badge, .card, ${highlighted} { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;
