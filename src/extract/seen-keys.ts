import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/open.js';

let instances = 0;

/**
 * What one extraction run stored under each record key (a prefix of the values hash), so that a key met twice in
 * the run is told apart. Held in a TEMP table of the migration DB's connection, not in memory: a million keys would
 * otherwise be a million strings on the heap. The table lives in SQLite's temp file, with its own bounded cache.
 */
export class SeenKeys {
  private readonly table: string;
  private readonly find: Statement;
  private readonly add: Statement;
  private readonly put: Statement;
  private readonly recordAll: (pairs: readonly (readonly [string, string])[]) => (string | undefined)[];

  constructor(private readonly db: Db) {
    this.table = `temp.extract_seen_${process.pid}_${++instances}`;
    db.exec(`DROP TABLE IF EXISTS ${this.table}; CREATE TABLE ${this.table} (key TEXT PRIMARY KEY, hash TEXT NOT NULL)`);
    this.find = db.prepare(`SELECT hash FROM ${this.table} WHERE key = ?`).pluck();
    this.add = db.prepare(`INSERT INTO ${this.table} (key, hash) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`);
    this.put = db.prepare(`UPDATE ${this.table} SET hash = ? WHERE key = ?`);
    // Most keys are new: the insert alone says so; a key met before is read, then overwritten.
    this.recordAll = db.transaction((pairs: readonly (readonly [string, string])[]) =>
      pairs.map(([key, hash]) => {
        if (this.add.run(key, hash).changes === 1) return undefined;
        const before = this.find.get(key) as string;
        this.put.run(hash, key);
        return before;
      }),
    );
  }

  /** Records each (key, hash) in order; returns, for each, the hash stored before it under the same key, if any. */
  record(pairs: readonly (readonly [string, string])[]): (string | undefined)[] {
    return pairs.length ? this.recordAll(pairs) : [];
  }

  close(): void {
    if (this.db.open) this.db.exec(`DROP TABLE IF EXISTS ${this.table}`);
  }
}
