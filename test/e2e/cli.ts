import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '../../src/sandbox/index.js';

/**
 * Runs the built CLI (`dist/src/cli/bin.js`) as a user would: a child process, credentials in its environment only,
 * a config file, a DB and an out dir of its own. Child processes are what the kill and lock tests need, and they
 * keep every test honest about what reaches stdout, stderr and the disk.
 */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'dist', 'src', 'cli', 'bin.js');

/** Fast settings for a sandbox on 127.0.0.1: short settle delay and timeouts, generous rates. */
export const FAST_CONFIG = { rivo: { settleDelayMs: 50, timeoutMs: 3000 }, yotpo: { timeoutMs: 3000 } };
export const FAST_RATES = ['--yotpo-rpm', '6000', '--rivo-rps', '200'];

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/**
 * Builds dist/ when it is missing or older than the sources (CI's `npm ci` builds it through `prepare`). Two test
 * workers may ask at once: a directory lock makes one build and the other wait.
 */
export function ensureBuilt(): void {
  const stale = () => {
    try {
      const built = statSync(BIN).mtimeMs;
      return Math.max(newestMtime(join(ROOT, 'src')), newestMtime(join(ROOT, 'migrations'))) > built;
    } catch {
      return true;
    }
  };
  if (!stale()) return;
  const lock = join(tmpdir(), 'yotpo-to-rivo-e2e-build.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than two minutes was left by a killed run.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmdirSync(lock);
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > deadline) throw new Error('ensureBuilt: timed out waiting for another build');
      spawnSync('sleep', ['0.5']);
    }
  }
  try {
    if (stale()) {
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'config', 'tsconfig.build.json')], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      if (r.status !== 0) process.stderr.write(`ensureBuilt: tsc reported problems (dist may still be usable):\n${r.stdout}${r.stderr}\n`);
    }
  } finally {
    rmdirSync(lock);
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON, when it is JSON. */
  json: any;
  pid: number;
  ms: number;
}

export interface Workspace {
  dir: string;
  db: string;
  out: string;
  configPath: string;
  env: NodeJS.ProcessEnv;
  /** --db, --out, --config, both base URLs and the fast rates. */
  args: string[];
}

/** A fresh directory with a config file, and the flags and environment that point the CLI at `sb`. */
export function workspace(sb: Sandbox, options: { config?: Record<string, unknown>; rates?: string[]; name?: string } = {}): Workspace {
  const base = join(tmpdir(), 'y2r-e2e');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `${options.name ?? 'ws'}-`));
  const db = join(dir, 'migration.sqlite');
  const out = join(dir, 'reports');
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(deepMerge(FAST_CONFIG, options.config ?? {}), null, 2));
  return {
    dir,
    db,
    out,
    configPath,
    env: {
      YOTPO_GUID: sb.credentials.yotpoGuid,
      YOTPO_API_KEY: sb.credentials.yotpoApiKey,
      RIVO_API_KEY: sb.credentials.rivoApiKey,
    },
    args: ['--db', db, '--out', out, '--config', configPath, '--yotpo-base-url', sb.yotpoUrl, '--rivo-base-url', sb.rivoUrl, ...(options.rates ?? FAST_RATES)],
  };
}

export function removeWorkspace(ws: Workspace | undefined): void {
  if (ws) rmSync(ws.dir, { recursive: true, force: true });
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      typeof prev === 'object' && prev !== null && !Array.isArray(prev) && typeof v === 'object' && v !== null && !Array.isArray(v)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** The environment a child gets: PATH and HOME only, plus `env` (never the test runner's own credentials). */
function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, TZ: 'UTC', ...env };
}

export interface Running {
  child: ChildProcess;
  pid: number;
  done: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
}

/** Starts the CLI; `done` resolves when it exits (or is killed after `timeoutMs`, default 90 s: a hang fails the test). */
export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Run under this umask (octal string, e.g. '000'), through /bin/sh. */
  umask?: string;
  /** Run as another user (the test runner must be root): permission bits bind it, as they bind a merchant. */
  user?: { uid: number; gid: number };
}

export function startCli(args: string[], options: StartOptions = {}): Running {
  const started = Date.now();
  const [cmd, argv] =
    options.umask === undefined
      ? [process.execPath, [BIN, ...args]]
      : ['/bin/sh', ['-c', `umask ${options.umask} && exec "$0" "$@"`, process.execPath, BIN, ...args]];
  const child = spawn(cmd, argv, { cwd: options.cwd ?? tmpdir(), env: childEnv(options.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'], ...options.user });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
  const done = new Promise<CliResult>((resolveDone, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').at(-1) ?? '';
      let json: unknown;
      try {
        json = last ? JSON.parse(last) : undefined;
      } catch {
        json = undefined;
      }
      resolveDone({ code, signal, stdout: out, stderr: err, json, pid: child.pid ?? -1, ms: Date.now() - started });
    });
  });
  return { child, pid: child.pid ?? -1, done, stdout: () => out, stderr: () => err };
}

export function runCli(args: string[], options: StartOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/**
 * A command against a workspace: `cmd`, then the workspace's flags, then `extra`. A flag in `extra` that the
 * workspace also sets (`--rivo-base-url`, `--config`…) replaces the workspace's value rather than repeating it.
 */
export function runIn(ws: Workspace, command: string[], extra: string[] = [], env: NodeJS.ProcessEnv = {}, options: Pick<StartOptions, 'user'> = {}): Promise<CliResult> {
  return runCli([...command, ...withFlags(ws.args, extra)], { env: { ...ws.env, ...env }, cwd: ws.dir, ...options });
}

/** `base` flags with `extra` appended; a `--flag value` pair of `extra` replaces the same flag in `base`. */
export function withFlags(base: string[], extra: string[]): string[] {
  const out = [...base];
  const rest: string[] = [];
  for (let i = 0; i < extra.length; i++) {
    const flag = extra[i]!;
    const value = extra[i + 1];
    const at = out.indexOf(flag);
    if (flag.startsWith('--') && at >= 0 && value !== undefined && !value.startsWith('--')) {
      out[at + 1] = value;
      i++;
    } else rest.push(flag);
  }
  return [...out, ...rest];
}

/** For assertion messages: the tail of what the child printed. */
export function tail(r: Pick<CliResult, 'stderr' | 'stdout'>, n = 2500): string {
  return `--- stderr ---\n${r.stderr.slice(-n)}\n--- stdout ---\n${r.stdout.slice(-n)}`;
}

/**
 * Resolves once the child has written anything (or after 20 s, so a silent child is still killed): crash tests count
 * their kill delay from the run's first line, not the spawn, since Node's start-up on a loaded machine can take
 * seconds and every kill would land before the run had done anything.
 */
export async function firstOutput(child: { stdout: () => string; stderr: () => string }): Promise<void> {
  const until = Date.now() + 20_000;
  while (child.stdout() === '' && child.stderr() === '' && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
}
