import { closeSync, createWriteStream, existsSync, fchmodSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { type Cell, safeCast } from './csv-safe.js';

/** Report files hold customer PII: owner only. */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** Creates the out directory (owner only) when it does not exist; an existing directory keeps its mode. */
export function ensureOutDir(outDir: string): string {
  const dir = resolve(outDir);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  return dir;
}

/**
 * Writes `path` through a temporary file in the same directory, created 0600, renamed over the target when complete:
 * a crash mid-write never leaves a truncated report, and a report that existed with wider permissions is replaced by
 * an owner-only one.
 */
async function writeAtomically(path: string, write: (out: Writable) => Promise<void>): Promise<string> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', FILE_MODE);
  try {
    fchmodSync(fd, FILE_MODE); // a stale temp file from a crash keeps its old mode through open()
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  try {
    await write(createWriteStream('', { fd, autoClose: true }));
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return path;
}

export async function writeTextFile(path: string, text: string): Promise<string> {
  return writeAtomically(path, (out) => pipeline(Readable.from([text]), out));
}

/**
 * Streams rows into a CSV file: rows are pulled from `rows` only as fast as the file takes them, so memory stays
 * constant whatever the number of customers. Every text cell goes through the formula-injection rule.
 */
export async function writeCsvFile(path: string, columns: readonly string[], rows: Iterable<Cell[]> | AsyncIterable<Cell[]>): Promise<string> {
  return writeAtomically(path, (out) =>
    pipeline(Readable.from(rows, { objectMode: true, highWaterMark: 64 }), stringify({ header: true, columns: [...columns], cast: safeCast, bom: false }), out),
  );
}
