import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { maskEmailsIn } from './reports/redact.js';

export type { Logger };

/**
 * JSON lines in the report directory. Synchronous writes: the log of a run that is killed must still say what it
 * last did. Nothing logged carries credentials: HTTP errors are logged through their summaries only.
 */
export function createLogger(outDir: string, command: string, options: { redact?: boolean } = {}): Logger {
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const dest = pino.destination({ dest: join(outDir, LOG_FILE), sync: true, mkdir: true, mode: 0o600 });
  return pino(
    {
      // --redact masks the log as it masks the reports: every email in a message or a logged value (customer keys
      // are often emails) becomes `j***@example.com`.
      ...(options.redact
        ? {
            formatters: { log: (obj: Record<string, unknown>) => maskDeep(obj) as Record<string, unknown> },
            hooks: {
              logMethod(this: Logger, args: Parameters<Logger['info']>, method: (...a: unknown[]) => void) {
                method.apply(this, args.map((a) => (typeof a === 'string' ? maskEmailsIn(a) : a)));
              },
            },
          }
        : {}),
      base: { command, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Belt and braces: should a header object ever be logged, its credentials are dropped.
      redact: {
        paths: ['*.headers.authorization', '*.headers["x-api-key"]', '*.headers["x-guid"]', 'headers.authorization', 'headers["x-api-key"]', 'headers["x-guid"]'],
        remove: true,
      },
    },
    dest,
  );
}

export const LOG_FILE = 'yotpo-to-rivo.log';

function maskDeep(value: unknown): unknown {
  if (typeof value === 'string') return maskEmailsIn(value);
  if (Array.isArray(value)) return value.map(maskDeep);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v)]));
  return value;
}

/** A logger that writes nowhere (tests, library use). */
export const silentLogger: Logger = pino({ level: 'silent' });
