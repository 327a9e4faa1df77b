import { loadConfig } from '../../config/load.js';
import { acquireLock } from '../../db/lock.js';
import { openDb } from '../../db/open.js';
import { EXIT } from '../../errors.js';
import { limitSeq } from '../../ledger/customers.js';
import { finishRun, startRun } from '../../ledger/runs.js';
import { writeVerifyReport } from '../../reports/index.js';
import { rivoClientFromConfig } from '../../rivo/client.js';
import { verify, type VerifyProgress, type VerifySummary } from '../../verify/verifier.js';
import type { CommandRun } from '../context.js';

/**
 * `verify`: reads Rivo back, compares every customer with what the migration should have produced, checks the
 * ledger's events on a sample, writes verify.csv / verify.json / report.html. Reads only from Rivo.
 * Exit 0: every checked customer matches and no event is duplicated; 3: some customers need attention.
 */
export const run: CommandRun = async (args) => {
  const { config, secrets, warnings } = loadConfig({ flags: args, needsCredentials: ['rivo'] });
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  const db = openDb(config.db, { mustExist: true });
  try {
    const release = acquireLock(db, 'verify');
    const runId = startRun(db, 'verify');
    const rivo = rivoClientFromConfig(config, secrets);
    try {
      const summary = await verify({
        db,
        rivo,
        config,
        limitSeq: limitSeq(db, config.limit),
        onProgress: progressPrinter(),
      });
      const report = await writeVerifyReport({ db, outDir: config.out, redact: config.redact, now: new Date(summary.checkedAt) });
      finishRun(db, runId, summary.exitCode === 0 ? 'ok' : 'attention', null, { yotpo: 0, rivo: summary.requests });
      process.stderr.write(formatVerify(summary, report.files));
      return { exitCode: summary.exitCode === 0 ? EXIT.ok : EXIT.attention, summary: { ...summary, files: report.files, totals: report.totals } };
    } catch (err) {
      finishRun(db, runId, 'failed', err instanceof Error ? err.message : String(err), { yotpo: 0, rivo: rivo.requestCount });
      throw err;
    } finally {
      await rivo.close();
      release();
    }
  } finally {
    db.close();
  }
};

/** Plain progress lines on stderr, at most one every two seconds per phase, and the last one of each phase. */
function progressPrinter(): (p: VerifyProgress) => void {
  let last = 0;
  let phase = '';
  return (p) => {
    const t = Date.now();
    const final = p.total !== null && p.done >= p.total;
    if (p.phase === phase && !final && t - last < 2000) return;
    last = t;
    phase = p.phase;
    const what = { list: 'Rivo customers listed', customers: 'customers verified', events: 'customers whose events were read back' }[p.phase];
    process.stderr.write(`verify: ${p.done.toLocaleString('en-US')}${p.total !== null ? ` of ${p.total.toLocaleString('en-US')}` : ''} ${what}\n`);
  };
}

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
  if (s.lifetimeHint) lines.push('', `Lifetime model: ${s.lifetimeHint}`);
  if (files.length) lines.push('', 'Report:', ...files.map((f) => `  ${f}`));
  lines.push(
    '',
    s.exitCode === 0
      ? 'Every checked customer matches what the migration should have produced.'
      : 'Some customers need attention: see verify.csv (the detail column says what differs).',
  );
  return `${lines.join('\n')}\n`;
}
