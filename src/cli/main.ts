import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs, { type Argv } from 'yargs';
import { SEND_MODES } from '../config/schema.js';
import { AppError, ConfigError } from '../errors.js';
import { EXIT, exitCodeForError } from './exit-codes.js';
import type { CommandRun, CommonArgs } from './context.js';

type CommandModule = { run: CommandRun };

/** Each command's module, loaded only when that command runs, so `--help` stays fast. Spelled out for bundlers and vitest. */
const LOADERS = {
  migrate: () => import('./commands/migrate.js'),
  extract: () => import('./commands/extract.js'),
  plan: () => import('./commands/plan.js'),
  load: () => import('./commands/load.js'),
  verify: () => import('./commands/verify.js'),
  status: () => import('./commands/status.js'),
  rollback: () => import('./commands/rollback.js'),
  retry: () => import('./commands/retry.js'),
  check: () => import('./commands/check.js'),
  sandbox: () => import('./commands/sandbox.js'),
  demo: () => import('./commands/demo.js'),
  pilot: () => import('./commands/pilot.js'),
  show: () => import('./commands/show.js'),
  export: () => import('./commands/export.js'),
  report: () => import('./commands/report.js'),
  adopt: () => import('./commands/adopt.js'),
} satisfies Record<string, () => Promise<CommandModule>>;

interface CommandSpec {
  name: string;
  describe: string;
  module: keyof typeof LOADERS;
  options?: (y: Argv) => Argv;
}

const COMMANDS: CommandSpec[] = [
  {
    name: 'migrate',
    describe: 'Extract from Yotpo, plan, load into Rivo and verify. Resumes an unfinished run by itself.',
    module: 'migrate',
    options: (y) =>
      y
        .option('dry-run', { type: 'boolean', default: false, describe: 'Extract and plan, read Rivo, write nothing to Rivo; write the reconciliation report' })
        .option('yes', { type: 'boolean', default: false, describe: YES }),
  },
  {
    name: 'extract',
    describe: 'Read every Yotpo customer into the migration DB (resumable)',
    module: 'extract',
    options: (y) => y.option('from-csv', { type: 'string', describe: 'Read a Yotpo admin CSV export instead of the API' }),
  },
  { name: 'plan', describe: 'Match customers in Rivo and plan the events owed; write the reconciliation report (no writes to Rivo)', module: 'plan' },
  {
    name: 'load',
    describe: 'Send the planned events to Rivo, exactly once (resumable)',
    module: 'load',
    options: (y) => y.option('yes', { type: 'boolean', default: false, describe: YES }),
  },
  { name: 'verify', describe: 'Read Rivo back and compare every customer with what the migration should have produced', module: 'verify' },
  { name: 'status', describe: 'Where the migration stands: customers per state, points done and pending, last error', module: 'status' },
  {
    name: 'rollback',
    describe: 'Send compensating events for everything this migration posted',
    module: 'rollback',
    options: (y) => y.option('yes', { type: 'boolean', default: false, describe: 'Confirm: rollback writes to Rivo' }),
  },
  {
    name: 'retry',
    describe: 'Re-attempt customers left unmatched or rejected',
    module: 'retry',
    options: (y) => y.option('yes', { type: 'boolean', default: false, describe: YES }),
  },
  {
    name: 'adopt',
    describe: "Continue an earlier migration of this store whose DB is lost: rebuild this DB's ledger from its events in Rivo (writes nothing to Rivo)",
    module: 'adopt',
    options: (y) => y.option('migration-id', { type: 'string', describe: 'The earlier migration to adopt, when Rivo holds more than one' }),
  },
  { name: 'check', describe: 'Check the configuration and ping both APIs (reads only)', module: 'check' },
  {
    name: 'sandbox',
    describe: 'Start local Yotpo and Rivo stand-ins, seeded, for rehearsal (prints their base URLs)',
    module: 'sandbox',
    options: (y) =>
      y
        .option('customers', { type: 'number', default: 1000, describe: 'Customers in the seeded shop' })
        .option('seed', { type: 'number', default: 1, describe: 'Seed of the generator' })
        .option('port', { type: 'number', default: 0, describe: 'First port (Yotpo; Rivo gets the next). 0: any free ports' })
        .option('faults', { type: 'boolean', default: false, describe: 'Inject faults (5xx, 429 bursts, resets, slow and lost answers)' }),
  },
  {
    name: 'demo',
    describe: 'Run a whole migration against an in-process sandbox: no credentials needed',
    module: 'demo',
    options: (y) =>
      y
        .option('customers', { type: 'number', default: 300, describe: 'Customers in the demo shop' })
        .option('seed', { type: 'number', default: 7, describe: 'Seed of the generator' })
        .option('faults', { type: 'boolean', default: true, describe: 'Inject faults so the demo shows recovery' }),
  },
  {
    name: 'pilot',
    describe: "Probe every unconfirmed Rivo behaviour on one staff customer (left as it was) and store this store's profile",
    module: 'pilot',
    options: (y) =>
      y
        .option('customer', { type: 'string', describe: 'The Rivo customer to probe: email or Shopify customer id of a staff or test account' })
        .option('probe-updates', { type: 'boolean', default: false, describe: 'Also probe the VIP tier and birthday updates (a tier cannot always be put back)' })
        .option('confirm-no-email', { type: 'boolean', default: false, describe: "Record that the pilot's batch event sent no email: migrate may then send batches" })
        .option('email-arrived', { type: 'boolean', default: false, describe: "Record that the pilot's batch event did send an email: migrate sends single events" }),
  },
  {
    name: 'show <customer>',
    describe: "One customer's whole story: Yotpo values, identity decision, plan, every event (key, status, Rivo id), verification",
    module: 'show',
    options: (y) => y.positional('customer', { type: 'string', describe: 'Email or Shopify customer id' }),
  },
  {
    name: 'export',
    describe: 'Take the ledger out of the DB: every event with its customer, as CSV (reads the DB only)',
    module: 'export',
    options: (y) => y.option('ledger', { type: 'string', demandOption: true, describe: 'CSV file to write' }),
  },
  {
    name: 'report',
    describe: 'Rebuild plan.csv, verify.csv and report.html from the DB, offline (no credentials, no network)',
    module: 'report',
  },
];

const YES = 'Do not ask before the first write to Rivo (it is asked only when stdin is a terminal)';

function globalOptions(y: Argv): Argv {
  return y
    .option('config', { type: 'string', describe: 'JSON config file, merged over config/default.json' })
    .option('db', { type: 'string', describe: 'Migration DB file [env MIGRATION_DB] (default ./migration.sqlite)' })
    .option('out', { type: 'string', describe: 'Report directory [env REPORT_DIR] (default ./reports)' })
    .option('yotpo-base-url', { type: 'string', describe: 'Yotpo API base URL [env YOTPO_BASE_URL]' })
    .option('rivo-base-url', { type: 'string', describe: 'Rivo API base URL [env RIVO_BASE_URL]' })
    .option('yotpo-rpm', { type: 'number', describe: 'Yotpo request budget per minute [env YOTPO_RPM] (default 100)' })
    .option('rivo-rps', { type: 'number', describe: 'Rivo request budget per second [env RIVO_RPS] (default 10)' })
    .option('send-mode', { type: 'string', describe: `How events go to Rivo: ${SEND_MODES.join(', ')} [env RIVO_SEND_MODE] (default auto: batches once the pilot confirmed they send no email)` })
    .option('limit', { type: 'number', describe: 'Only the first N customers (a pilot run)' })
    .option('redact', { type: 'boolean', describe: 'Mask emails and names in reports' })
    .option('json', { type: 'boolean', default: false, describe: 'Print one JSON summary on stdout' });
}

/** Runs the CLI and returns the exit code (the bin sets it). One boundary turns every error into a message and a code. */
export async function run(argv: string[]): Promise<number> {
  let chosen: CommandSpec | undefined;
  let args: CommonArgs | undefined;
  let usageError: string | undefined;

  const parser = globalOptions(
    yargs(argv)
      .scriptName('yotpo-to-rivo')
      // `--db a --db b` means b, as in most tools, not an array that no setting accepts.
      .parserConfiguration({ 'duplicate-arguments-array': false })
      .usage('$0 <command> [options]\n\nMove loyalty points from Yotpo to Rivo, exactly once, with proof.')
      .strict()
      .demandCommand(1, 'Name a command; `yotpo-to-rivo --help` lists them.')
      .recommendCommands()
      .epilogue(
        'Credentials come from the environment (or .env) only: YOTPO_GUID, YOTPO_API_KEY, RIVO_API_KEY.\n' +
          'Exit codes: 0 done and verified, 1 failed (run again to resume), 2 bad usage or config (nothing sent), 3 finished but customers need attention.',
      )
      .fail((msg, err) => {
        usageError = msg ?? err?.message ?? 'bad usage';
      })
      .exitProcess(false),
  );
  for (const spec of COMMANDS) {
    parser.command(
      spec.name,
      spec.describe,
      (y) => (spec.options ? spec.options(y) : y),
      (parsed) => {
        chosen = spec;
        args = parsed as unknown as CommonArgs;
      },
    );
  }
  parser.help().alias('help', 'h').version(packageVersion());

  await parser.parseAsync();
  if (usageError) {
    process.stderr.write(`${usageError}\nRun \`yotpo-to-rivo --help\` for the commands and options.\n`);
    return EXIT.usage;
  }
  if (!chosen || !args) return EXIT.ok; // --help or --version was printed

  try {
    validateNumbers(args);
    const mod: CommandModule = await LOADERS[chosen.module]();
    const result = await mod.run(args);
    if (args.json) process.stdout.write(`${JSON.stringify({ command: commandName(chosen), exitCode: result.exitCode, ...result.summary })}\n`);
    return result.exitCode;
  } catch (err) {
    return reportFailure(err, commandName(chosen), args.json);
  }
}

/** This package's version, from its package.json (found upwards from this file: src/cli in the repo, dist/src/cli built). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'yotpo-to-rivo' && pkg.version) return pkg.version;
    } catch {
      /* not here: one level up */
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

/** `show <customer>` is the command `show`. */
const commandName = (spec: CommandSpec) => spec.name.split(' ')[0]!;

function validateNumbers(args: CommonArgs): void {
  const problems: string[] = [];
  for (const [flag, value] of [
    ['--limit', args.limit],
    ['--yotpo-rpm', args.yotpoRpm],
    ['--rivo-rps', args.rivoRps],
    ['--customers', args.customers],
  ] as const) {
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) problems.push(`${flag}: expected a positive number, got ${String(value)}`);
  }
  if (problems.length) throw new ConfigError('Bad option values:', problems);
}

function reportFailure(err: unknown, command: string, json: boolean): number {
  const known = err instanceof AppError;
  const exitCode = exitCodeForError(err);
  // Unknown errors may be a library's error object, which can carry request headers: print the message only.
  const message = err instanceof Error ? err.message : String(err);
  const hint = exitCode === EXIT.failed ? '\nThe migration DB is intact: run the same command again to resume.' : '';
  process.stderr.write(`yotpo-to-rivo ${command}: ${message}${hint}\n`);
  if (!known && process.env.YOTPO_TO_RIVO_DEBUG && err instanceof Error) process.stderr.write(`${err.stack?.split('\n').slice(1).join('\n')}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ command, exitCode, error: message })}\n`);
  return exitCode;
}

/** Entry used by bin.ts. */
export async function main(argv: string[]): Promise<void> {
  process.exitCode = await run(argv);
}
