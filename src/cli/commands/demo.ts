import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT } from '../exit-codes.js';
import { parseKeysFromNote } from '../../mapper/keys.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import type { VerifySummary } from '../../verify/verifier.js';
import type { CommandResult, CommandRun, CommonArgs } from '../context.js';
import { withSession } from '../session.js';
import { runMigrate } from './migrate.js';

/** Where the demo writes: its own folder, started afresh each time, so `npm start` can be run again and again. */
export const DEMO_DIR = 'demo-output';

/**
 * `demo`: a whole migration against an in-process sandbox of both APIs, seeded with awkward customers and with
 * faults on, through exactly the code a real run uses; then an independent look at the sandbox's own ledger.
 */
export const run: CommandRun = async (args) => runDemo(args);

export async function runDemo(args: CommonArgs, options: { cwd?: string } = {}): Promise<CommandResult> {
  const cwd = options.cwd ?? process.cwd();
  const dir = resolve(cwd, args.out ?? DEMO_DIR);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const say = (line: string) => process.stderr.write(`${line}\n`);

  const faults = args.faults ?? true;
  const sandbox = await startSandbox({
    customers: args.customers ?? 300,
    seed: args.seed ?? 7,
    awkward: 0.15,
    yotpo: { rpm: 3000 },
    rivo: { rps: 80 },
    faults: faults ? { error5xx: 0.03, rateLimitBurst: 0.0015, reset: 0.02, lostAnswer: 0.03, slow: 0.01, slowMs: 300 } : undefined,
  });
  try {
    say(`demo: sandbox Yotpo at ${sandbox.yotpoUrl}, Rivo at ${sandbox.rivoUrl}; ${sandbox.shop.yotpoCustomers.length} Yotpo customers` + (faults ? ', faults on' : ''));
    // Budgets scaled to the sandbox so the demo takes seconds; settling waits are short because the sandbox is local.
    const configPath = join(dir, 'demo-config.json');
    // History replay on (issue 15): the demo shows each customer's Yotpo history arriving as backdated events.
    writeFileSync(configPath, JSON.stringify({ rivo: { settleDelayMs: 300, timeoutMs: 5000 }, yotpo: { timeoutMs: 5000 }, mapping: { history: true } }, null, 2));
    const env = {
      ...process.env,
      YOTPO_GUID: sandbox.credentials.yotpoGuid,
      YOTPO_API_KEY: sandbox.credentials.yotpoApiKey,
      RIVO_API_KEY: sandbox.credentials.rivoApiKey,
    };
    const demoArgs: CommonArgs = {
      ...args,
      config: configPath,
      db: join(dir, 'migration.sqlite'),
      out: join(dir, 'reports'),
      yotpoBaseUrl: sandbox.yotpoUrl,
      rivoBaseUrl: sandbox.rivoUrl,
      yotpoRpm: 3000,
      rivoRps: 80,
      // The demo's stores are its own, in this process: there is nothing real to confirm before writing.
      yes: true,
    };
    const result = await withSession(demoArgs, { command: 'demo', talksTo: ['yotpo', 'rivo'], db: 'create', writes: true, env, cwd }, (s) => runMigrate(s, false));
    const ledger = sandboxLedger(sandbox);
    say(
      `demo: in the sandbox's own ledger: ${ledger.events} migration events, ${ledger.distinctKeys} distinct keys ` +
        `(${ledger.duplicateKeys} keys seen twice), ${ledger.emails} "you earned points" emails.`,
    );
    // The demo shop holds unmatched, conflicting and invalid customers on purpose: the run reports them (exit 3 for a
    // real store); the demo itself succeeds when everything migratable was migrated, verified and sent once.
    const verify = result.summary.verify as VerifySummary | undefined;
    const verified = verify !== undefined && verify.outcomes.mismatch === 0 && verify.outcomes.missing === 0 && verify.duplicates === 0;
    const planErrors = result.summary.planErrors as number | undefined;
    const ok =
      (result.exitCode === EXIT.ok || result.exitCode === EXIT.attention) && verified && !planErrors && ledger.duplicateKeys === 0 && ledger.emails === 0;
    say(ok ? `demo: done. Open ${join(dir, 'reports', 'report.html')} in a browser.` : 'demo: FAILED, see the messages above.');
    return { exitCode: ok ? EXIT.ok : EXIT.failed, summary: { ...result.summary, migrateExitCode: result.exitCode, sandboxLedger: ledger, dir } };
  } finally {
    await sandbox.close();
  }
}

function sandboxLedger(sandbox: Sandbox) {
  const counts = new Map<string, number>();
  let events = 0;
  for (const e of sandbox.rivo.allEvents()) {
    const keys = parseKeysFromNote(e.internal_note ?? null);
    if (!keys.length) continue;
    events++;
    for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return {
    events,
    distinctKeys: counts.size,
    duplicateKeys: [...counts.values()].filter((n) => n > 1).length,
    emails: sandbox.stats().rivo.emailsSent,
  };
}
