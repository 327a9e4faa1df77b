import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines in the report directory. Synchronous writes: the log of a run that is killed must still say what it
 * last did. Nothing logged carries credentials: HTTP errors are logged through their summaries only.
 */
export function createLogger(outDir: string, command: string): Logger {
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const dest = pino.destination({ dest: join(outDir, 'yotpo-to-rivo.log'), sync: true, mkdir: true, mode: 0o600 });
  return pino(
    {
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

/** A logger that writes nowhere (tests, library use). */
export const silentLogger: Logger = pino({ level: 'silent' });
