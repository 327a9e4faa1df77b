import { loadConfig } from '../../config/load.js';
import { CUSTOMER_STATES, EVENT_STATUSES } from '../../domain.js';
import { EXIT } from '../exit-codes.js';
import { openForReading } from '../read-db.js';
import { readStatus, type StatusSummary } from '../../status/status.js';
import { formatCents as money } from '../../util/money.js';
import type { CommandRun } from '../context.js';

/** `status`: where the migration stands. Reads the DB only: no credentials, no network, no writes. */
export const run: CommandRun = async (args) => {
  const { config } = loadConfig({ flags: args, needsCredentials: false });
  const db = openForReading(config.db);
  let summary: StatusSummary;
  try {
    summary = readStatus(db);
  } finally {
    db.close();
  }
  // The answer goes to stdout (`status > status.txt`); with --json the boundary prints the JSON object there instead.
  if (!args.json) process.stdout.write(formatStatus(summary, config.db));
  const attention = summary.customers.attention + (summary.verify ? summary.verify.outcomes.mismatch + summary.verify.outcomes.missing + summary.verify.duplicates : 0);
  return { exitCode: attention > 0 ? EXIT.attention : EXIT.ok, summary: { db: config.db, ...summary } };
};

const n = (x: number) => x.toLocaleString('en-US');
const signed = (x: number) => (x > 0 ? `+${n(x)}` : n(x));

function table(rows: [string, string][], indent = '  '): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${indent}${k.padEnd(w)}  ${v}`).join('\n');
}

export function formatStatus(s: StatusSummary, dbPath: string): string {
  const out: string[] = [];
  out.push(`Migration ${s.migrationId ?? '?'}  (${dbPath})`);
  out.push('');
  out.push(`Customers: ${n(s.customers.total)}`);
  out.push(table(CUSTOMER_STATES.map((st) => [st.replace(/_/g, ' '), n(s.customers.byState[st])])));
  out.push('');
  out.push('Points and store credit');
  out.push(
    table([
      ['points done', n(s.points.done)],
      ['points pending', n(s.points.pending)],
      ['credit done', money(s.credits.done)],
      ['credit pending', money(s.credits.pending)],
      ...(s.points.rolledBack || s.points.rollbackPending || s.credits.rolledBack || s.credits.rollbackPending
        ? ([
            ['rolled back (points)', `${signed(s.points.rolledBack)} done, ${signed(s.points.rollbackPending)} pending`],
            ['rolled back (credit)', `${money(s.credits.rolledBack)} done, ${money(s.credits.rollbackPending)} pending`],
          ] as [string, string][])
        : []),
    ]),
  );
  out.push('');
  out.push(`Events: ${n(s.events.total)}`);
  out.push(table(EVENT_STATUSES.map((st) => [st.replace(/_/g, ' '), n(s.events.byStatus[st])])));
  if (s.problems.total) {
    out.push('');
    out.push(`Problems: ${n(s.problems.total)}`);
    out.push(table(Object.entries(s.problems.byKind).map(([k, v]) => [k.replace(/_/g, ' '), n(v)])));
  }
  out.push('');
  out.push('Extraction');
  if (!s.extraction.sources.length) out.push('  not started');
  for (const src of s.extraction.sources)
    out.push(
      `  ${src.source}: ${n(src.recordsRead)} records, ${n(src.pagesRead)}${src.totalPages ? ` of ${n(src.totalPages)}` : ''} pages, ${src.done ? 'done' : 'unfinished'}`,
    );
  out.push(`Requests used: Yotpo ${n(s.requests.yotpo)}, Rivo ${n(s.requests.rivo)}`);
  if (s.lastRun)
    out.push(
      `Last run: \`${s.lastRun.command}\` started ${s.lastRun.startedAt}, ${s.lastRun.endedAt ? `ended ${s.lastRun.endedAt} (${s.lastRun.outcome ?? 'no outcome'})` : 'did not finish (still running, or stopped)'}`,
    );
  if (s.lastError) out.push(`Last error: \`${s.lastError.command}\` at ${s.lastError.endedAt ?? s.lastError.startedAt}: ${s.lastError.error}`);
  if (s.verify) {
    const o = s.verify.outcomes;
    out.push(
      `Last verify: ${s.verify.checkedAt}: ${n(o.match)} match, ${n(o.mismatch)} mismatch, ${n(o.missing)} missing, ${n(o.not_checked)} not checked` +
        (s.verify.duplicates ? `, ${n(s.verify.duplicates)} duplicate events` : '') +
        (s.verify.stale ? ' (events were sent since: run verify again)' : ''),
    );
  }
  out.push('');
  out.push('Next:');
  for (const step of s.nextSteps) out.push(`  - ${step}`);
  return `${out.join('\n')}\n`;
}
