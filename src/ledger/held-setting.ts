import type { Db } from '../db/open.js';

/**
 * A connection setting held by nested callers (the loader and an extraction running beside it in `migrate`,
 * extraction and planning together): the first holder applies it and keeps what it replaced, the last to release puts
 * that back. Each release counts once, however often it is called.
 */
export function holdSetting<S>(registry: WeakMap<Db, { holders: number; saved: S }>, db: Db, apply: () => S, restore: (saved: S) => void): () => void {
  let state = registry.get(db);
  if (!state) {
    state = { holders: 0, saved: apply() };
    registry.set(db, state);
  }
  state.holders++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const s = registry.get(db)!;
    if (--s.holders > 0) return;
    registry.delete(db);
    restore(s.saved);
  };
}
