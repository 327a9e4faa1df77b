import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/open.js';
import { groupCommit, sharedFlush } from '../../src/ledger/durable.js';

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
