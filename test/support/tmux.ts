import { spawnSync } from 'node:child_process';

/** tmux, which .ci/run installs when missing: a real pseudo-terminal whose rendered screen a test can read. */
export const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;

/** One tmux server of its own (socket name), no user config, one window of `width`×`height`. */
export class TmuxScreen {
  private readonly socket = `y2r-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(
    readonly width = 120,
    readonly height = 40,
  ) {}

  private tmux(args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args[0]}: ${r.stderr}`);
    return r.stdout;
  }

  /**
   * Starts `command` (a shell line) in `cwd` with `env`. The shell traps Ctrl-C (so it survives the program's exit
   * and prints `EXIT=<code>`) and then waits, so the screen and the cursor can still be read.
   */
  start(command: string, options: { cwd: string; env?: Record<string, string> }): void {
    const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
    const line = `trap true INT; ${env ? `env ${env} ` : ''}${command}; echo EXIT=$?; sleep 120`;
    this.tmux(['new-session', '-d', '-s', 't', '-x', String(this.width), '-y', String(this.height), '-c', options.cwd, line]);
  }

  /** The screen as rendered, one string per row (plus history), trailing blanks cut. `joined`: wrapped rows as one line. */
  capture(joined = false): string[] {
    const out = this.tmux(['capture-pane', '-p', '-S', '-', '-t', 't', ...(joined ? ['-J'] : [])]);
    return out.replace(/\n+$/, '').split('\n').map((l) => l.replace(/\s+$/, ''));
  }

  /** Whether the terminal's cursor is visible (DECTCEM). */
  cursorVisible(): boolean {
    return this.tmux(['display-message', '-p', '-t', 't', '#{cursor_flag}']).trim() === '1';
  }

  keys(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 't', ...keys]);
  }

  /** Polls the screen until `done(lines)` holds, calling `each(lines)` on every capture; throws after `timeoutMs`. */
  async until(done: (lines: string[]) => boolean, options: { timeoutMs: number; everyMs?: number; each?: (lines: string[]) => void }): Promise<string[]> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const lines = this.capture();
      options.each?.(lines);
      if (done(lines)) return lines;
      if (Date.now() > deadline) throw new Error(`screen never reached the expected state:\n${lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, options.everyMs ?? 250));
    }
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
