import { close as closeFd, fsync as fsyncFd, open as openFd } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Db } from '../db/open.js';
import { holdSetting } from './held-setting.js';

/**
 * Group commit for the loader: "the intent is on disk before the request leaves", at one disk flush per group of
 * requests instead of one per transaction.
 *
 * The migration DB runs in WAL mode with `synchronous = FULL`: every commit waits for an fsync of the WAL file
 * (~5 ms on the project machine), and the loader commits twice per request (intent, outcome), on the event loop.
 * At 200 requests/s that is more flushing than a second holds. While the loader runs, commits are made with
 * `synchronous = NORMAL` (the same WAL writes, no fsync: they survive the process being killed, not a power cut),
 * and before a request leaves the loader awaits `sync()`: an fsync of the WAL file, off the event loop (libuv's
 * thread pool), started after the intent was committed. Everyone who committed while one flush ran shares the next.
 *
 * Why that is as safe as FULL: the WAL is a log; after a power cut SQLite recovers a prefix of the commits, and every
 * commit made before a completed fsync of the WAL is in it. So every request that left has its intent on disk. An
 * outcome (done, refused…) is never flushed on its own: if a power cut loses it, the event is still `in_flight` on
 * disk, becomes `uncertain` at the next start and is settled by reading Rivo back, as after any crash.
 *
 * The ledger's writes share one transaction (`join`), committed at the end of the tick that opened it, or, when a
 * flush is running and others already wait for the next, at the start of that next flush: a request's intent is
 * committed, then flushed, then the request leaves.
 *
 * Outside WAL mode (or for an in-memory DB) nothing changes: commits stay as they were and `sync` has nothing to do.
 */
export interface GroupCommit {
  /**
   * Opens a transaction if none is open: every ledger write until it commits joins it (the ledger's own transactions
   * become savepoints inside it). It commits at the event loop's next check phase, or later at the start of the next
   * flush when one is running and callers already wait for the next. Intents and outcomes of every request answered
   * or leaving meanwhile then cost one commit instead of one each.
   */
  join(): void;
  /** Resolves once every write made before the call is committed and on disk. */
  sync(): Promise<void>;
  /** Commits what is open and puts `synchronous` back as it was. */
  restore(): void;
}

export function groupCommit(db: Db, o: { syncWal?: () => Promise<void> } = {}): GroupCommit {
  if (!isWalOnDisk(db)) return { join: () => undefined, sync: () => Promise.resolve(), restore: () => undefined };
  const release = relaxSync(db);
  const held = heldWal(`${db.name}-wal`);
  // Tests pass a flush they finish by hand.
  const wal = o.syncWal ? { sync: o.syncWal, close: held.close } : held;
  let open = false;
  let commitError: unknown = null;
  /** Callers waiting for the next flush; it starts when none runs. */
  let waiting: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  let flushing = false;
  let startScheduled = false;
  const commit = () => {
    if (!open) return;
    open = false;
    try {
      // SQLite may have rolled the transaction back itself (an I/O error): nothing is left to commit then.
      if (db.inTransaction) db.exec('COMMIT');
    } catch (err) {
      commitError = err;
    }
  };
  const checked = () => {
    if (commitError) {
      const err = commitError;
      commitError = null;
      throw err;
    }
  };
  // A flush commits what is open, then fsyncs: every write its callers made before they called is in that commit or
  // an earlier one, and the fsync starts after it.
  const startFlush = () => {
    startScheduled = false;
    if (flushing || !waiting.length) return;
    const batch = waiting;
    waiting = [];
    commit();
    let failure: unknown = null;
    try {
      checked();
      // Nothing may leave on the strength of a write still inside a transaction that is not ours to commit.
      if (db.inTransaction) throw new Error('the ledger is inside a transaction that is not committed; nothing is sent before it is');
    } catch (err) {
      failure = err;
    }
    if (failure) {
      for (const w of batch) w.reject(failure);
      return;
    }
    flushing = true;
    wal.sync().then(
      () => batch.forEach((w) => w.resolve()),
      (err: unknown) => batch.forEach((w) => w.reject(err)),
    ).finally(() => {
      flushing = false;
      // Callers who came while it ran wait for the next one; the rest of this tick's writes may still join it.
      if (waiting.length) scheduleStart();
    });
  };
  const scheduleStart = () => {
    if (startScheduled) return;
    startScheduled = true;
    setImmediate(startFlush);
  };
  // End of the tick that opened the transaction: commit, unless a flush is already due to start (once the running
  // one ends, or at this check phase) with callers waiting: it commits then, and everything written until then
  // shares that one commit. At high rates most answers arrive while a flush runs, so the ledger commits about once
  // per flush rather than once per answer (a commit writes every changed page to the WAL: ~70 µs of CPU each).
  const endOfTick = () => {
    if (startScheduled || (flushing && waiting.length)) return;
    commit();
  };
  return {
    join: () => {
      // Inside someone else's transaction (or ours), the writes already join an open one.
      if (open || db.inTransaction) return;
      db.exec('BEGIN');
      open = true;
      setImmediate(endOfTick);
    },
    sync: () => {
      try {
        checked();
      } catch (err) {
        return Promise.reject(err);
      }
      return new Promise<void>((resolve, reject) => {
        waiting.push({ resolve, reject });
        if (!flushing) scheduleStart();
      });
    },
    restore: () => {
      commit();
      release();
      wal.close();
      checked();
    },
  };
}

const relaxed = new WeakMap<Db, { holders: number; saved: number }>();

/**
 * Commits without their own fsync (`synchronous = NORMAL`) until the returned function is called; nested holders
 * (the loader and an extraction running beside it in `migrate`) share it, and the setting goes back when the last
 * one releases. Only for work whose tail may be lost by a power cut without harm (see above): nothing outside may
 * act on such a commit before a flush (`GroupCommit.sync`, `flushWal`).
 */
export function relaxSync(db: Db): () => void {
  return holdSetting(
    relaxed,
    db,
    () => {
      const before = db.pragma('synchronous', { simple: true }) as number;
      db.pragma('synchronous = NORMAL');
      return before;
    },
    (before) => {
      if (db.open && !db.inTransaction) db.pragma(`synchronous = ${before}`);
    },
  );
}

/** Whether commits on this DB go to a WAL file that `flushWal` can make durable. */
export function isWalOnDisk(db: Db): boolean {
  return !db.memory && !db.readonly && String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
}

/** Every commit made so far is on disk (one fsync of the WAL file; nothing to do outside WAL mode). */
export async function flushWal(db: Db): Promise<void> {
  if (isWalOnDisk(db)) await walFlusher(`${db.name}-wal`)();
}

/** fsyncs of one file, shared: a caller waits for a flush that started after it called. */
export function walFlusher(path: string): () => Promise<void> {
  return sharedFlush(async () => {
    const file = await open(path, 'r');
    try {
      await file.sync();
    } finally {
      await file.close();
    }
  });
}

/**
 * fsyncs of the WAL file through one descriptor held for the loader's run: opening and closing the file around every
 * flush cost more of the event loop than the flush itself (one flush per request at high rates). Holding it is safe
 * because SQLite never replaces the WAL file while a connection has the DB open in WAL mode (it rewrites it from the
 * start after a checkpoint, same file); it is only deleted when the last connection closes, and the loader's
 * connection is open for as long as this is. A descriptor whose flush failed is dropped and the next flush opens
 * the file again. `close` waits for a running flush (never closes a descriptor under an fsync).
 */
function heldWal(path: string): { sync: () => Promise<void>; close: () => void } {
  let fd: number | null = null;
  let running = 0;
  let closing = false;
  const drop = () => {
    if (fd !== null) closeFd(fd, () => undefined);
    fd = null;
  };
  const fsyncOnce = (handle: number) =>
    new Promise<void>((resolve, reject) => fsyncFd(handle, (err) => (err ? reject(err) : resolve())));
  const opened = () =>
    new Promise<number>((resolve, reject) => openFd(path, 'r', (err, handle) => (err ? reject(err) : resolve(handle))));
  return {
    sync: async () => {
      running++;
      try {
        fd ??= await opened();
        await fsyncOnce(fd);
      } catch (err) {
        drop();
        throw err;
      } finally {
        if (--running === 0 && closing) drop();
      }
    },
    close: () => {
      closing = true;
      if (running === 0) drop();
    },
  };
}

/**
 * Turns one flush into a shared one: at most one runs at a time; a caller who arrives while one runs (which may have
 * started before the caller's commit) waits for the next, which every such caller shares.
 */
export function sharedFlush(flushOnce: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const start = (): Promise<void> => {
    const p: Promise<void> = flushOnce().finally(() => {
      if (running === p) running = null;
    });
    running = p;
    return p;
  };
  return () => {
    if (!running) return start();
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = null;
        return start();
      });
    return next;
  };
}
