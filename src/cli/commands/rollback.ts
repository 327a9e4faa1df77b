import { loadConfig } from '../../config/load.js';
import { migrationId, openDb } from '../../db/open.js';
import { limitSeq } from '../../ledger/customers.js';
import { formatRollbackPreview, formatRollbackSummary } from '../../load/report.js';
import { rollback } from '../../load/rollback.js';
import { awardsKept, awardsKeptLines } from '../../awards/report.js';
import { rivoClientFromConfig } from '../../rivo/client.js';
import type { CommandRun } from '../context.js';
import { exitCodeFor } from '../exit-codes.js';
import { withSession } from '../session.js';
import { dbLine } from '../store-gate.js';

/**
 * `rollback`: compensating events for everything this migration posted, exactly once. Without `--yes` it only says
 * what it would send (customers, points, credit) and exits 2, having sent nothing and changed nothing.
 */
export const run: CommandRun = async (args) => {
  if (!args.yes) return preview(args);
  return withSession(args, { command: 'rollback', talksTo: ['rivo'], db: 'existing' }, async (s) => {
    const bar = s.progress.stage('rollback');
    const summary = await rollback({
      db: s.db,
      rivo: s.rivo(),
      config: s.config,
      migrationId: s.migrationId,
      limitSeq: limitSeq(s.db, s.config.limit),
      signal: s.signal,
      onProgress: (p) => bar.update(p.eventsDone, p.eventsTotal, `${p.rate.toFixed(1)} req/s${p.eventsUncertain ? `, ${p.eventsUncertain} settling` : ''}`),
      log: (line) => {
        s.log.warn({ stage: 'rollback' }, line);
        s.progress.line(`rollback: ${line}`);
      },
    });
    bar.stop();
    for (const line of formatRollbackSummary(summary)) s.say(line);
    const kept = awardsKept(s.db, limitSeq(s.db, s.config.limit));
    for (const line of awardsKeptLines(kept)) s.say(line);
    s.log.info({ stage: 'rollback', summary: { ...summary, rejected: summary.rejected.length, pending: summary.pending.length } }, 'rollback finished');
    return { exitCode: exitCodeFor(summary), summary: { ...summary, sent: true, awardsKept: kept } };
  });
};

/** Reads the ledger only: no lock, no run record, no request to Rivo. */
const preview: CommandRun = async (args) => {
  const { config, secrets, warnings } = loadConfig({ flags: args, needsCredentials: ['rivo'] });
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  const db = openDb(config.db, { mustExist: true });
  process.stderr.write(`${dbLine(db, config.db, 1)}\n`);
  const rivo = rivoClientFromConfig(config, secrets);
  try {
    const summary = await rollback({ db, rivo, config, migrationId: migrationId(db), limitSeq: limitSeq(db, config.limit), dryRun: true });
    for (const line of formatRollbackPreview(summary.preview!)) process.stderr.write(`${line}\n`);
    const kept = awardsKept(db, limitSeq(db, config.limit));
    for (const line of awardsKeptLines(kept)) process.stderr.write(`${line}\n`);
    // Only said what it would send: a usage stop (exit 2), also inside the summary as it has always been printed.
    const exitCode = exitCodeFor(summary);
    return { exitCode, summary: { ...summary, exitCode, sent: false, awardsKept: kept } };
  } finally {
    await rivo.close();
    db.close();
  }
};
