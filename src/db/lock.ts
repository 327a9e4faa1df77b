import { hostname } from 'node:os';
import { LockedError } from '../errors.js';
import type { Db } from './open.js';
import { processInfo } from './process-info.js';

interface LockRow {
  pid: number;
  hostname: string;
  command: string;
  acquired_at: string;
  pid_start: string | null;
}

function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process that wrote the lock row still runs. A pid that answers signals is not enough:
 * - a holder killed a moment ago is a zombie until its parent reaps it (state 'Z'), and answers signal 0;
 * - a pid is recycled: a live process with another start time than the one the holder recorded is someone else.
 * Where /proc is missing, or the row comes from a version that did not record a start time, only the signal test
 * is left (the old behaviour).
 */
export function holderAlive(row: { pid: number; pid_start: string | null }, procRoot?: string): boolean {
  if (!signalable(row.pid)) return false;
  const info = processInfo(row.pid, procRoot);
  if (!info) return true;
  if (info.state === 'Z' || info.state === 'X') return false;
  if (row.pid_start !== null && row.pid_start !== info.startTime) return false;
  return true;
}

/**
 * One writer per migration DB. The lock is a row, taken in an IMMEDIATE transaction so two processes cannot both
 * see it free. A row left by a process that is no longer alive on this host (gone, a zombie, or its pid now used by
 * a process with another start time) is taken over; a lock held from another
 * host cannot be checked and is refused with instructions.
 */
export function acquireLock(db: Db, command: string): () => void {
  const me = { pid: process.pid, host: hostname(), start: processInfo(process.pid)?.startTime ?? null };
  const take = db.transaction(() => {
    const row = db.prepare('SELECT pid, hostname, command, acquired_at, pid_start FROM lock WHERE id = 1').get() as LockRow | undefined;
    if (row && !(row.pid === me.pid && row.hostname === me.host)) {
      const stale = row.hostname === me.host && !holderAlive(row);
      if (!stale) {
        const where = row.hostname === me.host ? `process ${row.pid}` : `process ${row.pid} on host ${row.hostname}`;
        throw new LockedError(
          `The migration DB is in use by ${where} (\`${row.command}\`, since ${row.acquired_at}). ` +
            'Wait for it to finish, or stop it; a lock left by a process that died is recovered automatically' +
            (row.hostname === me.host ? '.' : ' only on the same host: if that host is gone, delete the row from the lock table.'),
        );
      }
    }
    db.prepare(
      'INSERT INTO lock (id, pid, hostname, command, acquired_at, pid_start) VALUES (1, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT(id) DO UPDATE SET pid = excluded.pid, hostname = excluded.hostname, command = excluded.command, ' +
        'acquired_at = excluded.acquired_at, pid_start = excluded.pid_start',
    ).run(me.pid, me.host, command, new Date().toISOString(), me.start);
  });
  take.immediate();
  return () => {
    db.prepare('DELETE FROM lock WHERE id = 1 AND pid = ? AND hostname = ?').run(me.pid, me.host);
  };
}
