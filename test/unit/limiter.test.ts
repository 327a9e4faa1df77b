import { describe, expect, it } from 'vitest';
import { RateGate } from '../../src/http/limiter.js';
import { peak } from '../support/windows.js';


describe('RateGate (shared by the Yotpo and Rivo clients)', () => {
  it('per second: spaces requests at the budget and never starts more than it in any second, with its margin', async () => {
    const gate = RateGate.perSecond(20, 4);
    const starts: number[] = [];
    const started = Date.now();
    await Promise.all(Array.from({ length: 45 }, () => gate.schedule(async () => void starts.push(Date.now()))));
    const elapsed = Date.now() - started;
    expect(peak(starts, 1000)).toBeLessThanOrEqual(20);
    // 44 gaps of 1020/20 ms: the budget less the margin, not much slower.
    expect(elapsed).toBeGreaterThanOrEqual(44 * 51 - 60);
    expect(elapsed).toBeLessThan(44 * 51 * 1.15);
    await gate.stop();
  });

  it('turns a burst after an event-loop stall back into the budget', async () => {
    const gate = RateGate.perSecond(20, 8);
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        gate.schedule(async () => {
          starts.push(Date.now());
          if (i === 5) for (const until = Date.now() + 300; Date.now() < until; );
        }),
      ),
    );
    expect(peak(starts, 1000)).toBeLessThanOrEqual(20);
    await gate.stop();
  });

  it('keeps at most maxConcurrent requests open', async () => {
    const gate = new RateGate(1000, 1000, 3);
    let open = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        gate.schedule(async () => {
          most = Math.max(most, ++open);
          await new Promise((r) => setTimeout(r, 20));
          open--;
        }),
      ),
    );
    expect(most).toBe(3);
    await gate.stop();
  });

  it('holds a request through a server pause with a timer that keeps the process alive', async () => {
    const gate = RateGate.perSecond(50, 4);
    await gate.schedule(async () => 1);
    gate.pauseFor(300);
    const waited = Date.now();
    const job = gate.schedule(async () => Date.now());
    // A run whose only pending work is a request waiting out a 429 must not exit under it.
    expect((gate as unknown as { timer?: NodeJS.Timeout }).timer?.hasRef()).toBe(true);
    expect((await job) - waited).toBeGreaterThanOrEqual(290);
    await gate.stop();
  });

  it('rejects what still waits when stopped, at once', async () => {
    const gate = RateGate.perSecond(1, 1);
    await gate.schedule(async () => 1);
    const waiting = gate.schedule(async () => 2).catch((e: unknown) => e);
    const stoppedAt = Date.now();
    await gate.stop();
    expect(await waiting).toBeInstanceOf(Error);
    expect(Date.now() - stoppedAt).toBeLessThan(200);
    await expect(gate.schedule(async () => 3)).rejects.toThrow(/stopped/);
  });
});
