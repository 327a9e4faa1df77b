import { exitCodeFor } from '../exit-codes.js';
import { verifyStage } from '../../migrate/stages.js';
import type { VerifySummary } from '../../verify/verifier.js';
import type { CommandRun } from '../context.js';
import { withSession } from '../session.js';

/**
 * `verify`: reads Rivo back, compares every customer with what the migration should have produced, checks the
 * ledger's events on a sample, writes verify.csv / verify.json / report.html. Reads only from Rivo.
 * Exit 0: every checked customer matches and no event is duplicated; 3: some customers need attention.
 */
export const run: CommandRun = (args) =>
  withSession(args, { command: 'verify', talksTo: ['rivo'], db: 'existing' }, async (s) => {
    const { summary, files, totals } = await verifyStage(s);
    // The answer goes to stdout (`verify > verify.txt`); progress stayed on stderr. With --json only the JSON object.
    if (!args.json) process.stdout.write(formatVerify(summary, files));
    return { exitCode: exitCodeFor(summary), summary: { ...summary, files, totals } };
  });

export function formatVerify(s: VerifySummary, files: string[]): string {
  const o = s.outcomes;
  const lines = [
    '',
    `Verified ${s.customers.toLocaleString('en-US')} customers against Rivo (${s.lookup === 'list' ? "Rivo's customer list" : 'one lookup each'}, ${s.requests} requests):`,
    `  match        ${o.match}`,
    `  mismatch     ${o.mismatch}`,
    `  missing      ${o.missing}`,
    `  not checked  ${o.not_checked}${o.not_checked ? ' (events not settled yet: run `yotpo-to-rivo migrate`, then verify)' : ''}`,
    `Events read back for ${s.ledgerChecked} customers: ${s.keysFound} of ${s.keysExpected} event keys found, ${s.duplicates} duplicated` +
      (s.notInLedger ? `, ${s.notInLedger} of this migration not in the ledger` : ''),
  ];
  const attention = Object.entries(s.attention).filter(([, n]) => (n ?? 0) > 0);
  if (attention.length) lines.push(`Customers needing attention: ${attention.map(([k, n]) => `${n} ${k.replace(/_/g, ' ')}`).join(', ')} (see plan.csv)`);
  if (s.lifetimeNotExact)
    lines.push(`Lifetime cannot be exact for ${s.lifetimeNotExact} customers (the lifetime model cannot reach the plan's target; Rivo shows the best reachable): see verify.csv`);
  if (s.lifetimeHint) lines.push('', `Lifetime model: ${s.lifetimeHint}`);
  if (files.length) lines.push('', 'Report:', ...files.map((f) => `  ${f}`));
  lines.push(
    '',
    s.outcome === 'clean'
      ? 'Every checked customer matches what the migration should have produced.'
      : 'Some customers need attention: see verify.csv (the detail column says what differs).',
  );
  return `${lines.join('\n')}\n`;
}
