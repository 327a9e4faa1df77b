import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateGate } from '../../src/http/limiter.js';
import { peak } from '../support/windows.js';

/**
 * On a fake clock: every start time below is exact, so the bounds are the budget's own numbers rather than
 * wall-clock tolerances that a busy machine could break (or a broken gate could hide in).
 */
beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00.000Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Runs the jobs to completion on the fake clock. */
async function drain<T>(work: Promise<T>): Promise<T> {
  await vi.runAllTimersAsync();
  return work;
}

/**
 * Sends `n` requests through the gate at once and returns when each started (fake clock). `whileRunning(i)` runs in
 * request i, after its start is recorded: where a test makes the event loop late (the clock jumps, no timer fires).
 */
async function startTimes(gate: RateGate, n: number, whileRunning: (i: number) => void = () => undefined): Promise<number[]> {
  const starts: number[] = [];
  await drain(
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        gate.schedule(async () => {
          starts.push(Date.now());
          whileRunning(i);
        }),
      ),
    ),
  );
  return starts;
}

/**
 * Sends `n` requests through the gate at once, each answered `answerMs` after it starts (or failing then, with
 * `fail(i)` as its error), and returns when each started and when its answer came (fake clock).
 */
async function startAndAnswerTimes(gate: RateGate, n: number, answerMs: number, fail?: (i: number) => unknown): Promise<{ starts: number[]; answers: number[] }> {
  const starts: number[] = [];
  const answers: number[] = [];
  await drain(
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        gate
          .schedule(async () => {
            starts[i] = Date.now();
            await new Promise((r) => setTimeout(r, answerMs));
            answers[i] = Date.now();
            if (fail) throw fail(i);
          })
          .catch(() => undefined),
      ),
    ),
  );
  return { starts, answers };
}

/**
 * The fewest ms between a request's answer (the latest the server can have counted it) and the start of the
 * `budget`-th request after it (the earliest the server can count that one): the server's window holds at most
 * `budget` requests whatever their stamps, if and only if this is at least the window.
 */
function tightestGap(starts: number[], latestStamps: number[], budget: number): number {
  let least = Number.POSITIVE_INFINITY;
  for (let i = 0; i + budget < starts.length; i++) least = Math.min(least, starts[i + budget]! - latestStamps[i]!);
  return least;
}

describe('RateGate (shared by the Yotpo and Rivo clients)', () => {
  it('per second: spaces requests at the budget and never lets more than it into any second of the server', async () => {
    const gate = RateGate.perSecond(20, 4);
    const started = Date.now();
    // Answered as they start: the server stamped each one then, and the window is the server's own 1 s.
    const starts = await startTimes(gate, 45);
    expect(peak(starts, 1000)).toBeLessThanOrEqual(20);
    // One start every 1000 / 20 = 50 ms (timers fire on time here: nothing to make up, and the first request found
    // the gate idle: no credit either).
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    for (const gap of gaps) expect(gap).toBe(50);
    expect(starts.at(-1)! - started).toBe(44 * 50);
    await gate.stop();
  });

  it('keeps each request in the window until a second after its answer: the server counted it by then', async () => {
    const gate = RateGate.perSecond(20, 4);
    const { starts, answers } = await startAndAnswerTimes(gate, 65, 12);
    expect(starts).toHaveLength(65);
    // Whatever the server's stamps (each between its request's start and its answer), no 21 fit in its second...
    expect(tightestGap(starts, answers, 20)).toBeGreaterThanOrEqual(1000);
    // ...and the gate waits no longer than that: 20 per 1,012 ms (not per 1,030 ms: a start plus a margin).
    expect(tightestGap(starts, answers, 20)).toBeLessThanOrEqual(1001);
    // Over three windows, the 65th start is 3 × 1,012 ms after the 5th (3 × 1,030 = 3,090 if the margin were kept).
    expect(starts[64]! - starts[4]!).toBeLessThanOrEqual(3 * 1013);
    await gate.stop();
  });

  it('keeps a request in the window for as long as it is open, however slow the answer', async () => {
    const gate = RateGate.perSecond(20, 4);
    const { starts, answers } = await startAndAnswerTimes(gate, 45, 100);
    // A server that answers in 100 ms may have stamped each request at any time in those 100 ms: 20 per 1,100 ms.
    expect(tightestGap(starts, answers, 20)).toBeGreaterThanOrEqual(1000);
    expect(peak(starts, 1100)).toBeLessThanOrEqual(20);
    await gate.stop();
  });

  it('bounds a failed request by its answer only if the server answered (an HTTP status), not after a reset', async () => {
    const answered = await startAndAnswerTimes(RateGate.perSecond(20, 4), 45, 12, () => Object.assign(new Error('HTTP 503'), { status: 503 }));
    expect(tightestGap(answered.starts, answered.answers, 20)).toBeGreaterThanOrEqual(1000);
    expect(tightestGap(answered.starts, answered.answers, 20)).toBeLessThanOrEqual(1001);
    // A failure without an answer (a reset, a timeout) does not prove the server has stamped the request: it may
    // still be on its way. It holds its place for the margin (30 ms) after the failure.
    const reset = await startAndAnswerTimes(RateGate.perSecond(20, 4), 45, 12, () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect(tightestGap(reset.starts, reset.answers.map((t) => t + 30), 20)).toBeGreaterThanOrEqual(1000);
  });

  it('turns a burst after an event-loop stall back into the budget', async () => {
    const gate = RateGate.perSecond(20, 8);
    // A 300 ms stall: the clock jumps while no timer can fire, so later requests all come due at once.
    const starts = await startTimes(gate, 40, (i) => {
      if (i === 5) vi.setSystemTime(Date.now() + 300);
    });
    expect(starts).toHaveLength(40);
    // Answered as they start: the server's count is the starts' own.
    expect(peak(starts, 1000)).toBeLessThanOrEqual(20);
    await gate.stop();
  });

  it('at 200/s makes up the event-loop stalls of 5–20 ms the loader meets (a commit, a page of JSON), within the budget', async () => {
    const gate = RateGate.perSecond(200, 8);
    const started = Date.now();
    // Every 10th request holds the event loop 15 ms: the next timer fires that late.
    const starts = await startTimes(gate, 1000, (i) => {
      if (i % 10 === 9) vi.setSystemTime(Date.now() + 15);
    });
    expect(peak(starts, 1000)).toBeLessThanOrEqual(200);
    // 1,000 starts at 5 ms need 4,995 ms. Making up only 5 ms of each stall lost 10 ms a time: 4,995 + 99 × 10.
    // (What is made up still meets a window kept full by the grid: a little is lost, not 20 %.)
    const span = starts.at(-1)! - started;
    expect(span).toBeLessThanOrEqual(5000 * 1.02);
    await gate.stop();
  });

  it('after a long stall makes up at most 4 starts at once, at any rate (a server stamps a burst one after another)', async () => {
    for (const rps of [200, 1000]) {
      const gate = RateGate.perSecond(rps, 64);
      const starts = await startTimes(gate, 300, (i) => {
        if (i === 100) vi.setSystemTime(Date.now() + 60); // the event loop held 60 ms
      });
      const perMs = new Map<number, number>();
      for (const t of starts) perMs.set(t, (perMs.get(t) ?? 0) + 1);
      // The start that was due, and 4 made up; a 20 ms catch-up at 1,000/s let 20 leave together.
      expect(Math.max(...perMs.values()), `${rps}/s`).toBeLessThanOrEqual(5);
      await gate.stop();
    }
  });

  it('at 1,000/s keeps to the budget when every timer fires a millisecond late (whole-millisecond timers, a busy loop)', async () => {
    const gate = RateGate.perSecond(1000, 32);
    const started = Date.now();
    // Each request costs the event loop a millisecond: the next timer cannot fire on time, and the answer comes a
    // millisecond after the start.
    const starts = await startTimes(gate, 3000, () => vi.setSystemTime(Date.now() + 1));
    expect(peak(starts, 1000)).toBeLessThanOrEqual(1000);
    expect(tightestGap(starts, starts.map((t) => t + 1), 1000)).toBeGreaterThanOrEqual(1000);
    // 1,000 per 1,001 ms: 3,000 starts need at least 2 × 1,001 ms; at 1 ms a start, ~3,000 ms. The gate that made up
    // only a quarter interval lost 5.5 % of the budget here (3,260 ms); now it is done sooner than any gate keeping
    // each start in the window for 1,030 ms could be (2 × 1,030 + 999 × 1.03 = 3,089 ms).
    const span = starts.at(-1)! - started;
    expect(span).toBeGreaterThanOrEqual(2002);
    expect(span).toBeLessThan(3089);
    await gate.stop();
  });

  it('after a 429 the server counted more than the gate: each one widens the window by 1 %, never past 10 %', async () => {
    const gate = RateGate.perSecond(20, 4);
    expect(gate.keptWindowMs).toBe(1000); // the server's second, after each answer
    gate.refused();
    expect(gate.keptWindowMs).toBe(1010); // 1 % of the server's 1,000 ms window
    const starts = await startTimes(gate, 45);
    // Answered as they start, any 21 starts now span at least the widened 1,010 ms (1,000 allowed 21).
    expect(tightestGap(starts, starts, 20)).toBeGreaterThanOrEqual(1010);
    expect(peak(starts, 1010)).toBeLessThanOrEqual(20);
    for (let i = 0; i < 30; i++) gate.refused();
    expect(gate.keptWindowMs).toBe(1100); // capped: 10 % over the 1,000 ms window
  });

  it('keeps at most maxConcurrent requests open', async () => {
    const gate = new RateGate(1000, 1000, 3);
    let open = 0;
    let most = 0;
    await drain(
      Promise.all(
        Array.from({ length: 12 }, () =>
          gate.schedule(async () => {
            most = Math.max(most, ++open);
            await new Promise((r) => setTimeout(r, 20));
            open--;
          }),
        ),
      ),
    );
    expect(most).toBe(3);
    await gate.stop();
  });

  it('holds a request through a server pause with a timer that keeps the process alive', async () => {
    const gate = RateGate.perSecond(50, 4);
    await drain(gate.schedule(async () => 1));
    gate.pauseFor(300);
    const waited = Date.now();
    const job = gate.schedule(async () => Date.now());
    // A run whose only pending work is a request waiting out a 429 must not exit under it.
    expect((gate as unknown as { timer?: NodeJS.Timeout }).timer?.hasRef()).toBe(true);
    expect((await drain(job)) - waited).toBe(300);
    await gate.stop();
  });

  it('rejects what still waits when stopped, at once', async () => {
    const gate = RateGate.perSecond(1, 1);
    await drain(gate.schedule(async () => 1));
    const waiting = gate.schedule(async () => 2).catch((e: unknown) => e);
    const stoppedAt = Date.now();
    await gate.stop();
    expect(await waiting).toBeInstanceOf(Error);
    expect(Date.now()).toBe(stoppedAt); // no time had to pass
    await expect(gate.schedule(async () => 3)).rejects.toThrow(/stopped/);
  });
});
