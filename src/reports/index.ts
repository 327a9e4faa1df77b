/** The report writers: what a merchant keeps to prove the migration. */
export { writePlanReport, PLAN_COLUMNS, type PlanReportOptions } from './plan.js';
export { writeVerifyReport, VERIFY_COLUMNS, type VerifyReportOptions } from './verify.js';
export { computePlanTotals, type PlanTotals, type AmountTotals, type DecimalAmounts, type ByState } from './totals.js';
export { computeVerifyTotals, VERIFY_OUTCOMES, type VerifyTotals, type VerifyOutcome } from './verify-totals.js';
export { renderReportHtml, writeReportHtml } from './html.js';
export { collectReportData, type ReportData } from './html-data.js';
export { csvSafe, centsToDecimal } from './csv-safe.js';
export { redactEmail, redactName, maskEmailsIn, makeRedactor, type Redactor } from './redact.js';
export type { ReportOptions } from './options.js';
