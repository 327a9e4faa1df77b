import cliProgress from 'cli-progress';
import type { ProgressOutput, StageProgress } from './progress.js';
import { emptyTally, formatTally, type Tally, type TallyKind } from './tally.js';
import { classifyLoadLine } from './tally.js';
import { formatSeconds } from '../util/format.js';

/**
 * The live display on a terminal: one line per active stage (a cli-progress MultiBar) and one line counting
 * per-request warnings, redrawn in place. Messages go above the bars through the MultiBar's log buffer, flushed at
 * once, so a message is never written into a bar's line. When the last stage ends the bars are cleared, so what
 * follows (a stage's summary, the closing lines) is printed on a clean screen and stays intact.
 */

interface StageState {
  name: string;
  done: number;
  total: number | null;
  info: string;
  startedAt: number;
  bar: cliProgress.SingleBar | null;
}

const SHOW_CURSOR = '\x1b[?25h';
const WRAP_ON = '\x1b[?7h';

export interface LiveOptions {
  color: boolean;
  /** Where the details of counted warnings are (the JSON-lines log). */
  logPath?: string;
}

export class LiveDisplay implements ProgressOutput {
  private multi: cliProgress.MultiBar | null = null;
  private readonly active = new Set<StageState>();
  private readonly tally: Tally = emptyTally();
  private tallyBar: cliProgress.SingleBar | null = null;
  private printedTally = '';
  private paused = false;
  private readonly held: string[] = [];
  /**
   * A second Ctrl-C exits at once (process.exit) with the bars on screen: they are cleared, the cursor and line
   * wrapping come back, and the shell's prompt starts on a clean line (terminal writes are synchronous on exit).
   */
  private readonly restore = () => {
    try {
      this.stopMulti();
      this.printTally();
    } catch {
      this.stream.write(`${SHOW_CURSOR}${WRAP_ON}\n`);
    }
  };

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly options: LiveOptions,
  ) {}

  line(text: string): void {
    // While a question is on the screen (another stage may still be reading Yotpo), messages wait for the answer.
    if (this.paused) {
      this.held.push(text);
      return;
    }
    if (this.multi) {
      this.multi.log(`${text}\n`);
      this.multi.update(); // now, not at the next tick: messages keep their order with direct writes
    } else this.stream.write(`${text}\n`);
  }

  recovery(text: string): void {
    const c = classifyLoadLine(text);
    if (!c) return this.line(`load: ${text}`);
    this.count(c.kind, c.n);
  }

  count(kind: TallyKind, n = 1): void {
    this.tally.counts[kind] += n;
    this.ensureTallyBar();
  }

  settled(s: Tally['settled']): void {
    for (const k of Object.keys(s) as (keyof Tally['settled'])[]) this.tally.settled[k] += s[k];
  }

  pause(): void {
    this.paused = true;
    this.stopMulti();
  }

  resume(): void {
    this.paused = false;
    for (const text of this.held.splice(0)) this.line(text);
    for (const st of this.active) this.ensureBar(st);
  }

  close(): void {
    this.paused = false;
    for (const text of this.held.splice(0)) this.stream.write(`${text}\n`);
    this.active.clear();
    this.stopMulti();
    this.printTally();
  }

  stage(name: string): StageProgress {
    const st: StageState = { name, done: 0, total: null, info: '', startedAt: Date.now(), bar: null };
    return {
      update: (done, total, info = '') => {
        st.done = done;
        st.total = total;
        st.info = info;
        if (!this.active.has(st)) this.active.add(st);
        this.ensureBar(st);
      },
      stop: (message) => {
        const wasActive = this.active.delete(st);
        if (wasActive && st.bar && this.multi) this.multi.remove(st.bar);
        st.bar = null;
        if (this.active.size === 0 && !this.paused) {
          this.stopMulti();
          if (message) this.stream.write(`${name}: ${message}\n`);
          this.printTally();
        } else if (message) this.line(`${name}: ${message}`);
      },
    };
  }

  private ensureMulti(): cliProgress.MultiBar | null {
    if (this.paused) return null;
    if (this.multi) return this.multi;
    this.multi = new cliProgress.MultiBar({
      stream: this.stream,
      hideCursor: true,
      // Lines are cut to the terminal's width by the formatter; messages above them wrap as text normally does.
      linewrap: true,
      clearOnComplete: true,
      // Every bar is drawn on every tick: after a message moved the lines down, an unchanged bar must be drawn too.
      forceRedraw: true,
      fps: 8,
      gracefulExit: false,
      format: (_o, params, payload) => this.render(payload as { state?: StageState; tally?: true }, params.maxWidth),
    });
    process.on('exit', this.restore);
    if (this.tallyText()) this.tallyBar = this.multi.create(1, 0, { tally: true });
    return this.multi;
  }

  private ensureBar(st: StageState): void {
    if (st.bar) return;
    const multi = this.ensureMulti();
    if (!multi) return;
    st.bar = multi.create(1, 0, { state: st });
  }

  private ensureTallyBar(): void {
    if (this.tallyBar || !this.multi || this.paused) return;
    this.tallyBar = this.multi.create(1, 0, { tally: true });
  }

  private stopMulti(): void {
    if (!this.multi) return;
    this.multi.stop();
    this.multi = null;
    this.tallyBar = null;
    for (const st of this.active) st.bar = null;
    process.off('exit', this.restore);
  }

  private tallyText(): string {
    return formatTally(this.tally);
  }

  private printTally(): void {
    const text = this.tallyText();
    if (!text || text === this.printedTally) return;
    this.printedTally = text;
    this.stream.write(`${this.paint('warnings', 33)}: ${text}${this.options.logPath ? ` (details in ${this.options.logPath})` : ''}\n`);
  }

  private paint(text: string, code: number): string {
    return this.options.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  /** One screen line: never wider than the terminal (one column spare), so nothing wraps into the next line. */
  private render(payload: { state?: StageState; tally?: true }, maxWidth: number): string {
    // cli-progress cuts a line at the terminal's width counting colour codes as characters: leave room for one.
    const width = Math.max(20, maxWidth - 1 - (this.options.color ? 9 : 0));
    if (payload.tally) {
      const text = this.tallyText();
      return text ? `${this.paint('warnings', 33)}: ${cut(text, width - 10)}` : '';
    }
    const st = payload.state!;
    const head = st.name.padEnd(10);
    if (st.total === null || st.total <= 0) return cut(`${head} ${st.done.toLocaleString('en-US')}${st.info ? ` · ${st.info}` : ''}`, width);
    const ratio = Math.min(1, st.done / st.total);
    const cells = 24;
    const filled = Math.round(ratio * cells);
    const elapsed = (Date.now() - st.startedAt) / 1000;
    const eta = st.done > 0 && st.done < st.total && !/left/.test(st.info) ? ` · ETA ${formatSeconds(((st.total - st.done) * elapsed) / st.done)}` : '';
    const rest = cut(` ${String(Math.round(ratio * 100)).padStart(3)}% ${st.done.toLocaleString('en-US')}/${st.total.toLocaleString('en-US')}${eta}${st.info ? ` · ${st.info}` : ''}`, width - head.length - 1 - cells);
    return `${head} ${this.paint('█'.repeat(filled), 32)}${'░'.repeat(cells - filled)}${rest}`;
  }
}

function cut(text: string, width: number): string {
  if (width <= 1) return '';
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
