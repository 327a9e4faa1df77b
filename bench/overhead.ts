import { join } from 'node:path';
import { sampleCpu } from './lib/cpu-sampler.js';
import { runCli, sandboxEnv, scratchDir, writeRunConfig } from './lib/cli.js';
import { fmt, isEntry, printTable, quick, type BenchResult } from './lib/figures.js';
import { startSandboxProc } from './lib/sandbox-proc.js';
import { profileArgs } from './wall.js';

/**
 * The tool's own overhead: customers per CPU-second through extract → plan → load (as `migrate` pipelines them) with
 * the sandbox's limits off (in a process of its own) and the budgets as high as the config allows. Counted as CPU
 * time of the tool's process only (user + system from /proc/<pid>/stat, sampled every 100 ms, read at the last write
 * Rivo received; verify and the reports, which follow, are reported apart), so a busy machine shifts it little.
 * Target (issue 13): at least 5,000 customers per CPU-second.
 */

export interface OverheadOptions {
  customers?: number;
  log?: (line: string) => void;
}

export const OVERHEAD_TARGET = 5000;

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
    let sampler: ReturnType<typeof sampleCpu> | undefined;
    const run = await runCli(
      ['migrate', '--config', config, '--db', join(dir, 'm.sqlite'), '--out', join(dir, 'reports'), '--yotpo-base-url', sb.yotpoUrl, '--rivo-base-url', sb.rivoUrl, '--yotpo-rpm', '100000', '--rivo-rps', '1000'],
      { cwd: dir, env: sandboxEnv(sb.credentials), onSpawn: (pid) => (sampler = sampleCpu(pid)), nodeArgs: profileArgs('overhead') },
    );
    sampler?.stop();
    if (run.exitCode !== 0 && run.exitCode !== 3) throw new Error(`migrate exited ${run.exitCode}: ${run.stderrTail}`);
    const stats = await sb.stats();
    const act = await sb.activity();
    const lastWrite = act.lastRivoWrite ?? Date.now();
    const pipelineMs = lastWrite - spawnedAt;
    const cpuAtLastWrite = sampler?.at(lastWrite) ?? run.cpuSeconds ?? NaN;
    const perCpu = customers / cpuAtLastWrite;
    const verify = (run.summary?.verify ?? {}) as { requests?: number };
    const rivoPerCustomer = (stats.rivo.requests - (verify.requests ?? 0)) / customers;
    const lines = [
      `overhead: ${customers} customers extracted, planned and loaded: CPU ${cpuAtLastWrite.toFixed(2)} s of the tool's process = ${perCpu.toFixed(0)} customers per CPU-second; ` +
        `wall ${fmt.s(pipelineMs)} = ${(customers / (pipelineMs / 1000)).toFixed(0)} customers/s (${stats.yotpo.requests} Yotpo and ${stats.rivo.requests} Rivo requests, ` +
        `${rivoPerCustomer.toFixed(2)} Rivo requests per customer before verify)`,
      `overhead: whole migrate incl. verify and reports: CPU ${run.cpuSeconds?.toFixed(2) ?? '?'} s, wall ${fmt.s(run.wallMs)}; peak RSS ${run.maxRssKb ? fmt.mb(run.maxRssKb) : '?'}`,
    ];
    lines.forEach((l) => log(l));
    return {
      name: 'overhead',
      lines,
      data: { maxRssKb: run.maxRssKb, customersPerCpuSecond: perCpu },
      figures: [
        {
          name: `customers per CPU-second, extract→plan→load, limits off (${fmt.n(customers)})`,
          value: `${perCpu.toFixed(0)}/CPU-s`,
          target: `>= ${OVERHEAD_TARGET}`,
          ratio: perCpu / OVERHEAD_TARGET,
          pass: perCpu >= OVERHEAD_TARGET,
          note: `CPU (user+system) of the tool's process from its start to the last write Rivo received (/proc sampled every 100 ms); the sandbox runs in another process`,
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
