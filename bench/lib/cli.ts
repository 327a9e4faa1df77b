import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the real CLI (`dist/src/cli/bin.js`) in a child process, as a user would, with the RSS probe preloaded: wall
 * time, exit code, the `--json` summary and the child's peak RSS. The environment is the parent's without any
 * setting the tool reads (so nothing outside the benchmark leaks in), plus the sandbox's credentials.
 */

const here = fileURLToPath(new URL('.', import.meta.url));
/** dist/bench/lib → dist */
const distRoot = resolve(here, '..', '..');
export const BIN = join(distRoot, 'src', 'cli', 'bin.js');
const PROBE = join(here, 'rss-probe.js');

export interface CliRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  /** Peak RSS of the child in KB (null when it was killed before it could say). */
  maxRssKb: number | null;
  /** CPU seconds (user + system) of the child alone (null when it was killed before it could say). */
  cpuSeconds: number | null;
  /** The `--json` summary line, parsed. */
  summary: Record<string, unknown> | null;
  stderrTail: string;
}

export interface CliOptions {
  cwd: string;
  env: Record<string, string>;
  /** Called with the child's pid once it runs (the resume benchmark kills it). */
  onSpawn?: (pid: number, kill: (signal: NodeJS.Signals) => void) => void;
  /** Extra node flags. */
  nodeArgs?: string[];
}

export function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(YOTPO_|RIVO_|MIGRATION_DB$|REPORT_DIR$|BENCH_)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export function runCli(args: string[], options: CliOptions): Promise<CliRun> {
  const rssFile = join(options.cwd, `.rss-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', PROBE, BIN, ...args, '--json'], {
      cwd: options.cwd,
      env: { ...options.env, BENCH_RSS_FILE: rssFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    });
    child.once('error', reject);
    if (child.pid !== undefined) options.onSpawn?.(child.pid, (sig) => child.kill(sig));
    child.once('close', (exitCode, signal) => {
      const wallMs = performance.now() - started;
      let maxRssKb: number | null = null;
      let cpuSeconds: number | null = null;
      if (existsSync(rssFile)) {
        try {
          const probe = JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRssKb: number; cpuUserUs: number; cpuSystemUs: number };
          maxRssKb = probe.maxRssKb;
          cpuSeconds = (probe.cpuUserUs + probe.cpuSystemUs) / 1e6;
        } catch {
          maxRssKb = null;
        }
        rmSync(rssFile, { force: true });
      }
      let summary: Record<string, unknown> | null = null;
      const line = stdout.trim().split('\n').filter(Boolean).at(-1);
      if (line) {
        try {
          summary = JSON.parse(line) as Record<string, unknown>;
        } catch {
          summary = null;
        }
      }
      resolvePromise({ exitCode, signal, wallMs, maxRssKb, cpuSeconds, summary, stderrTail: stderr.split('\n').slice(-15).join('\n') });
    });
  });
}

/** A scratch directory for one benchmark run, removed by `cleanup`. */
export function scratchDir(name: string): { dir: string; cleanup: () => void } {
  const base = process.env.BENCH_TMP ?? tmpdir();
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `y2r-bench-${name}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The config file a run reads: settling, timeouts and the send mode (budgets and URLs go as flags). Issue 13's regime
 * is "batches allowed": `rivo.sendMode batch` (the default `auto` sends single events until a pilot confirmed that
 * batches are silent, which a benchmark shop has no person to confirm).
 */
export function writeRunConfig(dir: string, overrides: { settleDelayMs?: number; perPage?: number; concurrency?: number; sendMode?: 'batch' | 'single' | 'auto' } = {}): string {
  const path = join(dir, 'bench-config.json');
  writeFileSync(
    path,
    JSON.stringify(
      {
        yotpo: { timeoutMs: 30_000, perPage: overrides.perPage ?? 100 },
        rivo: { timeoutMs: 30_000, settleDelayMs: overrides.settleDelayMs ?? 5_000, sendMode: overrides.sendMode ?? 'batch', ...(overrides.concurrency ? { concurrency: overrides.concurrency } : {}) },
      },
      null,
      2,
    ),
  );
  return path;
}

export function sandboxEnv(credentials: { yotpoGuid: string; yotpoApiKey: string; rivoApiKey: string }): Record<string, string> {
  return cleanEnv({ YOTPO_GUID: credentials.yotpoGuid, YOTPO_API_KEY: credentials.yotpoApiKey, RIVO_API_KEY: credentials.rivoApiKey });
}
