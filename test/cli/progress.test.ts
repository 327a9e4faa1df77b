import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';
import { classifyLoadLine, emptyTally, formatTally } from '../../src/cli/tally.js';

/** A stream that says it is a terminal of 100 columns and keeps what is written to it. */
function fakeTty() {
  const chunks: string[] = [];
  const stream = { isTTY: true, columns: 100, rows: 40, write: (s: string) => (chunks.push(String(s)), true), on: () => stream, once: () => stream, off: () => stream };
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

const CURSOR_MOVES = /\x1b\[\d*[ABCDGJK]|\x1b\[\?25[lh]/;
const COLOUR = /\x1b\[3\dm/;

afterEach(() => vi.useRealTimers());

describe('createProgress', () => {
  it('on a terminal: a live display with colours; a message goes above it, and the bars are cleared at the end', async () => {
    const t = fakeTty();
    const p = createProgress({ stream: t.stream, env: { TERM: 'xterm' } });
    const bar = p.stage('load');
    bar.update(5, 10, '3.0 req/s');
    p.line('a message');
    bar.stop('10 events sent');
    p.close();
    expect(t.text()).toMatch(CURSOR_MOVES);
    expect(t.text()).toMatch(COLOUR);
    expect(t.text()).toMatch(/a message\n/);
    expect(t.text()).toMatch(/load: 10 events sent\n$/);
  });

  it('NO_COLOR: the same live display without a colour code', () => {
    const t = fakeTty();
    const p = createProgress({ stream: t.stream, env: { TERM: 'xterm', NO_COLOR: '1' } });
    const bar = p.stage('load');
    bar.update(5, 10);
    p.recovery('a batch of 3 event(s) has an uncertain outcome (HTTP 503); it will be settled by read-back');
    bar.stop('done');
    p.close();
    expect(t.text()).toMatch(CURSOR_MOVES);
    expect(t.text()).not.toMatch(COLOUR);
    expect(t.text()).toMatch(/warnings: 3 uncertain writes/);
  });

  it('while a question is asked, messages and stage summaries wait for the answer instead of writing into it', () => {
    const t = fakeTty();
    const p = createProgress({ stream: t.stream, env: { TERM: 'xterm' } });
    const extract = p.stage('extract');
    extract.update(1, 3);
    p.pause();
    const before = t.text().length;
    p.line('invalid: customer "x": points_balance: missing');
    extract.update(3, 3);
    extract.stop('3 records read');
    expect(t.text().length).toBe(before);
    p.resume();
    expect(t.text().slice(before)).toMatch(/invalid: customer "x": points_balance: missing\n[\s\S]*extract: 3 records read\n/);
    p.close();
  });

  it('TERM=dumb: plain lines as without a terminal (no cursor movement), per-request lines printed as before', () => {
    const t = fakeTty();
    const p = createProgress({ stream: t.stream, env: { TERM: 'dumb' } });
    const bar = p.stage('load');
    bar.update(5, 10);
    p.recovery('event y2r:abc has an uncertain outcome (socket hang up); it will be settled by read-back');
    bar.stop('done');
    p.close();
    expect(t.text()).not.toMatch(/\x1b/);
    expect(t.text()).toBe('load: 5/10 eta 0s\nload: event y2r:abc has an uncertain outcome (socket hang up); it will be settled by read-back\nload: done\n');
  });
});

describe('the warnings line', () => {
  it('classifies the loader’s per-request lines and leaves the others to be printed', () => {
    expect(classifyLoadLine('a batch of 10 event(s) has an uncertain outcome (x); it will be settled by read-back')).toEqual({ kind: 'uncertain', n: 10 });
    expect(classifyLoadLine('event y2r:k1 has an uncertain outcome (x); it will be settled by read-back')).toEqual({ kind: 'uncertain', n: 1 });
    expect(classifyLoadLine('a batch of 4 event(s) was refused (422); after read-back its customers are sent one event at a time')).toEqual({ kind: 'isolated', n: 1 });
    expect(classifyLoadLine('DUPLICATE: event k of customer c is in Rivo 2 times (ids 1, 2)')).toBeNull();
    expect(classifyLoadLine('3 write(s) were in flight when the last run stopped: settling them by read-back first')).toBeNull();
  });

  it('reads as the issue asks: "84 uncertain writes, settled by read-back: 84 found"', () => {
    const t = emptyTally();
    t.counts.uncertain = 84;
    t.settled.found = 84;
    t.counts.retry5xx = 2;
    t.counts.retryNetwork = 1;
    expect(formatTally(t)).toBe('84 uncertain writes, settled by read-back: 84 found · 3 retries (2 server errors, 1 no answer)');
  });
});
