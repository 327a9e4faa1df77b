import { join } from 'node:path';
import { runCli, sandboxEnv, scratchDir, writeRunConfig } from './lib/cli.js';
import { fmt, isEntry, printTable, quick, type BenchResult } from './lib/figures.js';
import { startSandboxProc } from './lib/sandbox-proc.js';

/**
 * Wall time of `migrate` (extract → plan → load → verify, reports included) against the sandbox whose limits equal
 * the budgets, over the floor the budgets set: max(Yotpo requests / rpm, Rivo requests / rps), with the request
 * counts this run actually needed (as the sandbox counted them). Verify is part of `migrate`, so its requests are in
 * the Rivo count and its time in the wall time. Also: how fully the loader used the Rivo budget while it had work,
 * the most requests in any sliding second (≤ rps), and 429s (0).
 *
 * The run timed is the README's journey: `migrate --dry-run` first (timed apart), then `migrate`, which re-reads
 * Yotpo while it sends. (A first `migrate` with no complete read of Yotpo before it sends nothing until the read
 * ends, by design: two records of one person must both be found first. Its floor is the sum of the two, not the max.)
 */

export interface WallOptions {
  customers?: number;
  rpm?: number;
  rps?: number;
  latencyMs?: number;
  settleDelayMs?: number;
  log?: (line: string) => void;
}

export async function benchWall(o: WallOptions = {}): Promise<BenchResult> {
  const customers = o.customers ?? (quick() ? 400 : 1200);
  const rpm = o.rpm ?? 120;
  const rps = o.rps ?? 40;
  const latencyMs = o.latencyMs ?? 10;
  const settleDelayMs = o.settleDelayMs ?? 5000;
  const log = o.log ?? (() => undefined);
  log(`wall: ${customers} customers, budgets ${rpm}/min Yotpo and ${rps}/s Rivo (sandbox limits the same), ${latencyMs} ms latency`);
  const sb = await startSandboxProc({ customers, seed: 21, awkward: 0.05, rpm, rps, latencyMs });
  const { dir, cleanup } = scratchDir('wall');
  try {
    const config = writeRunConfig(dir, { settleDelayMs });
    const args = ['migrate', '--config', config, '--db', join(dir, 'm.sqlite'), '--out', join(dir, 'reports'), '--yotpo-base-url', sb.yotpoUrl, '--rivo-base-url', sb.rivoUrl, '--yotpo-rpm', String(rpm), '--rivo-rps', String(rps)];
    const dry = await runCli([...args, '--dry-run'], { cwd: dir, env: sandboxEnv(sb.credentials) });
    if (dry.exitCode !== 0 && dry.exitCode !== 3) throw new Error(`migrate --dry-run exited ${dry.exitCode}: ${dry.stderrTail}`);
    const dryStats = await sb.stats();
    log(`wall: migrate --dry-run first: ${fmt.s(dry.wallMs)} (${dryStats.yotpo.requests} Yotpo, ${dryStats.rivo.requests} Rivo requests)`);
    await sb.reset();
    const run = await runCli(args, { cwd: dir, env: sandboxEnv(sb.credentials) });
    const stats = await sb.stats();
    const act = await sb.activity();
    if (run.exitCode !== 0 && run.exitCode !== 3) throw new Error(`migrate exited ${run.exitCode}: ${run.stderrTail}`);
    const yotpoMs = (stats.yotpo.requests * 60_000) / rpm;
    const rivoMs = (stats.rivo.requests * 1000) / rps;
    const floorMs = Math.max(yotpoMs, rivoMs);
    const ratio = run.wallMs / floorMs;
    const verify = (run.summary?.verify ?? {}) as { requests?: number };
    // The loader's use of the budget: Rivo arrivals between the first and the last write.
    let loadRate = 0;
    let loadRequests = 0;
    let loadSpanMs = 0;
    if (act.firstRivoWrite !== null && act.lastRivoWrite !== null) {
      const from = Math.floor((act.firstRivoWrite - act.startedAt) / 100);
      const to = Math.floor((act.lastRivoWrite - act.startedAt) / 100);
      for (let b = from; b <= to; b++) loadRequests += act.rivoPer100ms[b] ?? 0;
      loadSpanMs = (to - from + 1) * 100;
      loadRate = loadRequests / (loadSpanMs / 1000);
    }
    const lines = [
      `wall: ${customers} customers; Yotpo ${stats.yotpo.requests} requests (${fmt.s(yotpoMs)} at ${rpm}/min), Rivo ${stats.rivo.requests} requests ` +
        `(${verify.requests ?? '?'} of them by verify; ${fmt.s(rivoMs)} at ${rps}/s); floor ${fmt.s(floorMs)}, wall ${fmt.s(run.wallMs)} (process start to exit, verify and reports included)`,
      `wall: the stages overlapped: Yotpo's last request at ${act.lastYotpo !== null ? fmt.s(act.lastYotpo - act.startedAt) : '?'}, Rivo's first write at ` +
        `${act.firstRivoWrite !== null ? fmt.s(act.firstRivoWrite - act.startedAt) : '?'} (sandbox clock from the run's start); sequential floor (sum) ${fmt.s(yotpoMs + rivoMs)}`,
      `wall: Rivo while loading: ${loadRequests} requests in ${fmt.s(loadSpanMs)} = ${loadRate.toFixed(1)}/s; most in any second ${stats.rivo.maxInAnySecond}; ` +
        `429s Rivo ${stats.rivo.status429}, Yotpo ${stats.yotpo.status429}; exit ${run.exitCode}; peak RSS ${run.maxRssKb ? fmt.mb(run.maxRssKb) : '?'}`,
    ];
    lines.forEach((l) => log(l));
    return {
      name: 'wall',
      lines,
      figures: [
        {
          name: `migrate wall / budget floor (${customers} customers)`,
          value: `${fmt.s(run.wallMs)} / ${fmt.s(floorMs)}`,
          target: '<= 1.10',
          ratio,
          pass: ratio <= 1.1,
          note: `migrate after a migrate --dry-run; floor = max(${stats.yotpo.requests} Yotpo req / ${rpm} per min, ${stats.rivo.requests} Rivo req / ${rps} per s), counts as the run needed them; verify included in both`,
        },
        {
          name: 'Rivo rate while loading / rps',
          value: `${loadRate.toFixed(1)}/s`,
          target: '>= 0.95',
          ratio: loadRate / rps,
          pass: loadRate / rps >= 0.95,
          note: 'sandbox arrivals between the first and the last write (100 ms buckets)',
        },
        {
          name: 'Rivo most in any 1 s window / rps',
          value: String(stats.rivo.maxInAnySecond),
          target: '<= 1.00',
          ratio: stats.rivo.maxInAnySecond / rps,
          pass: stats.rivo.maxInAnySecond <= rps,
        },
        {
          name: '429s (Yotpo + Rivo)',
          value: String(stats.rivo.status429 + stats.yotpo.status429),
          target: '0',
          ratio: null,
          pass: stats.rivo.status429 + stats.yotpo.status429 === 0,
        },
      ],
    };
  } finally {
    await sb.close();
    cleanup();
  }
}

if (isEntry(import.meta.url)) {
  benchWall({ log: (l) => console.error(l) }).then(
    (r) => printTable([r]),
    (err: unknown) => {
      console.error(err instanceof Error ? err.stack : String(err));
      process.exitCode = 1;
    },
  );
}
