import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { Config, Secrets } from '../config/schema.js';
import { acquireLock } from '../db/lock.js';
import { migrationId as readMigrationId, openDb, type Db } from '../db/open.js';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { AppError, ConfigError } from '../errors.js';
import { EXIT } from './exit-codes.js';
import type { HttpError, System } from '../http/errors.js';
import { finishRun, startRun } from '../ledger/runs.js';
import { interruptible } from './interrupt.js';
import { createLogger, LOG_FILE, type Logger } from '../log.js';
import type { MigrateContext } from '../migrate/context.js';
import { runFolderName, type ReportRun } from '../reports/runs.js';
import { askToWrite, previewWrites } from './confirm.js';
import { retryKind } from './tally.js';
import { join } from 'node:path';
import { rivoClientFromConfig, type RivoClient } from '../rivo/client.js';
import { YotpoClient } from '../yotpo/client.js';
import type { CommandResult, CommonArgs } from './context.js';
import { createProgress, type ProgressOutput, type TextOut } from './progress.js';
import { checkStore, dbLine, refuseRolledBack } from './store-gate.js';

export interface SessionOptions {
  command: string;
  /** The outside systems the command talks to: their credentials are required before anything else happens. */
  talksTo: readonly System[];
  /** `create`: a migration may start here; `existing`: the DB must exist already. */
  db: 'create' | 'existing';
  /**
   * The command writes the migration to Rivo (`migrate`, `load`, `retry`): a rolled-back DB refuses it, and a DB that
   * has never written to this Rivo store scans it for an earlier migration first, both before anything is planned;
   * a person at a terminal is asked before the first write (unless --yes).
   */
  writes?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Tests stop a run from outside. */
  signal?: AbortSignal;
  /** Where human output goes (default: process.stderr). */
  stderr?: TextOut;
}

/**
 * Everything a writing command needs, opened once, closed once, in one place. It is the context `src/migrate` runs
 * on (`MigrateContext`), plus what only the CLI uses (secrets, the full progress display).
 */
export interface Session extends MigrateContext {
  config: Config;
  secrets: Secrets;
  db: Db;
  migrationId: string;
  log: Logger;
  progress: ProgressOutput;
  /** Aborted on the first Ctrl-C (or by the caller): stages stop at a consistent point. */
  signal: AbortSignal;
  yotpo(): YotpoClient;
  rivo(): RivoClient;
  /** Human lines on stderr (quiet with --json), above the live display on a terminal. */
  say(line: string): void;
  /** This run's report folder under `<out>/runs/`. */
  reportRun: ReportRun;
  /**
   * Called before anything is sent to Rivo: on a terminal (and without --yes) shows what is about to be sent and
   * the pre-flight checklist and asks once; throws ConfigError (exit 2, nothing sent) when declined. True when the
   * person saw the question (checklist included), now or earlier in this run.
   */
  confirmWrites(): Promise<boolean>;
}

/**
 * Runs a command with its config checked (exit 2 before anything is sent), its DB open and locked, its run recorded
 * (outcome, requests, last error) and its clients closed, whatever happens inside.
 */
export async function withSession(args: CommonArgs, options: SessionOptions, body: (s: Session) => Promise<CommandResult>): Promise<CommandResult> {
  const loaded: LoadedConfig = loadConfig({ flags: args, needsCredentials: options.talksTo, env: options.env, cwd: options.cwd });
  const { config, secrets } = loaded;
  const stderr = options.stderr ?? process.stderr;
  for (const w of loaded.warnings) stderr.write(`warning: ${w}\n`);

  ensureWritableDir(config.out, '--out (REPORT_DIR)');
  const db = openDb(config.db, { mustExist: options.db === 'existing' });
  let release: (() => void) | undefined;
  let yotpo: YotpoClient | undefined;
  let rivo: RivoClient | undefined;
  const logPath = join(config.out, LOG_FILE);
  const quiet = args.json && !stderr.isTTY;
  const progress = createProgress({ quiet, stream: stderr, logPath });
  // Messages were always written, --json or not (only progress is quiet): above the live display when there is one.
  const say = quiet ? (line: string) => void stderr.write(`${line}\n`) : (line: string) => progress.line(line);
  const stop = interruptible(options.command, say);
  const onOuterAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) stop.abort(); // an abort that came before we listened
  let runId: number | undefined;
  const log = createLogger(config.out, options.command, { redact: config.redact });
  const onRetry = (system: System) => (err: HttpError, attempt: number, delayMs: number) => {
    log.warn({ system, status: err.status, error: err.summary(), attempt, delayMs }, 'retrying');
    progress.count(retryKind(err.status));
  };
  let confirmed = !options.writes || args.yes === true || !process.stdin.isTTY;
  let asked = false;
  try {
    release = acquireLock(db, options.command);
    const runsBefore = db.prepare('SELECT count(*) FROM runs').pluck().get() as number;
    say(dbLine(db, config.db, runsBefore));
    runId = startRun(db, options.command);
    if (options.writes) refuseRolledBack(db, config.db, options.command);
    log.info({ config: { ...config, mapping: { ...config.mapping, identityMap: `${Object.keys(config.mapping.identityMap).length} entries` } } }, 'start');
    const session: Session = {
      config,
      secrets,
      db,
      migrationId: readMigrationId(db),
      log,
      progress,
      signal: stop.signal,
      yotpo: () => (yotpo ??= YotpoClient.fromConfig(config, secrets, { onRetry: onRetry('yotpo') })),
      canReadYotpo: Boolean(secrets.yotpoGuid && secrets.yotpoApiKey),
      rivo: () => (rivo ??= rivoClientFromConfig(config, secrets, { onRetry: onRetry('rivo') })),
      say,
      reportRun: { id: runFolderName(options.command, runId) },
      async confirmWrites() {
        if (confirmed) return asked;
        const preview = previewWrites(db, config, session.migrationId);
        if (preview.customers === 0) return false;
        progress.pause();
        try {
          log.info({ preview }, 'asking before the first write');
          await askToWrite(preview, config.rivo.rps, stderr);
          confirmed = true;
          asked = true;
          log.info('confirmed on the terminal');
        } finally {
          progress.resume();
        }
        return true;
      },
    };
    if (options.writes) await checkStore(session, options.command);
    const result = await body(session);
    const outcome = result.exitCode === EXIT.ok ? 'ok' : result.exitCode === EXIT.attention ? 'attention' : 'failed';
    finishRun(db, runId, outcome, null, requests(yotpo, rivo));
    log.info({ exitCode: result.exitCode, summary: result.summary }, 'end');
    return result;
  } catch (err) {
    // Only our own error messages are recorded: a library's error object may carry request headers.
    const message = err instanceof AppError ? err.message : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (runId !== undefined) finishRun(db, runId, 'failed', message.slice(0, 2000), requests(yotpo, rivo));
    log.error({ error: message }, 'failed');
    throw err;
  } finally {
    progress.close();
    options.signal?.removeEventListener('abort', onOuterAbort);
    stop.dispose();
    await Promise.allSettled([yotpo?.close(), rivo?.close()]);
    release?.();
    db.close();
    log.flush();
  }
}

/** The report folder must be writable before anything is sent: finding out after loading would waste the run's proof. */
function ensureWritableDir(dir: string, what: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`${what}: cannot write to ${dir} (${code}). Choose another folder or fix its permissions.`);
  }
}

function requests(yotpo: YotpoClient | undefined, rivo: RivoClient | undefined) {
  return { yotpo: yotpo?.requestCount ?? 0, rivo: rivo?.requestCount ?? 0 };
}
