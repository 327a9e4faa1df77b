import { join } from 'node:path';
import { runCli, sandboxEnv, scratchDir, writeRunConfig } from './lib/cli.js';
import { fmt, isEntry, printTable, quick, type BenchResult } from './lib/figures.js';
import { startSandboxProc } from './lib/sandbox-proc.js';

/**
 * The tool's own overhead: customers per second through extract → plan → load (as `migrate` pipelines them) with
 * the sandbox's limits off and the budgets set as high as the config allows. Measured from the process start to the
 * last write Rivo received; verify (which follows) is reported apart.
 *
 * Its ratio compares the budgets with it: the customers per second the default budgets allow (Yotpo 100/min at 100
 * per page, Rivo 10/s at the Rivo requests per customer this run needed), divided by the tool's own rate = the share
 * of a real run's time the tool spends on its own work if nothing overlapped. Target: at most 0.10.
 */

export interface OverheadOptions {
  customers?: number;
  log?: (line: string) => void;
}

export const DEFAULT_BUDGETS = { rpm: 100, rps: 10, perPage: 100 };

export async function benchOverhead(o: OverheadOptions = {}): Promise<BenchResult> {
  const customers = o.customers ?? (quick() ? 2000 : 10_000);
  const log = o.log ?? (() => undefined);
  log(`overhead: ${customers} customers, sandbox limits off, budgets 100000/min and 1000/s`);
  const sb = await startSandboxProc({ customers, seed: 31, awkward: 0.05, rpm: null, rps: null, latencyMs: 0 });
  const { dir, cleanup } = scratchDir('overhead');
  try {
    const config = writeRunConfig(dir, { settleDelayMs: 5000 });
    await sb.reset();
    const spawnedAt = Date.now();
    const run = await runCli(
      ['migrate', '--config', config, '--db', join(dir, 'm.sqlite'), '--out', join(dir, 'reports'), '--yotpo-base-url', sb.yotpoUrl, '--rivo-base-url', sb.rivoUrl, '--yotpo-rpm', '100000', '--rivo-rps', '1000'],
      { cwd: dir, env: sandboxEnv(sb.credentials) },
    );
    if (run.exitCode !== 0 && run.exitCode !== 3) throw new Error(`migrate exited ${run.exitCode}: ${run.stderrTail}`);
    const stats = await sb.stats();
    const act = await sb.activity();
    const pipelineMs = (act.lastRivoWrite ?? Date.now()) - spawnedAt;
    const rate = customers / (pipelineMs / 1000);
    const verify = (run.summary?.verify ?? {}) as { requests?: number };
    const rivoPerCustomer = (stats.rivo.requests - (verify.requests ?? 0)) / customers;
    const yotpoRate = (DEFAULT_BUDGETS.rpm * DEFAULT_BUDGETS.perPage) / 60;
    const rivoRate = DEFAULT_BUDGETS.rps / rivoPerCustomer;
    const budgetRate = Math.min(yotpoRate, rivoRate);
    const share = budgetRate / rate;
    const lines = [
      `overhead: ${customers} customers extracted, planned and loaded in ${fmt.s(pipelineMs)} = ${rate.toFixed(0)} customers/s ` +
        `(${stats.yotpo.requests} Yotpo and ${stats.rivo.requests} Rivo requests, ${rivoPerCustomer.toFixed(2)} Rivo requests per customer before verify); ` +
        `whole migrate incl. verify and reports ${fmt.s(run.wallMs)}; peak RSS ${run.maxRssKb ? fmt.mb(run.maxRssKb) : '?'}`,
      `overhead: at the default budgets (Yotpo ${DEFAULT_BUDGETS.rpm}/min, Rivo ${DEFAULT_BUDGETS.rps}/s) a store moves at ${budgetRate.toFixed(1)} customers/s; ` +
        `the tool's own work is ${(share * 100).toFixed(1)}% of that`,
    ];
    lines.forEach((l) => log(l));
    return {
      name: 'overhead',
      lines,
      data: { maxRssKb: run.maxRssKb, customersPerSecond: rate },
      figures: [
        {
          name: `customers/s extract→plan→load, limits off (${fmt.n(customers)})`,
          value: `${rate.toFixed(0)}/s`,
          target: '<= 0.10 of a run',
          ratio: share,
          pass: share <= 0.1,
          note: `ratio = customers/s the default budgets allow (${budgetRate.toFixed(1)}/s: Rivo ${DEFAULT_BUDGETS.rps}/s at ${rivoPerCustomer.toFixed(2)} requests per customer) / the tool's own rate`,
        },
      ],
    };
  } finally {
    await sb.close();
    cleanup();
  }
}

if (isEntry(import.meta.url)) {
  benchOverhead({ log: (l) => console.error(l) }).then(
    (r) => printTable([r]),
    (err: unknown) => {
      console.error(err instanceof Error ? err.stack : String(err));
      process.exitCode = 1;
    },
  );
}
