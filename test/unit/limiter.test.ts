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

describe('RateGate (shared by the Yotpo and Rivo clients)', () => {
  it('per second: spaces requests at the budget and never starts more than it in any second, with its margin', async () => {
    const gate = RateGate.perSecond(20, 4);
    const started = Date.now();
    const starts = await startTimes(gate, 45);
    expect(peak(starts, 1000)).toBeLessThanOrEqual(20);
    // The enforced window is 1 s plus its 30 ms margin: one start every 1030 / 20 = 51.5 ms, on whole milliseconds
    // (timers fire on time here: nothing to make up, and the first request found the gate idle: no credit either).
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    for (const gap of gaps) expect([51, 52]).toContain(gap);
    for (let i = 0; i + 20 < starts.length; i++) expect(starts[i + 20]! - starts[i]!).toBeGreaterThanOrEqual(1030);
    expect(starts.at(-1)! - started).toBe(Math.ceil(44 * 51.5));
    await gate.stop();
  });

  it('turns a burst after an event-loop stall back into the budget', async () => {
    const gate = RateGate.perSecond(20, 8);
    // A 300 ms stall: the clock jumps while no timer can fire, so later requests all come due at once.
    const starts = await startTimes(gate, 40, (i) => {
      if (i === 5) vi.setSystemTime(Date.now() + 300);
    });
    expect(starts).toHaveLength(40);
    expect(peak(starts, 1000)).toBeLessThanOrEqual(20);
    expect(peak(starts, 1030)).toBeLessThanOrEqual(20);
    await gate.stop();
  });

  it('at 200/s makes up the event-loop stalls of 5–20 ms the loader meets (a commit, a page of JSON), within the budget', async () => {
    const gate = RateGate.perSecond(200, 8);
    const started = Date.now();
    // Every 10th request holds the event loop 15 ms: the next timer fires that late.
    const starts = await startTimes(gate, 1000, (i) => {
      if (i % 10 === 9) vi.setSystemTime(Date.now() + 15);
    });
    expect(peak(starts, 1030)).toBeLessThanOrEqual(200);
    // 1,000 starts at 5.15 ms need 5,145 ms. Making up only 5 ms of each stall lost 10 ms a time: 5,145 + 99 × 10.
    const span = starts.at(-1)! - started;
    expect(span).toBeLessThanOrEqual(5150 * 1.01);
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
    // Each request costs the event loop a millisecond: the next timer cannot fire on time.
    const starts = await startTimes(gate, 3000, () => vi.setSystemTime(Date.now() + 1));
    expect(peak(starts, 1000)).toBeLessThanOrEqual(1000);
    expect(peak(starts, 1030)).toBeLessThanOrEqual(1000);
    // The enforced budget is 1,000 per 1,030 ms: 3,000 starts need at least 2 × 1,030 ms.
    const span = starts.at(-1)! - started;
    expect(span).toBeGreaterThanOrEqual(2060);
    // 3,000 starts at 1.03 ms need 3,089 ms; the gate that made up only a quarter interval lost 5.5 % of the budget
    // here; within 1 % now.
    expect(span).toBeLessThanOrEqual(3000 * 1.03 * 1.01);
    await gate.stop();
  });

  it('after a 429 the server counted more than the gate: each one widens the window by 1 %, never past 10 %', async () => {
    const gate = RateGate.perSecond(20, 4);
    expect(gate.enforcedWindowMs).toBe(1030);
    gate.refused();
    expect(gate.enforcedWindowMs).toBeCloseTo(1040.3, 6); // 1 % of the 1,030 ms window
    const starts = await startTimes(gate, 45);
    // Any 21 starts now span at least the widened window: 20 at most in any 1,040 ms (the old 1,030 ms allowed 21).
    for (let i = 0; i + 20 < starts.length; i++) expect(starts[i + 20]! - starts[i]!).toBeGreaterThanOrEqual(1040);
    expect(peak(starts, 1040)).toBeLessThanOrEqual(20);
    for (let i = 0; i < 30; i++) gate.refused();
    expect(gate.enforcedWindowMs).toBeCloseTo(1133, 6); // capped: 10 % over the 1,030 ms window
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
