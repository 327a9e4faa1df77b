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

describe('RateGate (shared by the Yotpo and Rivo clients)', () => {
  it('per second: spaces requests at the budget and never starts more than it in any second, with its margin', async () => {
    const gate = RateGate.perSecond(20, 4);
    const starts: number[] = [];
    const started = Date.now();
    await drain(Promise.all(Array.from({ length: 45 }, () => gate.schedule(async () => void starts.push(Date.now())))));
    expect(peak(starts, 1000)).toBeLessThanOrEqual(20);
    // The enforced window is 1 s plus its 20 ms margin: one start every 1020 / 20 = 51 ms. A late timer's 5 ms may be
    // taken back (a 46 ms gap), which the sliding window then pays for: any 21 starts span at least 1020 ms.
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(46);
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(56);
    for (let i = 0; i + 20 < starts.length; i++) expect(starts[i + 20]! - starts[i]!).toBeGreaterThanOrEqual(1020);
    // Two full windows and four more starts, no slower: 2 × 1020 + 46 + 3 × 51.
    expect(starts.at(-1)! - started).toBe(2 * 1020 + 46 + 3 * 51);
    await gate.stop();
  });

  it('turns a burst after an event-loop stall back into the budget', async () => {
    const gate = RateGate.perSecond(20, 8);
    const starts: number[] = [];
    await drain(
      Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          gate.schedule(async () => {
            starts.push(Date.now());
            // A 300 ms stall: the clock jumps while no timer can fire, so later requests all come due at once.
            if (i === 5) vi.setSystemTime(Date.now() + 300);
          }),
        ),
      ),
    );
    expect(starts).toHaveLength(40);
    expect(peak(starts, 1000)).toBeLessThanOrEqual(20);
    expect(peak(starts, 1020)).toBeLessThanOrEqual(20);
    await gate.stop();
  });

  it('at 1,000/s keeps to the budget when every timer fires a millisecond late (whole-millisecond timers, a busy loop)', async () => {
    const gate = RateGate.perSecond(1000, 32);
    const starts: number[] = [];
    const started = Date.now();
    await drain(
      Promise.all(
        Array.from({ length: 3000 }, () =>
          gate.schedule(async () => {
            starts.push(Date.now());
            // Each request costs the event loop a millisecond: the next timer cannot fire on time.
            vi.setSystemTime(Date.now() + 1);
          }),
        ),
      ),
    );
    expect(peak(starts, 1000)).toBeLessThanOrEqual(1000);
    expect(peak(starts, 1020)).toBeLessThanOrEqual(1000);
    // The enforced budget is 1,000 per 1,020 ms: 3,000 starts need at least 2 × 1,020 ms.
    const span = starts.at(-1)! - started;
    expect(span).toBeGreaterThanOrEqual(2040);
    // 3,000 starts at 1.02 ms need 3,059 ms; the gate that made up only a quarter interval took 3,229 (5.5 % of the
    // budget lost); within 1 % now.
    expect(span).toBeLessThanOrEqual(3000 * 1.02 * 1.01);
    await gate.stop();
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
