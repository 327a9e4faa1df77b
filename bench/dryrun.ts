import { statSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, sandboxEnv, scratchDir, writeRunConfig, type CliRun } from './lib/cli.js';
import { writeCustomersCsv } from './lib/csv-gen.js';
import { fmt, isEntry, printTable, quick, type BenchResult } from './lib/figures.js';
import { startSandboxProc } from './lib/sandbox-proc.js';
import { profileArgs } from './wall.js';

/**
 * The dry run from a CSV export: `extract --from-csv` then `plan` (which reads Rivo and writes nothing there; it writes
 * the reconciliation report), each a child process, against a sandbox Rivo holding the matching store. Time and peak
 * RSS of each step. Rivo's budget is off (the listing is 1 request per 250 customers; at 10/s a million customers
 * take 400 s more of listing, which this figure leaves out and states).
 */

export interface DryRunMeasure {
  customers: number;
  csvBytes: number;
  extract: CliRun;
  plan: CliRun;
  rivoRequests: number;
  /** Peak RSS of the two steps (KB). */
  maxRssKb: number;
  wallMs: number;
}

export async function measureCsvDryRun(customers: number, log: (line: string) => void = () => undefined): Promise<DryRunMeasure> {
  const { dir, cleanup } = scratchDir('dryrun');
  const seed = 11;
  try {
    const csv = join(dir, 'export.csv');
    const t0 = Date.now();
    const csvBytes = await writeCustomersCsv(csv, customers, seed);
    log(`dry run: ${fmt.n(customers)} customers: CSV of ${(csvBytes / 1e6).toFixed(0)} MB written in ${fmt.s(Date.now() - t0)}; starting a Rivo sandbox with the matching store…`);
    const sb = await startSandboxProc({ customers: 0, csvRivo: { count: customers, seed }, rpm: null, rps: null });
    try {
      const config = writeRunConfig(dir);
      const common = ['--config', config, '--db', join(dir, 'm.sqlite'), '--out', join(dir, 'reports'), '--yotpo-base-url', sb.yotpoUrl, '--rivo-base-url', sb.rivoUrl, '--rivo-rps', '1000'];
      const env = sandboxEnv(sb.credentials);
      const extract = await runCli(['extract', '--from-csv', csv, ...common], { cwd: dir, env, nodeArgs: profileArgs('dryrun-extract') });
      if (extract.exitCode !== 0 && extract.exitCode !== 3) throw new Error(`extract exited ${extract.exitCode}: ${extract.stderrTail}`);
      log(`dry run: extract --from-csv ${fmt.s(extract.wallMs)}, peak RSS ${extract.maxRssKb ? fmt.mb(extract.maxRssKb) : '?'}`);
      const plan = await runCli(['plan', ...common], { cwd: dir, env, nodeArgs: profileArgs('dryrun-plan') });
      if (plan.exitCode !== 0 && plan.exitCode !== 3) throw new Error(`plan exited ${plan.exitCode}: ${plan.stderrTail}`);
      log(`dry run: plan ${fmt.s(plan.wallMs)}, peak RSS ${plan.maxRssKb ? fmt.mb(plan.maxRssKb) : '?'} (db ${(statSync(join(dir, 'm.sqlite')).size / 1e6).toFixed(0)} MB)`);
      const stats = await sb.stats();
      return {
        customers,
        csvBytes,
        extract,
        plan,
        rivoRequests: stats.rivo.requests,
        maxRssKb: Math.max(extract.maxRssKb ?? 0, plan.maxRssKb ?? 0),
        wallMs: extract.wallMs + plan.wallMs,
      };
    } finally {
      await sb.close();
    }
  } finally {
    cleanup();
  }
}

/** Issue 13: a million customers in 120 s (extract + plan + reports); smaller runs get the same rate. */
export const dryRunTargetMs = (customers: number) => (120_000 * customers) / 1_000_000;
export const DRY_RUN_RSS_TARGET_MB = 250;

export function dryRunFigures(m: DryRunMeasure): BenchResult {
  const perSec = m.customers / (m.wallMs / 1000);
  const lines = [
    `dry run of ${fmt.n(m.customers)} from CSV: extract ${fmt.s(m.extract.wallMs)} (peak ${fmt.mb(m.extract.maxRssKb ?? 0)}), plan ${fmt.s(m.plan.wallMs)} ` +
      `(peak ${fmt.mb(m.plan.maxRssKb ?? 0)}, ${m.rivoRequests} Rivo requests, reports included); ${perSec.toFixed(0)} customers/s`,
  ];
  return {
    name: 'dry-run',
    lines,
    figures: [
      {
        name: `extract --from-csv + plan, ${fmt.n(m.customers)} customers`,
        value: fmt.s(m.wallMs),
        target: `<= ${fmt.s(dryRunTargetMs(m.customers))}`,
        ratio: m.wallMs / dryRunTargetMs(m.customers),
        pass: m.wallMs <= dryRunTargetMs(m.customers),
        note: `${perSec.toFixed(0)} customers/s; extract ${fmt.s(m.extract.wallMs)}, plan ${fmt.s(m.plan.wallMs)} incl. listing ${fmt.n(m.rivoRequests)} Rivo pages with its budget off and writing the report`,
      },
      { name: `peak RSS, ${fmt.n(m.customers)} dry run`, value: fmt.mb(m.maxRssKb), target: `<= ${DRY_RUN_RSS_TARGET_MB} MB`, ratio: m.maxRssKb / 1024 / DRY_RUN_RSS_TARGET_MB, pass: m.maxRssKb / 1024 <= DRY_RUN_RSS_TARGET_MB },
      { name: `CPU of the tool, ${fmt.n(m.customers)} dry run`, value: `${((m.extract.cpuSeconds ?? 0) + (m.plan.cpuSeconds ?? 0)).toFixed(1)} s`, target: 'info', ratio: null, pass: null, note: `extract ${m.extract.cpuSeconds?.toFixed(1) ?? '?'} s, plan ${m.plan.cpuSeconds?.toFixed(1) ?? '?'} s (user + system of the two child processes)` },
    ],
  };
}

export async function benchDryRun(o: { customers?: number; log?: (line: string) => void } = {}): Promise<BenchResult> {
  const customers = o.customers ?? (quick() ? 100_000 : 1_000_000);
  return dryRunFigures(await measureCsvDryRun(customers, o.log));
}

if (isEntry(import.meta.url)) {
  const n = process.env.BENCH_CUSTOMERS ? Number(process.env.BENCH_CUSTOMERS) : undefined;
  benchDryRun({ customers: n, log: (l) => console.error(l) }).then(
    (r) => printTable([r]),
    (err: unknown) => {
      console.error(err instanceof Error ? err.stack : String(err));
      process.exitCode = 1;
    },
  );
}
