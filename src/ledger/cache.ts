import type { Db } from '../db/open.js';
import { holdSetting } from './held-setting.js';

const widened = new WeakMap<Db, { holders: number; saved: { cacheSize: number; checkpoint: number } }>();

/** WAL pages between automatic checkpoints while widened (SQLite's default is 1,000: 4 MB). */
const BULK_CHECKPOINT_PAGES = 16384;

/**
 * A larger SQLite page cache, and fewer checkpoints, for the bulk passes (extraction, planning) until the returned function is called.
 * SQLite's default (2 MB) holds a few thousand pages: a pass that inserts a million customers, or three million
 * events under a random key, then reads and writes most index pages through the OS once per row, and every commit
 * writes pages it will read again. Nested holders share it (migrate runs extraction and planning together); the
 * setting goes back when the last one releases. Memory: the cache fills only as far as the DB is large.
 */
export function widenCache(db: Db, mb: number): () => void {
  return holdSetting(
    widened,
    db,
    () => {
      const saved = {
        cacheSize: db.pragma('cache_size', { simple: true }) as number,
        checkpoint: db.pragma('wal_autocheckpoint', { simple: true }) as number,
      };
      db.pragma(`cache_size = ${-Math.round(mb * 1024)}`);
      // A bulk pass rewrites the same index pages commit after commit: checkpointing every 4 MB of WAL copies each of
      // them into the DB file (and, with synchronous = NORMAL, fsyncs it) over and over; at 64 MB a checkpoint copies
      // the latest version of a page once. Durability is the WAL's, not the checkpoint's: nothing is lost by waiting.
      db.pragma(`wal_autocheckpoint = ${BULK_CHECKPOINT_PAGES}`);
      return saved;
    },
    (saved) => {
      if (!db.open) return;
      db.pragma(`cache_size = ${saved.cacheSize}`);
      db.pragma(`wal_autocheckpoint = ${saved.checkpoint}`);
    },
  );
}
