import type { Db } from '../db/open.js';

const widened = new WeakMap<Db, { holders: number; before: number }>();

/**
 * A larger SQLite page cache for the bulk passes (extraction, planning) until the returned function is called.
 * SQLite's default (2 MB) holds a few thousand pages: a pass that inserts a million customers, or three million
 * events under a random key, then reads and writes most index pages through the OS once per row, and every commit
 * writes pages it will read again. Nested holders share it (migrate runs extraction and planning together); the
 * setting goes back when the last one releases. Memory: the cache fills only as far as the DB is large.
 */
export function widenCache(db: Db, mb: number): () => void {
  let state = widened.get(db);
  if (!state) {
    state = { holders: 0, before: db.pragma('cache_size', { simple: true }) as number };
    widened.set(db, state);
    db.pragma(`cache_size = ${-Math.round(mb * 1024)}`);
  }
  state.holders++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const s = widened.get(db)!;
    if (--s.holders > 0) return;
    widened.delete(db);
    if (db.open) db.pragma(`cache_size = ${s.before}`);
  };
}
