import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { DbError } from '../errors.js';
import { packageRoot } from '../util/package-root.js';

export type Db = Database.Database;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The numbered SQL files in `migrations/`, in order. `NNN_name.sql`; gaps and duplicates are refused. */
export function readMigrations(dir = join(packageRoot(), 'migrations')): Migration[] {
  const files = readdirSync(dir).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return files.map((file, i) => {
    const version = Number(file.slice(0, 3));
    if (version !== i + 1) throw new Error(`migrations/${file}: expected version ${i + 1} (versions must be 1, 2, 3, … without gaps)`);
    return { version, name: file.replace(/\.sql$/, ''), sql: readFileSync(join(dir, file), 'utf8') };
  });
}

export interface OpenOptions {
  /** Open an existing DB only (status, verify, rollback): a missing file is a usage error, not a new migration. */
  mustExist?: boolean;
  readonly?: boolean;
  migrations?: Migration[];
}

/**
 * Opens (creating if needed) the migration DB and brings its schema up to date.
 * WAL with synchronous=FULL: every committed intent survives a crash or power cut before the request leaves.
 */
export function openDb(path: string, options: OpenOptions = {}): Db {
  const migrations = options.migrations ?? readMigrations();
  const isNew = !existsSync(path);
  if (isNew && (options.mustExist || options.readonly))
    throw new DbError(`No migration DB at ${path}. Run \`yotpo-to-rivo migrate\` (or extract) first, or pass --db.`);
  if (isNew) {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new DbError(`Cannot create the folder for the migration DB ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}). Pass another --db.`);
    }
  }

  let db: Db;
  try {
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: !isNew });
  } catch (err) {
    throw new DbError(`Cannot open the migration DB ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (isNew) chmodSync(path, 0o600); // customer PII: owner only
  try {
    // Refuse a file that is not ours (another app's SQLite file, a DB from a newer version) before anything writes
    // to it: switching it to WAL would already change its bytes.
    db.pragma('busy_timeout = 5000');
    checkSchema(db, migrations, path);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
    }
    db.pragma('foreign_keys = ON');
    applyMigrations(db, migrations, path, options.readonly ?? false);
  } catch (err) {
    db.close();
    if (err instanceof DbError) throw err;
    throw new DbError(`${path} cannot be used as a migration DB: ${(err as Error).message}`, { cause: err });
  }
  return db;
}

/** Throws when the file holds tables but no schema_migrations, or a schema newer than this version knows. Reads only. */
function checkSchema(db: Db, migrations: Migration[], path: string): void {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'").get();
  if (!hasTable) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type='table'").get() as { n: number };
    if (tables.n > 0) throw new DbError(`${path} is an SQLite file, but not a yotpo-to-rivo migration DB. Pass another --db.`);
    return;
  }
  const current = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
  if (current > migrations.length)
    throw new DbError(
      `${path} was written by a newer yotpo-to-rivo (schema version ${current}; this version knows up to ${migrations.length}). ` +
        'Upgrade yotpo-to-rivo to continue this migration; the DB was not changed.',
    );
}

function applyMigrations(db: Db, migrations: Migration[], path: string, readonly: boolean): void {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'").get();
  if (!hasTable) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type='table'").get() as { n: number };
    if (tables.n > 0) throw new DbError(`${path} is an SQLite file, but not a yotpo-to-rivo migration DB. Pass another --db.`);
    if (readonly) throw new DbError(`${path} is empty: not a migration DB`);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT');
  }
  const current = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
  const known = migrations.length;
  if (current > known)
    throw new DbError(
      `${path} was written by a newer yotpo-to-rivo (schema version ${current}; this version knows up to ${known}). ` +
        'Upgrade yotpo-to-rivo to continue this migration; the DB was not changed.',
    );
  const pending = migrations.filter((m) => m.version > current);
  if (pending.length && readonly)
    throw new DbError(`${path} needs a schema upgrade (version ${current} -> ${known}); open it without read-only first.`);
  for (const m of pending) {
    // Each file and its record commit together: a crash mid-upgrade leaves the DB at the previous version.
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
    })();
  }
  if (!readonly) ensureMigrationId(db);
}

/** Every DB gets a random migration id at birth: it is part of every event key, so two DBs never share keys. */
function ensureMigrationId(db: Db): void {
  db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('migration_id', ?)").run(randomUUID().replace(/-/g, '').slice(0, 12));
  db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('created_at', ?)").run(new Date().toISOString());
}

export function getMeta(db: Db, key: string): string | null {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value ?? null;
}

export function setMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}

export function migrationId(db: Db): string {
  const id = getMeta(db, 'migration_id');
  if (!id) throw new DbError('The migration DB has no migration id');
  return id;
}
