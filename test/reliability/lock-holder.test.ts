import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/db/lock.js';
import { openDb } from '../../src/db/open.js';
import { LockedError } from '../../src/errors.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { BIN, ensureBuilt, removeWorkspace, runIn, tail, workspace, type Workspace } from '../e2e/cli.js';

/**
 * Issue 11, item 7: the lock tells a dead or recycled holder from a live one. A holder killed a moment ago is a
 * zombie until its parent reaps it, and a zombie answers `kill(pid, 0)`; a pid reused by another process answers
 * too. Both are taken over; a live holder is still refused. (Linux: these tests read /proc like the lock does.)
 */

const dbPath = () => join(mkdtempSync(join(tmpdir(), 'y2r-lockholder-')), 'migration.sqlite');
const startTime = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').slice(readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 1).trim().split(/\s+/)[19]!;
const stateOf = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').slice(readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 1).trim().split(/\s+/)[0]!;

function insertLock(db: Database.Database, pid: number, pidStart: string | null): void {
  db.prepare("INSERT INTO lock (id, pid, hostname, command, acquired_at, pid_start) VALUES (1, ?, ?, 'migrate', '2026-01-01T00:00:00Z', ?)").run(pid, hostname(), pidStart);
}

/** `sh` starts `argv` in the background, prints its pid, then becomes `sleep`, which never reaps it: when that child dies it stays a zombie. */
function orphanedChild(argv: string[], env: NodeJS.ProcessEnv = {}, cwd = tmpdir()): { parent: ChildProcess; pid: Promise<number>; stderr: () => string } {
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const parent = spawn('/bin/sh', ['-c', `${quoted} 2>"$Y2R_ERR" >/dev/null & echo $!; exec sleep 60`], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TZ: 'UTC', Y2R_ERR: join(cwd, 'child.err'), ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const pid = new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  return { parent, pid, stderr: () => readFileSync(join(cwd, 'child.err'), 'utf8') };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('lock: a dead or recycled holder is recognised (unit)', () => {
  it('takes over a row whose pid is alive but started at another time, and refuses the same pid with its own start time', async () => {
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      await until('the sleeper to exist', () => (sleeper.pid ? true : undefined));
      const real = startTime(sleeper.pid!);
      const a = openDb(dbPath());
      insertLock(a, sleeper.pid!, real);
      expect(() => acquireLock(a, 'load'), 'a live holder with its own start time is refused').toThrow(LockedError);
      a.close();

      const b = openDb(dbPath());
      insertLock(b, sleeper.pid!, String(Number(real) + 12345)); // the holder's pid, now used by another process
      const release = acquireLock(b, 'load');
      expect(b.prepare('SELECT pid FROM lock').pluck().get()).toBe(process.pid);
      expect(b.prepare('SELECT pid_start FROM lock').pluck().get()).toBe(startTime(process.pid));
      release();
      b.close();
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('takes over a row whose holder is a zombie (killed, not yet reaped)', async () => {
    const { parent, pid } = orphanedChild([process.execPath, '-e', 'setTimeout(() => {}, 30000)']);
    try {
      const child = await pid;
      const recorded = await until('the child to run', () => {
        try {
          return startTime(child);
        } catch {
          return undefined;
        }
      });
      process.kill(child, 'SIGKILL');
      await until('the child to be a zombie', () => (stateOf(child) === 'Z' ? true : undefined));
      const db = openDb(dbPath());
      insertLock(db, child, recorded);
      const release = acquireLock(db, 'rollback');
      expect(db.prepare('SELECT pid FROM lock').pluck().get()).toBe(process.pid);
      release();
      db.close();
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

describe('lock: a crash followed at once by another command (e2e)', () => {
  let sb: Sandbox;
  let ws: Workspace;
  beforeAll(async () => {
    ensureBuilt();
    sb = await startSandbox({ customers: 120, seed: 19, rivo: { latencyMs: 40 } });
    ws = workspace(sb, { name: 'lockholder', rates: ['--yotpo-rpm', '6000', '--rivo-rps', '20'] });
  }, 180_000);
  afterAll(async () => {
    await sb?.close();
    removeWorkspace(ws);
  });

  it('SIGKILL a running migrate, then status and rollback right away: the dead holder is taken over', async () => {
    const run = orphanedChild([process.execPath, BIN, 'migrate', ...ws.args], ws.env, ws.dir);
    try {
      const pid = await run.pid;
      const lockPid = () => {
        try {
          const db = new Database(ws.db, { readonly: true, fileMustExist: true });
          try {
            return (db.prepare('SELECT pid FROM lock WHERE id = 1').pluck().get() as number | undefined) ?? undefined;
          } finally {
            db.close();
          }
        } catch {
          return undefined;
        }
      };
      await until('migrate to hold the lock', () => (lockPid() === pid ? true : undefined));
      await until('migrate to write to Rivo', () => (sb.stats().rivo.eventsCreated > 0 ? true : undefined));
      process.kill(pid, 'SIGKILL');
      await until('the killed run to be a zombie', () => (stateOf(pid) === 'Z' ? true : undefined));

      const status = await runIn(ws, ['status'], ['--json']);
      expect(status.json?.lock ?? null, tail(status)).toBeNull();
      const rollback = await runIn(ws, ['rollback', '--yes'], ['--json']);
      expect(rollback.stderr, tail(rollback)).not.toContain('in use by');
      expect(rollback.code, tail(rollback)).toBe(0);
      expect(stateOf(pid), 'the holder was still a zombie while rollback ran').toBe('Z');
    } finally {
      run.parent.kill('SIGKILL');
    }
  }, 120_000);
});
