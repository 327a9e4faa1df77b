import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config/load.js';
import { openDb } from '../src/db/open.js';
import { extract } from '../src/extract/extractor.js';
import { startSandbox } from '../src/sandbox/index.js';
import { YotpoClient } from '../src/yotpo/client.js';

/**
 * Extraction throughput against the sandbox's Yotpo, whose own limit equals our budget: how much of the budget the
 * extractor uses (target ≥ 0.97), how many 429s it met (target 0), and the most requests the server saw in any
 * sliding 60 s window (must be ≤ the budget).
 */

export interface BenchExtractOptions {
  /** The budget, and the sandbox's limit (requests per minute). */
  rpm?: number;
  /** How long the listing should take at the budget; sets the number of customers. */
  seconds?: number;
  perPage?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface BenchExtractFigures {
  budgetRpm: number;
  requests: number;
  elapsedMs: number;
  achievedRpm: number;
  ratio: number;
  status429: number;
  maxInAnyWindow: number;
  customers: number;
  stored: number;
  done: boolean;
}

export interface BenchExtractResult {
  lines: string[];
  figures: BenchExtractFigures;
  ok: boolean;
}

export async function benchExtract(options: BenchExtractOptions = {}): Promise<BenchExtractResult> {
  const rpm = options.rpm ?? 600;
  const seconds = options.seconds ?? 60;
  const perPage = options.perPage ?? 100;
  const log = options.log ?? (() => undefined);
  // One request probes the list endpoint; the rest are pages.
  const pages = Math.max(1, Math.round((rpm * seconds) / 60) - 1);
  const customers = pages * perPage;

  log(`extract bench: seeding ${customers.toLocaleString('en-US')} customers, budget ${rpm}/min…`);
  const sb = await startSandbox({ customers, seed: options.seed ?? 3, awkward: 0.05, yotpo: { rpm } });
  const dir = mkdtempSync(join(tmpdir(), 'y2r-bench-extract-'));
  const { config: base } = loadConfig({ env: {}, cwd: dir, flags: { db: join(dir, 'bench.sqlite') } });
  const config = { ...base, yotpo: { ...base.yotpo, baseUrl: sb.yotpoUrl, rpm, perPage, listEndpoint: 'auto' as const } };
  const db = openDb(config.db);
  const client = YotpoClient.fromConfig(config, { yotpoGuid: sb.credentials.yotpoGuid, yotpoApiKey: sb.credentials.yotpoApiKey, rivoApiKey: null });
  try {
    let lastLog = 0;
    const summary = await extract({
      db,
      config,
      client,
      onProgress: (p) => {
        if (Date.now() - lastLog < 10_000) return;
        lastLog = Date.now();
        log(`  ${p.passRecords.toLocaleString('en-US')} customers, ${p.requests} requests, ${p.ratePerMin}/min`);
      },
    });
    const stats = client.stats();
    const server = sb.stats().yotpo;
    const elapsedMs = stats.firstRequestAt !== null && stats.lastRequestAt !== null ? stats.lastRequestAt - stats.firstRequestAt : 0;
    // n requests evenly spaced span n - 1 gaps.
    const achievedRpm = elapsedMs > 0 ? ((stats.requests - 1) * 60_000) / elapsedMs : 0;
    const stored = db.prepare('SELECT count(*) FROM customers').pluck().get() as number;
    const figures: BenchExtractFigures = {
      budgetRpm: rpm,
      requests: stats.requests,
      elapsedMs,
      achievedRpm,
      ratio: achievedRpm / rpm,
      status429: server.status429,
      maxInAnyWindow: server.maxInAnyWindow,
      customers,
      stored,
      done: summary.done,
    };
    const ok = figures.ratio >= 0.97 && figures.status429 === 0 && figures.maxInAnyWindow <= rpm && stored === customers && summary.done;
    const lines = [
      `extract: ${figures.requests} requests in ${(elapsedMs / 1000).toFixed(1)} s = ${achievedRpm.toFixed(1)}/min, ${figures.ratio.toFixed(3)} of the ${rpm}/min budget (target >= 0.97)`,
      `extract: 429s received: ${figures.status429} (target 0); most requests in any 60 s window: ${figures.maxInAnyWindow} (budget ${rpm})`,
      `extract: ${stored.toLocaleString('en-US')} of ${customers.toLocaleString('en-US')} customers stored, pass ${summary.done ? 'complete' : 'NOT complete'}: ${ok ? 'OK' : 'BELOW TARGET'}`,
    ];
    return { lines, figures, ok };
  } finally {
    await client.close();
    db.close();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(entry).href) {
  const rpm = process.env.BENCH_RPM ? Number(process.env.BENCH_RPM) : undefined;
  const seconds = process.env.BENCH_SECONDS ? Number(process.env.BENCH_SECONDS) : undefined;
  benchExtract({ rpm, seconds, log: (l) => console.error(l) }).then(
    (r) => {
      r.lines.forEach((l) => console.log(l));
      process.exitCode = r.ok ? 0 : 1;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}
