import type { Db } from '../db/open.js';

export interface ReportOptions {
  db: Db;
  /** Created (0700) when missing. */
  outDir: string;
  /** Mask emails (`j***@example.com`) and reduce names to initials in every file. */
  redact: boolean;
  /** The report's timestamp; defaults to the current time. */
  now?: Date | (() => Date);
}

export function resolveNow(now: ReportOptions['now']): Date {
  if (now === undefined) return new Date();
  return typeof now === 'function' ? now() : now;
}
