import { resolve } from 'node:path';
import { EXIT } from '../exit-codes.js';
import type { ExtractSummary } from '../../extract/extractor.js';
import { countByState } from '../../ledger/customers.js';
import { extractStage } from '../../migrate/stages.js';
import type { CommandResult, CommandRun, CommonArgs } from '../context.js';
import type { TextOut } from '../progress.js';
import { withSession } from '../session.js';


export interface ExtractCommandDeps {
  stderr?: TextOut;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Tests stop a run from outside; the command also stops cleanly on the first Ctrl-C. */
  signal?: AbortSignal;
}

export const run: CommandRun = (args) => runExtract(args);

/** `extract [--from-csv FILE]`: every Yotpo customer into the migration DB, resumable page by page. */
export async function runExtract(args: CommonArgs, deps: ExtractCommandDeps = {}): Promise<CommandResult> {
  const csvPath = args.fromCsv !== undefined && args.fromCsv !== '' ? resolve(deps.cwd ?? process.cwd(), args.fromCsv) : undefined;
  const options = { command: 'extract', talksTo: csvPath ? [] : (['yotpo'] as const), db: 'create' as const, ...deps };
  return withSession(args, options, async (s) => {
    s.say(csvPath ? `Reading ${csvPath}…` : `Reading customers from Yotpo at up to ${s.config.yotpo.rpm} requests per minute…`);
    const summary = await extractStage(s, { csvPath });
    const invalidInDb = countByState(s.db).invalid;
    describe(summary, invalidInDb, s.config.limit).forEach(s.say);
    const exitCode = summary.stoppedBy === 'abort' ? EXIT.failed : invalidInDb > 0 ? EXIT.attention : EXIT.ok;
    return { exitCode, summary: { ...summary, invalidInDb } };
  });
}

function describe(s: ExtractSummary, invalidInDb: number, limit: number | null): string[] {
  const n = (x: number) => x.toLocaleString('en-US');
  const of = (x: number, one: string, many: string) => `${n(x)} ${x === 1 ? one : many}`;
  const lines = [
    `${s.label}: ${of(s.records, 'record', 'records')} on ${of(s.pages, 'page', 'pages')} (${n(s.added)} new, ${n(s.changed)} changed, ${n(s.unchanged)} unchanged` +
      `${s.repeated ? `, ${n(s.repeated)} read twice` : ''})${s.requests ? `, ${n(s.requests)} requests` : ''} in ${(s.elapsedMs / 1000).toFixed(1)} s.`,
  ];
  if (s.resumedFrom !== null) lines.push(`Resumed a pass after ${of(s.passPages - s.pages, 'page', 'pages')} stored by an earlier run.`);
  if (s.done) lines.push(`The pass is complete: ${of(s.passRecords, 'record', 'records')}. A later \`extract\` starts a new pass and picks up changes.`);
  else if (s.stoppedBy === 'limit') lines.push(`Stopped at the limit (${n(limit ?? 0)} records; whole pages are stored). Run \`extract\` without --limit to continue.`);
  else if (s.stoppedBy === 'abort') lines.push('Interrupted. Every page read so far is stored; run `extract` again to resume.');
  if (invalidInDb > 0)
    lines.push(`${of(invalidInDb, 'customer is', 'customers are')} invalid in Yotpo (${n(s.invalid)} read by this run): they are stored with the reason and need attention (see \`status\`).`);
  return lines;
}
