import { loadConfig } from '../../config/load.js';
import { ConfigError } from '../../errors.js';
import { describeActions } from '../../awards/view.js';
import { EXIT } from '../exit-codes.js';
import { centsToDecimal } from '../../reports/csv-safe.js';
import { findCustomers, showCustomer, type ShownCustomer } from '../../show/customer.js';
import type { CommandRun } from '../context.js';
import { openForReading } from '../read-db.js';

/** `show <email|Shopify id>`: one customer's whole story from the DB; the answer on stdout. No network, no writes. */
export const run: CommandRun = async (args) => {
  const query = String(args.customer ?? '').trim();
  if (!query) throw new ConfigError('show: name a customer by email or Shopify customer id.');
  const { config } = loadConfig({ flags: args, needsCredentials: false });
  const db = openForReading(config.db);
  let shown: ShownCustomer[];
  try {
    shown = findCustomers(db, query).map((c) => showCustomer(db, c, config.redact));
  } finally {
    db.close();
  }
  if (!shown.length) {
    if (!args.json) process.stdout.write(`No customer ${query} in ${config.db} (looked for an email, a Shopify id and a record key).\n`);
    return { exitCode: EXIT.attention, summary: { query, customers: [] } };
  }
  if (!args.json) process.stdout.write(shown.map(formatShown).join('\n'));
  return { exitCode: EXIT.ok, summary: { query, customers: shown } };
};

const money = (c: number | null) => (c === null ? '–' : centsToDecimal(c));
const v = (x: unknown) => (x === null || x === undefined ? '–' : String(x));

export function formatShown(c: ShownCustomer): string {
  const y = c.yotpo;
  const out = [
    `Customer #${c.seq}  ${c.key}`,
    `  Yotpo        ${v(y.email)} · Shopify id ${v(y.shopifyId)} · ${v(y.name)}`,
    `               points ${v(y.pointsBalance)} (earned ${v(y.pointsEarned)}), credit ${money(y.creditCents)}, tier ${v(y.tier)}, birthday ${v(y.birthday)}, points expire ${v(y.pointsExpireAt)}`,
    `               read from ${y.source} at ${y.extractedAt}${y.invalidReason ? ` · INVALID: ${y.invalidReason}` : ''}`,
    `  Identity     ${c.identity.state}${c.identity.reason ? ` (${c.identity.reason})` : ''}`,
    `               Rivo customer ${v(c.identity.rivoId)}${c.identity.rivoEmail ? ` <${c.identity.rivoEmail}>` : ''}` +
      (c.identity.candidateRivoId && c.identity.candidateRivoId !== c.identity.rivoId ? `, candidate ${c.identity.candidateRivoId}` : '') +
      (c.identity.explicit ? ' (from mapping.identityMap)' : ''),
    `  Rivo before  points ${v(c.rivoBefore.points)}, lifetime ${v(c.rivoBefore.lifetime)}, credit ${money(c.rivoBefore.creditCents)}, tier ${v(c.rivoBefore.tier)}, dob ${v(c.rivoBefore.dob)}`,
    `  Plan         adds points ${v(c.plan.targetPoints)}, lifetime ${v(c.plan.targetLifetime)}, credit ${money(c.plan.targetCreditCents)}`,
    `               Rivo after: points ${v(c.plan.predicted.points)}, lifetime ${v(c.plan.predicted.lifetime)}, credit ${money(c.plan.predicted.creditCents)}, tier ${v(c.plan.predicted.tier)}, dob ${v(c.plan.predicted.dob)}`,
    ...c.plan.notes.map((n) => `               note: ${n}`),
    ...(c.history.status || c.history.lookup
      ? [
          `  History      ${v(c.history.status ?? 'not planned with history')}` +
            (c.history.lookup ? ` · Yotpo lookup ${c.history.lookup.status.replace('_', ' ')} (${c.history.lookup.items} items) at ${c.history.lookup.lookedUpAt}` : ''),
        ]
      : []),
    ...(c.oneTimeActions ? [`  One-time     ${describeActions(c.oneTimeActions)}`] : []),
    `  Events (${c.events.length})`,
    ...c.events.map(
      (e) =>
        `    ${e.key}  ${e.kind}/${e.role} gen ${e.generation}  ${e.kind === 'points' ? `${e.points} pts, ${money(e.creditsCents)} credit` : v(e.value)}  ` +
        `${e.expiresAt ? `expires_at ${e.expiresAt}  ` : ''}` +
        `${e.role === 'history' ? `applied ${v(e.appliedAt)} "${v(e.externalNote)}"  ` : ''}` +
        `${e.status.toUpperCase()}${e.kind === 'points' ? ` · rivo event ${e.rivoEventId ?? (e.status === 'done' ? 'id not returned (found by its key)' : '–')}` : ''}` +
        `${e.attempts ? ` · ${e.attempts} attempt${e.attempts === 1 ? '' : 's'}` : ''}${e.lastError && e.status !== 'done' ? ` (last error: ${e.lastError})` : ''}`,
    ),
    `  Verification ${c.verify ? `${v(c.verify.outcome)} at ${v(c.verify.checked_at)}: points ${v(c.verify.points_expected)} → ${v(c.verify.points_actual)}, keys ${v(c.verify.keys_found)}/${v(c.verify.keys_expected)}, duplicated ${v(c.verify.keys_duplicated)}${c.verify.detail ? ` (${v(c.verify.detail)})` : ''}` : 'not verified yet'}`,
    ...c.problems.map((p) => `  Problem      ${p.at} ${p.kind}${p.eventKey ? ` ${p.eventKey}` : ''}: ${p.detail}`),
  ];
  return `${out.join('\n')}\n`;
}
