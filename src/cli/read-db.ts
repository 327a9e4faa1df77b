import { openDb, type Db } from '../db/open.js';
import { DbError } from '../errors.js';

/** Read-only when the schema is current; a DB that needs a schema upgrade is opened normally so it can be read. */
export function openForReading(path: string): Db {
  try {
    return openDb(path, { mustExist: true, readonly: true });
  } catch (err) {
    if (err instanceof DbError && /schema upgrade/.test(err.message)) return openDb(path, { mustExist: true });
    throw err;
  }
}
