import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/db/lock.js';
import { migrationId, openDb, readMigrations } from '../../src/db/open.js';
import { DbError, LockedError } from '../../src/errors.js';

const dbPath = () => join(mkdtempSync(join(tmpdir(), 'y2r-db-')), 'migration.sqlite');

describe('openDb', () => {
  it('creates the schema from migrations/, in order, owner-only, with WAL and a migration id', () => {
    const path = dbPath();
    const db = openDb(path);
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(versions).toEqual(readMigrations().map((m) => m.version));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(migrationId(db)).toMatch(/^[0-9a-f]{12}$/);
    db.close();
    expect(statSync(path).mode & 0o077).toBe(0);
  });

  it('keeps the migration id and data when reopened', () => {
    const path = dbPath();
    const a = openDb(path);
    const id = migrationId(a);
    a.close();
    const b = openDb(path);
    expect(migrationId(b)).toBe(id);
    b.close();
  });

  it('upgrades an old DB in place', () => {
    const path = dbPath();
    const all = readMigrations();
    const extra = { version: all.length + 1, name: `${String(all.length + 1).padStart(3, '0')}_extra`, sql: 'CREATE TABLE extra (x INTEGER) STRICT;' };
    openDb(path).close();
    const db = openDb(path, { migrations: [...all, extra] });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name='extra'").get()).toBeTruthy();
    db.close();
  });

  it('refuses a DB written by a newer schema, and leaves it unchanged', () => {
    const path = dbPath();
    openDb(path).close();
    const raw = new Database(path);
    raw.prepare("INSERT INTO schema_migrations VALUES (999, '999_future', 'x')").run();
    raw.close();
    expect(() => openDb(path)).toThrow(/newer yotpo-to-rivo.*999/);
  });

  it('refuses an SQLite file that is not a migration DB, and a non-SQLite file', () => {
    const path = dbPath();
    const raw = new Database(path);
    raw.exec('CREATE TABLE foo (x)');
    raw.close();
    expect(() => openDb(path)).toThrow(DbError);
    const junk = dbPath();
    writeFileSync(junk, 'this is not a database at all, just text'.repeat(100));
    expect(() => openDb(junk)).toThrow(DbError);
  });

  it('does not create a DB for commands that need an existing one', () => {
    expect(() => openDb(dbPath(), { mustExist: true })).toThrow(/No migration DB/);
  });
});

describe('acquireLock', () => {
  it('refuses a second holder that is alive, naming it, and frees on release', async () => {
    const path = dbPath();
    const db = openDb(path);
    // A live foreign process holds the lock.
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    db.prepare("INSERT INTO lock (id, pid, hostname, command, acquired_at) VALUES (1, ?, ?, 'migrate', '2026-01-01T00:00:00Z')").run(sleeper.pid, (await import('node:os')).hostname());
    try {
      expect(() => acquireLock(db, 'load')).toThrow(LockedError);
      expect(() => acquireLock(db, 'load')).toThrow(new RegExp(`process ${sleeper.pid}`));
    } finally {
      sleeper.kill('SIGKILL');
    }
    await new Promise((r) => sleeper.once('exit', r));
    const release = acquireLock(db, 'load'); // the holder is dead: stale lock recovered
    expect(db.prepare('SELECT pid FROM lock').pluck().get()).toBe(process.pid);
    release();
    expect(db.prepare('SELECT count(*) FROM lock').pluck().get()).toBe(0);
    db.close();
  });
});
