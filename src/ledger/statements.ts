import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/open.js';

/**
 * Prepared statements, compiled once per connection and SQL text instead of on every call: on a million customers
 * the planner and the loader run the same few dozen statements millions of times, and compiling them each time was
 * a third of the planner's CPU.
 *
 * A cached statement is shared by every caller with the same SQL: never change its mode. `pluckStatement` is the
 * plucking variant (its own cache, pluck set once).
 */

const caches = new WeakMap<Db, Map<string, Statement>>();

function cacheOf(db: Db): Map<string, Statement> {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  return cache;
}

export function statement(db: Db, sql: string): Statement {
  const cache = cacheOf(db);
  let s = cache.get(sql);
  if (!s) {
    s = db.prepare(sql);
    cache.set(sql, s);
  }
  return s;
}

/** A statement whose reads return the first column's value only. */
export function pluckStatement(db: Db, sql: string): Statement {
  const cache = cacheOf(db);
  const key = `\u0000pluck\u0000${sql}`;
  let s = cache.get(key);
  if (!s) {
    s = db.prepare(sql).pluck();
    cache.set(key, s);
  }
  return s;
}
