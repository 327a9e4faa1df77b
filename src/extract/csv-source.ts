import { createReadStream, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, type Parser } from 'csv-parse';
import { YOTPO_CSV_FIELDS, type Config } from '../config/schema.js';
import { AppError, ConfigError } from '../errors.js';
import type { CustomerPage } from '../yotpo/listing.js';
import type { PageSource } from './source.js';

type CsvColumns = Config['yotpo']['csvColumns'];
type YotpoField = (typeof YOTPO_CSV_FIELDS)[number];

/** Columns without which a row cannot be migrated at all. */
export const REQUIRED_CSV_FIELDS: readonly YotpoField[] = ['email', 'points_balance'];

/** Rows stored per transaction (one cursor update per page). */
export const CSV_PAGE_ROWS = 500;

/** A CSV row as stored: the file's own headers and values, so the report shows what the file said. */
export type CsvRow = Record<string, string>;

export interface CsvSourceOptions {
  pageRows?: number;
}

/**
 * A Yotpo admin CSV export as a page source. Streams the file (never all of it in memory); the cursor is the index
 * of the next data row. Headers are matched to `yotpo.csvColumns` trimmed and case-insensitively, and checked
 * before anything is read: a missing required column is a ConfigError naming it and listing the headers found.
 */
export async function openCsvSource(path: string, columns: CsvColumns, options: CsvSourceOptions = {}): Promise<PageSource> {
  const file = resolve(path);
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new ConfigError(`CSV file not found: ${file}`);
  }
  if (!isFile) throw new ConfigError(`Not a file: ${file}`);
  const pageRows = options.pageRows ?? CSV_PAGE_ROWS;

  const stream = createReadStream(file);
  const parser: Parser = stream.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, relax_quotes: false }));
  stream.on('error', (err) => parser.destroy(err));
  const rows = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
  const close = async () => {
    stream.destroy();
    parser.destroy();
  };

  // A file that is not CSV is the user's to fix (a rerun cannot help): a ConfigError, wherever it is found.
  const malformed = (err: unknown) =>
    new ConfigError(
      `The CSV file ${file} is malformed${typeof (err as { lines?: unknown }).lines === 'number' ? ` at line ${(err as { lines: number }).lines}` : ''}: ` +
        `${(err as Error).message}. Fix the file and run \`extract --from-csv\` again: rows already stored are kept, and reading resumes after them.`,
    );
  let first: IteratorResult<string[]>;
  try {
    first = await rows.next();
  } catch (err) {
    await close();
    throw malformed(err);
  }
  if (first.done) {
    await close();
    throw new ConfigError(`The CSV file ${file} is empty: expected a header row`);
  }
  const headers = first.value.map((h) => h.trim());
  const position = (want: string) => headers.findIndex((h) => h.toLowerCase() === want.trim().toLowerCase());
  const columnOf = new Map<YotpoField, number>();
  const problems: string[] = [];
  const notes: string[] = [];
  const absent: string[] = [];
  for (const fieldName of YOTPO_CSV_FIELDS) {
    const header = columns[fieldName];
    const index = header === undefined ? -1 : position(header);
    if (index >= 0) {
      columnOf.set(fieldName, index);
      continue;
    }
    const setting = `yotpo.csvColumns.${fieldName}`;
    if (REQUIRED_CSV_FIELDS.includes(fieldName))
      problems.push(header === undefined ? `${fieldName}: ${setting} is not set` : `${fieldName}: no column ${JSON.stringify(header)} (set ${setting} to the header that holds it)`);
    else if (header !== undefined) absent.push(`${JSON.stringify(header)} (${fieldName})`);
  }
  if (absent.length) notes.push(`optional columns not in the file, left empty: ${absent.join(', ')} (see yotpo.csvColumns)`);
  if (problems.length) {
    await close();
    throw new ConfigError(`The CSV file ${file} lacks required columns:`, [
      ...problems,
      `headers found: ${headers.length ? headers.map((h) => JSON.stringify(h)).join(', ') : '(none)'}`,
    ]);
  }
  const earnedExpected = columnOf.has('points_earned');
  if (!earnedExpected) notes.push('without points_earned, lifetime points are unknown (stored as empty, not as invalid)');

  const toRow = (values: string[]): CsvRow => {
    const row: CsvRow = {};
    headers.forEach((h, i) => {
      if (!(h in row)) row[h] = values[i] ?? '';
    });
    if (values.length > headers.length) row['(extra columns)'] = JSON.stringify(values.slice(headers.length));
    return row;
  };

  let used = false;
  async function* pages(start: string | null): AsyncGenerator<CustomerPage, void, undefined> {
    if (used) throw new Error('a CSV source is read once');
    used = true;
    const from = start === null ? 0 : Number(start);
    if (!Number.isSafeInteger(from) || from < 0) throw new AppError(`The stored cursor of ${file} is not a row index: ${JSON.stringify(start)}`);
    let index = 0;
    let pageStart = from;
    let buffer: CsvRow[] = [];
    try {
      for (;;) {
        let next: IteratorResult<string[]>;
        try {
          next = await rows.next();
        } catch (err) {
          throw malformed(err);
        }
        if (next.done) break;
        const rowIndex = index++;
        if (rowIndex < from) continue;
        // A full page is handed out only once another row exists, so the last page is always the one marked done.
        if (buffer.length >= pageRows) {
          yield { records: buffer, cursor: String(pageStart), next: String(rowIndex) };
          buffer = [];
          pageStart = rowIndex;
        }
        buffer.push(toRow(next.value));
      }
      yield { records: buffer, cursor: String(pageStart), next: null };
    } finally {
      await close();
    }
  }

  // By header name: a repeated header keeps its first column, in the stored row and here alike.
  const columnEntries = [...columnOf.entries()].map(([name, i]) => [name, headers[i] as string] as const);
  return {
    kind: 'csv',
    source: `csv:${file}`,
    label: `CSV file ${file}`,
    earnedExpected,
    notes,
    pages,
    prepare: (raw) => {
      const row = raw as CsvRow;
      const fields: Record<string, string> = {};
      for (const [name, header] of columnEntries) fields[name] = row[header] ?? '';
      return { fields, rawJson: JSON.stringify(row) };
    },
    close,
  };
}
