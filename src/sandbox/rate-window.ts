/**
 * Sliding windows of request times: the stand-ins' rate limits, and the peak rate the stats report (which is how
 * benchmarks prove the client stayed inside its budget).
 */

/** Times (ms) of events inside the last `windowMs`. Amortised O(1) per event. */
export class SlidingWindow {
  private times: number[] = [];
  private head = 0;

  constructor(readonly windowMs: number) {}

  private prune(now: number): void {
    // An event at exactly now - windowMs has left the window: a window is the half-open interval (now - w, now].
    while (this.head < this.times.length && (this.times[this.head] as number) <= now - this.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }

  count(now: number): number {
    this.prune(now);
    return this.times.length - this.head;
  }

  add(now: number): void {
    this.prune(now);
    this.times.push(now);
  }

  /** Ms until the oldest event in the window leaves it (a slot frees); 0 when the window is empty. */
  msUntilSlot(now: number): number {
    this.prune(now);
    const oldest = this.times[this.head];
    return oldest === undefined ? 0 : Math.max(0, oldest + this.windowMs - now);
  }

  clear(): void {
    this.times = [];
    this.head = 0;
  }
}

export interface Admission {
  allowed: boolean;
  limit: number;
  /** Slots left in the window after this request (0 when refused). */
  remaining: number;
  /** Ms until a slot frees. */
  resetMs: number;
}

/** Refuses a request when `limit` were already served in the window; refused requests take no slot. */
export class RateLimiter {
  private readonly window: SlidingWindow;

  constructor(
    readonly limit: number,
    windowMs: number,
  ) {
    this.window = new SlidingWindow(windowMs);
  }

  admit(now: number): Admission {
    const used = this.window.count(now);
    if (used >= this.limit) {
      return { allowed: false, limit: this.limit, remaining: 0, resetMs: this.window.msUntilSlot(now) };
    }
    this.window.add(now);
    return { allowed: true, limit: this.limit, remaining: this.limit - used - 1, resetMs: this.window.msUntilSlot(now) };
  }
}

/** The most events seen in any window of `windowMs`: checked at each arrival, since every maximum ends on one. */
export class PeakRate {
  private readonly window: SlidingWindow;
  private max = 0;

  constructor(windowMs: number) {
    this.window = new SlidingWindow(windowMs);
  }

  record(now: number): void {
    this.window.add(now);
    this.max = Math.max(this.max, this.window.count(now));
  }

  get peak(): number {
    return this.max;
  }

  reset(): void {
    this.window.clear();
    this.max = 0;
  }
}
