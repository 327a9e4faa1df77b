import { existsSync, mkdtempSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/open.js';
import { groupCommit, relaxSync, sharedFlush } from '../../src/ledger/durable.js';

/** A flush we finish by hand, recording when each one started. */
function manualFlush() {
  const started: { finish: () => void }[] = [];
  const flush = () =>
    new Promise<void>((resolve) => {
      started.push({ finish: resolve });
    });
  return { started, flush };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('sharedFlush (group commit)', () => {
  it('a caller who arrives while a flush runs waits for the next flush, not the running one', async () => {
    const m = manualFlush();
    const sync = sharedFlush(m.flush);
    const seen: string[] = [];
    void sync().then(() => seen.push('a'));
    expect(m.started).toHaveLength(1);
    // b and c commit while flush 1 runs: flush 1 may have started before their commits.
    void sync().then(() => seen.push('b'));
    void sync().then(() => seen.push('c'));
    expect(m.started).toHaveLength(1); // one flush at a time
    m.started[0]!.finish();
    await tick();
    expect(seen).toEqual(['a']); // b and c are not on disk yet
    expect(m.started).toHaveLength(2); // they share one new flush
    m.started[1]!.finish();
    await tick();
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('a caller after every flush ended starts a new one at once', async () => {
    const m = manualFlush();
    const sync = sharedFlush(m.flush);
    const first = sync();
    m.started[0]!.finish();
    await first;
    void sync();
    expect(m.started).toHaveLength(2);
  });

  it('a failed flush fails its callers; the next callers get a new flush', async () => {
    let n = 0;
    const sync = sharedFlush(() => (n++ === 0 ? Promise.reject(new Error('disk')) : Promise.resolve()));
    await expect(sync()).rejects.toThrow('disk');
    await expect(sync()).resolves.toBeUndefined();
    expect(n).toBe(2);
  });
});

describe('groupCommit', () => {
  it('relaxes synchronous to NORMAL on a WAL DB while it runs, flushes the WAL file, and restores FULL', async () => {
    const db = openDb(join(mkdtempSync(join(tmpdir(), 'y2r-durable-')), 'm.sqlite'));
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    const g = groupCommit(db);
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    db.prepare("INSERT INTO meta (key, value) VALUES ('durable-test', 'x')").run();
    await g.sync(); // the -wal file exists and is flushed (a missing file would throw)
    g.restore();
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    db.close();
  });

  it('changes nothing on an in-memory DB', async () => {
    const db = new Database(':memory:');
    const before = db.pragma('synchronous', { simple: true });
    const g = groupCommit(db);
    expect(db.pragma('synchronous', { simple: true })).toBe(before);
    await g.sync();
    g.restore();
    db.close();
  });
});

describe('groupCommit: one transaction per tick', () => {
  it('writes of one tick commit together at its end; sync waits for that commit, then for the disk', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'y2r-durable-')), 'm.sqlite');
    const db = openDb(path);
    const other = new Database(path, { readonly: true });
    const seen = () => other.prepare("SELECT count(*) FROM meta WHERE key LIKE 'tick-%'").pluck().get();
    const g = groupCommit(db);
    g.join();
    db.prepare("INSERT INTO meta (key, value) VALUES ('tick-1', 'x')").run();
    db.transaction(() => db.prepare("INSERT INTO meta (key, value) VALUES ('tick-2', 'x')").run())(); // a savepoint inside
    g.join(); // already open: joins it
    expect(db.inTransaction).toBe(true);
    expect(seen()).toBe(0); // not committed yet: another connection sees nothing
    await g.sync();
    expect(db.inTransaction).toBe(false);
    expect(seen()).toBe(2);
    g.restore();
    other.close();
    db.close();
  });

  it('an answer recorded while a flush runs, with callers waiting for the next, is committed with the next flush, not at the end of its tick', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'y2r-durable-')), 'm.sqlite');
    const db = openDb(path);
    const other = new Database(path, { readonly: true });
    const seen = () => other.prepare("SELECT count(*) FROM meta WHERE key LIKE 'tick-%'").pluck().get();
    const m = manualFlush();
    const g = groupCommit(db, { syncWal: m.flush });
    const write = (k: string) => {
      g.join();
      db.prepare("INSERT INTO meta (key, value) VALUES (?, 'x')").run(k);
    };
    write('tick-a');
    const a = g.sync();
    await tick();
    expect(m.started).toHaveLength(1); // flush 1 runs, with a committed before it started
    expect(seen()).toBe(1);
    write('tick-b'); // an intent: its request waits for the next flush
    const b = g.sync();
    await tick();
    write('tick-c'); // an outcome in a later tick joins the same transaction
    await tick();
    expect(seen()).toBe(1); // neither committed at the end of its tick: the next flush commits both, once
    m.started[0]!.finish();
    await a;
    await tick();
    await tick();
    expect(m.started).toHaveLength(2);
    expect(seen()).toBe(3); // committed before flush 2 started
    let bDone = false;
    void b.then(() => (bDone = true));
    await tick();
    expect(bDone).toBe(false); // b's request may leave only once flush 2 is done
    m.started[1]!.finish();
    await b;
    g.restore();
    other.close();
    db.close();
  });

  it('refuses to call writes durable while a transaction that is not its own is open', async () => {
    const db = openDb(join(mkdtempSync(join(tmpdir(), 'y2r-durable-')), 'm.sqlite'));
    const g = groupCommit(db);
    db.exec('BEGIN');
    g.join(); // someone else's transaction: not ours to commit
    await expect(g.sync()).rejects.toThrow(/not committed/);
    db.exec('ROLLBACK');
    g.restore();
    db.close();
  });

  it('restore commits what the tick left open', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'y2r-durable-')), 'm.sqlite');
    const db = openDb(path);
    const g = groupCommit(db);
    g.join();
    db.prepare("INSERT INTO meta (key, value) VALUES ('tick-r', 'x')").run();
    g.restore();
    expect(db.inTransaction).toBe(false);
    db.close();
    const again = new Database(path, { readonly: true });
    expect(again.prepare("SELECT value FROM meta WHERE key = 'tick-r'").pluck().get()).toBe('x');
    again.close();
  });
});

/** Descriptors this process holds open on `path` (Linux: /proc/self/fd). */
function openDescriptors(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

describe('groupCommit: the WAL descriptor', () => {
  it.skipIf(!existsSync('/proc/self/fd'))('is opened once for the run and closed at restore, not opened and closed around every flush', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'y2r-durable-')), 'm.sqlite');
    const db = openDb(path);
    const g = groupCommit(db);
    g.join();
    db.prepare("INSERT INTO meta (key, value) VALUES ('fd-1', 'x')").run();
    await g.sync();
    const sqlites = openDescriptors(`${path}-wal`) - 1; // SQLite's own, besides ours
    expect(sqlites).toBeGreaterThanOrEqual(0);
    g.join();
    db.prepare("INSERT INTO meta (key, value) VALUES ('fd-2', 'x')").run();
    await g.sync();
    expect(openDescriptors(`${path}-wal`)).toBe(sqlites + 1); // still ours, one, between flushes
    g.restore();
    await new Promise((r) => setTimeout(r, 20)); // the close is asynchronous
    expect(openDescriptors(`${path}-wal`)).toBe(sqlites);
    db.close();
  });
});

describe('relaxSync', () => {
  it('is shared by nested holders: synchronous goes back to FULL only when the last one releases', () => {
    const db = openDb(join(mkdtempSync(join(tmpdir(), 'y2r-durable-')), 'm.sqlite'));
    const extraction = relaxSync(db);
    const loader = groupCommit(db);
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    extraction(); // the extraction ends while the loader still runs
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    loader.restore();
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    db.close();
  });
});
