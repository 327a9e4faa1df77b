import { RateGate } from '../http/limiter.js';

/**
 * The shared `RateGate` spaces requests by when bottleneck *planned* them. When the event loop stalls (a large page
 * parsed, a slow disk under a commit), the up-to-`maxConcurrent` requests already planned fire together once it
 * resumes, and a sliding window can then hold a few more than the budget. This gate adds a hard check on when
 * requests *actually* start: at most `perWindow` starts in any window of `windowMs`, or the request waits for the
 * oldest start to leave the window. With even spacing the check never bites; after a stall it turns the burst back
 * into the budget. It also holds requests already past bottleneck while the server has asked for a pause.
 */
export class SlidingWindowGate extends RateGate {
  private starts: number[] = [];
  private head = 0;
  private holdUntil = 0;
  private stopped = false;
  /** Wake-ups of requests waiting for a slot: `stop` ends the waits, so a stopped client never holds the process. */
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly perWindow: number,
    readonly windowMs: number,
    maxConcurrent: number,
  ) {
    super(perWindow, windowMs, maxConcurrent);
  }

  override schedule<T>(fn: () => Promise<T>): Promise<T> {
    return super.schedule(async () => {
      await this.slot();
      return fn();
    });
  }

  override pauseFor(ms: number): void {
    this.holdUntil = Math.max(this.holdUntil, Date.now() + ms);
    super.pauseFor(ms);
  }

  override async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of [...this.waiters]) wake();
    await super.stop();
  }

  /** Start times inside the window ending now (tests and benchmarks read it). */
  inWindow(now = Date.now()): number {
    this.prune(now);
    return this.starts.length - this.head;
  }

  private prune(now: number): void {
    // Half-open window (now - windowMs, now]: a start exactly windowMs ago has left it.
    while (this.head < this.starts.length && (this.starts[this.head] as number) <= now - this.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.starts.length) {
      this.starts = this.starts.slice(this.head);
      this.head = 0;
    }
  }

  /** Waits until this request may start, then records the start. Check and record are one synchronous step. */
  private async slot(): Promise<void> {
    for (;;) {
      if (this.stopped) throw new Error('the Yotpo rate gate is stopped');
      const now = Date.now();
      let waitMs = this.holdUntil - now;
      if (waitMs <= 0) {
        this.prune(now);
        if (this.starts.length - this.head < this.perWindow) {
          this.starts.push(now);
          return;
        }
        waitMs = (this.starts[this.head] as number) + this.windowMs - now + 1;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, waitMs);
        this.waiters.add(wake);
      });
    }
  }
}
