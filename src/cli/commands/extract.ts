import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { loadConfig } from '../../config/load.js';
import { acquireLock } from '../../db/lock.js';
import { openDb } from '../../db/open.js';
import { EXIT } from '../../errors.js';
import { extract, type ExtractProgress, type ExtractSummary } from '../../extract/extractor.js';
import type { HttpError } from '../../http/errors.js';
import { countByState } from '../../ledger/customers.js';
import { YotpoClient } from '../../yotpo/client.js';
import type { CommandResult, CommandRun, CommonArgs } from '../context.js';

/** Lines of each kind printed in full; the rest are counted in the summary. */
const SHOWN = 10;
/** Plain progress lines (not a terminal) at most this often. */
const PLAIN_EVERY_MS = 5_000;

export interface ExtractCommandDeps {
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Tests stop a run from outside; the command also stops cleanly on the first Ctrl-C. */
  signal?: AbortSignal;
}

export const run: CommandRun = (args) => runExtract(args);

export async function runExtract(args: CommonArgs, deps: ExtractCommandDeps = {}): Promise<CommandResult> {
  const err = deps.stderr ?? process.stderr;
  const say = (line: string) => err.write(`${line}\n`);
  const fromCsv = args.fromCsv !== undefined && args.fromCsv !== '' ? resolve(deps.cwd ?? process.cwd(), args.fromCsv) : undefined;
  const { config, secrets, warnings } = loadConfig({ flags: args, needsCredentials: fromCsv === undefined ? ['yotpo'] : [], env: deps.env, cwd: deps.cwd });
  warnings.forEach((w) => say(`warning: ${w}`));

  const db = openDb(config.db);
  let release: (() => void) | undefined;
  let client: YotpoClient | undefined;
  const stop = new AbortController();
  const onSigint = () => {
    say('Stopping after the page being stored (Ctrl-C again to quit at once; the next run resumes either way)…');
    stop.abort();
  };
  const outer = deps.signal;
  const onOuterAbort = () => stop.abort();
  try {
    release = acquireLock(db, 'extract');
    process.once('SIGINT', onSigint);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    if (outer?.aborted) stop.abort();

    let lastRetryLine = 0;
    if (fromCsv === undefined)
      client = YotpoClient.fromConfig(config, secrets, {
        onRetry: (e: HttpError, attempt: number, delayMs: number) => {
          // A 429 storm must not flood the terminal: one line per few seconds tells the user why it is slow.
          if (Date.now() - lastRetryLine < PLAIN_EVERY_MS) return;
          lastRetryLine = Date.now();
          say(`Yotpo: ${e.status !== undefined ? `HTTP ${e.status}` : e.message}; retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt})`);
        },
      });
    const progress = progressPrinter(err);
    let warningCount = 0;
    let invalidShown = 0;
    say(fromCsv ? `Reading ${fromCsv}…` : `Reading customers from Yotpo at up to ${config.yotpo.rpm} requests per minute…`);
    let summary: ExtractSummary;
    try {
      summary = await extract({
        db,
        config,
        client,
        csvPath: fromCsv,
        limit: config.limit,
        signal: stop.signal,
        onProgress: (p) => progress.update(p),
        onWarning: (w) => {
          if (warningCount++ < SHOWN) progress.log(`warning: ${w}`);
        },
        onInvalid: (r) => {
          if (invalidShown++ < SHOWN) progress.log(`invalid: ${r.invalidReason}`);
        },
      });
    } finally {
      progress.stop();
    }
    const invalidInDb = countByState(db).invalid;
    if (summary.warnings > SHOWN) say(`… and ${summary.warnings - SHOWN} more warnings (values dropped from otherwise valid records; raw records are kept)`);
    if (summary.invalid > SHOWN) say(`… and ${summary.invalid - SHOWN} more invalid records`);
    describe(summary, invalidInDb, config.limit).forEach(say);
    const exitCode = summary.stoppedBy === 'abort' ? EXIT.failed : summary.invalid > 0 || invalidInDb > 0 ? EXIT.attention : EXIT.ok;
    return { exitCode, summary: { ...summary, invalidInDb } };
  } finally {
    process.removeListener('SIGINT', onSigint);
    outer?.removeEventListener('abort', onOuterAbort);
    await client?.close();
    release?.();
    db.close();
  }
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

interface ProgressPrinter {
  update(p: ExtractProgress): void;
  /** A message that must not tear the bar. */
  log(line: string): void;
  stop(): void;
}

/** A bar on a terminal, a plain line every few seconds elsewhere (logs, CI). */
function progressPrinter(stream: NodeJS.WritableStream & { isTTY?: boolean }): ProgressPrinter {
  const payload = (p: ExtractProgress) => ({
    records: p.passRecords.toLocaleString('en-US'),
    rate: p.ratePerMin,
    etaText: p.etaSeconds !== undefined ? `${formatSeconds(p.etaSeconds)}${p.totalEstimated ? ' (est.)' : ''}` : '?',
  });
  const plain = (p: ExtractProgress) =>
    `${p.passRecords.toLocaleString('en-US')} customers, page ${p.passPages}${p.totalPages !== undefined ? `/${p.totalPages}${p.totalEstimated ? ' (est.)' : ''}` : ''}` +
    `${p.requests ? `, ${p.ratePerMin} requests/min` : ''}${p.etaSeconds !== undefined ? `, about ${formatSeconds(p.etaSeconds)} left` : ''}`;

  if (!stream.isTTY) {
    let last = 0;
    let pending: ExtractProgress | undefined;
    return {
      update(p) {
        pending = p;
        if (Date.now() - last < PLAIN_EVERY_MS) return;
        last = Date.now();
        pending = undefined;
        stream.write(`${plain(p)}\n`);
      },
      log: (line) => stream.write(`${line}\n`),
      stop() {
        if (pending) stream.write(`${plain(pending)}\n`);
      },
    };
  }
  let bar: cliProgress.SingleBar | undefined;
  let withTotal = false;
  return {
    update(p) {
      if (!bar) {
        withTotal = p.totalPages !== undefined;
        bar = new cliProgress.SingleBar(
          {
            stream,
            hideCursor: null,
            format: withTotal
              ? '{bar} {percentage}% | page {value}/{total} | {records} customers | {rate} req/min | ETA {etaText}'
              : '{records} customers | page {value} | {rate} req/min',
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.totalPages ?? 0, p.passPages, payload(p));
        return;
      }
      if (withTotal && p.totalPages !== undefined) bar.setTotal(p.totalPages);
      bar.update(p.passPages, payload(p));
    },
    log(line) {
      if (bar) {
        // cli-progress redraws on the current line: clear it, print, and let the next update redraw the bar.
        stream.write(`\r\x1b[K${line}\n`);
      } else stream.write(`${line}\n`);
    },
    stop: () => bar?.stop(),
  };
}

function formatSeconds(total: number): string {
  if (total < 60) return `${total} s`;
  const m = Math.floor(total / 60);
  if (m < 60) return `${m} min ${total % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
