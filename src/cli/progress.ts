import { LiveDisplay } from './live.js';
import type { Tally, TallyKind } from './tally.js';
import { formatSeconds } from '../util/format.js';
import type { StageProgress } from '../migrate/context.js';

// One stage's progress is the library's type (migrate/context.ts); the CLI draws it.
export type { StageProgress } from '../migrate/context.js';

export interface ProgressOutput {
  stage(name: string): StageProgress;
  /** A message for the person: above the live display on a terminal, a plain line elsewhere. */
  line(text: string): void;
  /** A recovery line from the loader: per-request ones are counted on a terminal (details in the log), others printed. */
  recovery(text: string): void;
  /** A per-request warning that has no line of its own (a retried request): counted on a terminal only. */
  count(kind: TallyKind, n?: number): void;
  /** What read-backs found, for the warnings line ("settled by read-back: 84 found"). */
  settled(s: Tally['settled']): void;
  /** Takes the live display off the screen (a question is asked) and puts it back. */
  pause(): void;
  resume(): void;
  /** The run is over: the display is cleared, the warnings line printed once more if it changed. */
  close(): void;
}

const PLAIN_INTERVAL_MS = 5000;

/** Where human output goes: stderr, or a stream a test reads. */
export type TextOut = NodeJS.WritableStream & { isTTY?: boolean };

export interface ProgressOptions {
  quiet?: boolean;
  stream?: TextOut;
  env?: NodeJS.ProcessEnv;
  /** The JSON-lines log, named on the warnings line. */
  logPath?: string;
}

/**
 * Human progress on stderr: the live display on a terminal that can move its cursor; a plain line every few seconds
 * elsewhere (a pipe, CI, `TERM=dumb`); nothing when quiet. `NO_COLOR` turns colours off.
 */
export function createProgress(options: ProgressOptions = {}): ProgressOutput {
  const stream = options.stream ?? process.stderr;
  const env = options.env ?? process.env;
  if (options.quiet) return quietProgress();
  if (stream.isTTY && env.TERM !== 'dumb') return new LiveDisplay(stream as NodeJS.WriteStream, { color: !noColor(env), logPath: options.logPath });
  return plainProgress(stream);
}

/** https://no-color.org: any non-empty value. */
export function noColor(env: NodeJS.ProcessEnv): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== '';
}

function quietProgress(): ProgressOutput {
  const none = () => {};
  return { stage: () => ({ update: none, stop: none }), line: none, recovery: none, count: none, settled: none, pause: none, resume: none, close: none };
}

function plainProgress(stream: TextOut): ProgressOutput {
  const none = () => {};
  return {
    line: (text) => stream.write(`${text}\n`),
    // Without a terminal every recovery stays a line of its own, as the logs of CI runs have always shown them.
    recovery: (text) => stream.write(`load: ${text}\n`),
    count: none,
    settled: none,
    pause: none,
    resume: none,
    close: none,
    stage(name) {
      let last = 0;
      const startedAt = Date.now();
      return {
        update(done, total, info) {
          const now = Date.now();
          if (now - last < PLAIN_INTERVAL_MS) return;
          last = now;
          const elapsed = (now - startedAt) / 1000;
          const eta = total !== null && done > 0 && total > done ? ` eta ${formatSeconds(((total - done) * elapsed) / done)}` : '';
          stream.write(`${name}: ${done}${total !== null ? `/${total}` : ''}${eta}${info ? ` (${info})` : ''}\n`);
        },
        stop(message) {
          if (message) stream.write(`${name}: ${message}\n`);
        },
      };
    },
  };
}
