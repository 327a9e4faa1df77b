import cliProgress from 'cli-progress';

export interface StageProgress {
  /** `done` of `total` (total may be unknown); `info` is a short text such as "12 req/min". */
  update(done: number, total: number | null, info?: string): void;
  stop(message?: string): void;
}

export interface ProgressOutput {
  stage(name: string): StageProgress;
  line(text: string): void;
}

const PLAIN_INTERVAL_MS = 5000;

/** Where human output goes: stderr, or a stream a test reads. */
export type TextOut = NodeJS.WritableStream & { isTTY?: boolean };

/** Human progress on stderr: a bar with ETA on a terminal, a plain line every few seconds elsewhere, nothing when quiet. */
export function createProgress(options: { quiet?: boolean; stream?: TextOut } = {}): ProgressOutput {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { stage: () => ({ update() {}, stop() {} }), line() {} };
  if (stream.isTTY) return ttyProgress(stream as NodeJS.WriteStream);
  return plainProgress(stream);
}

function ttyProgress(stream: NodeJS.WriteStream): ProgressOutput {
  return {
    line: (text) => stream.write(`${text}\n`),
    stage(name) {
      const bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${name.padEnd(8)} {bar} {percentage}% | {value}/{total} | ETA {eta_formatted} | {info}`,
          hideCursor: true,
          clearOnComplete: false,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      let started = false;
      return {
        update(done, total, info = '') {
          if (!started) {
            bar.start(total ?? done, done, { info });
            started = true;
          }
          if (total !== null) bar.setTotal(total);
          else bar.setTotal(Math.max(done, 1));
          bar.update(done, { info });
        },
        stop(message) {
          if (started) bar.stop();
          if (message) stream.write(`${name}: ${message}\n`);
        },
      };
    },
  };
}

function plainProgress(stream: TextOut): ProgressOutput {
  return {
    line: (text) => stream.write(`${text}\n`),
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

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}
