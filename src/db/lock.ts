import { hostname } from 'node:os';
import { LockedError } from '../errors.js';
import type { Db } from './open.js';

interface LockRow {
  pid: number;
  hostname: string;
  command: string;
  acquired_at: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One writer per migration DB. The lock is a row, taken in an IMMEDIATE transaction so two processes cannot both
 * see it free. A row left by a process that is no longer alive on this host is taken over; a lock held from another
 * host cannot be checked and is refused with instructions.
 */
export function acquireLock(db: Db, command: string): () => void {
  const me = { pid: process.pid, host: hostname() };
  const take = db.transaction(() => {
    const row = db.prepare('SELECT pid, hostname, command, acquired_at FROM lock WHERE id = 1').get() as LockRow | undefined;
    if (row && !(row.pid === me.pid && row.hostname === me.host)) {
      const stale = row.hostname === me.host && !isAlive(row.pid);
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
      'INSERT INTO lock (id, pid, hostname, command, acquired_at) VALUES (1, ?, ?, ?, ?) ' +
        'ON CONFLICT(id) DO UPDATE SET pid = excluded.pid, hostname = excluded.hostname, command = excluded.command, acquired_at = excluded.acquired_at',
    ).run(me.pid, me.host, command, new Date().toISOString());
  });
  take.immediate();
  return () => {
    db.prepare('DELETE FROM lock WHERE id = 1 AND pid = ? AND hostname = ?').run(me.pid, me.host);
  };
}
