import Bottleneck from 'bottleneck';

/**
 * One per outside system: every request to that system goes through `schedule`, so the budget is shared by list
 * pages, single fetches and writes alike. Requests are spaced evenly (`minTime`), which keeps any sliding window of
 * `windowMs` at or under `perWindow` requests, and the server can push back with `pauseFor`.
 */
export class RateGate {
  private readonly bottleneck: Bottleneck;
  private resumeTimer: NodeJS.Timeout | undefined;
  private pausedUntil = 0;
  readonly minTimeMs: number;

  constructor(perWindow: number, windowMs: number, maxConcurrent: number) {
    this.minTimeMs = Math.ceil(windowMs / perWindow);
    this.bottleneck = new Bottleneck({ minTime: this.minTimeMs, maxConcurrent, reservoir: null });
  }

  static perMinute(rpm: number, maxConcurrent = 4): RateGate {
    return new RateGate(rpm, 60_000, maxConcurrent);
  }

  static perSecond(rps: number, maxConcurrent = 4): RateGate {
    return new RateGate(rps, 1_000, maxConcurrent);
  }

  schedule<T>(fn: () => Promise<T>): Promise<T> {
    return this.bottleneck.schedule(fn);
  }

  /** The server said "not now": stop starting requests until then (a later, longer pause extends it). */
  pauseFor(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    this.bottleneck.updateSettings({ reservoir: 0 });
    clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      this.pausedUntil = 0;
      this.bottleneck.updateSettings({ reservoir: null });
    }, ms);
    this.resumeTimer.unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.resumeTimer);
    await this.bottleneck.stop({ dropWaitingJobs: true }).catch(() => undefined);
  }
}

/**
 * What the server's headers say about waiting, in ms: Retry-After (seconds or a date), then the Yotpo-style
 * `ratelimit-reset` when `ratelimit-remaining` is 0 or the answer was a 429. Undefined when nothing says.
 */
export function serverWaitMs(headers: Record<string, unknown>, status: number, now = Date.now()): number | undefined {
  const h = (name: string) => {
    const v = headers[name];
    return typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : undefined;
  };
  const retryAfter = h('retry-after');
  if (retryAfter) {
    const secs = Number(retryAfter);
    if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const remaining = h('ratelimit-remaining') ?? h('x-ratelimit-remaining-minute');
  const reset = h('ratelimit-reset');
  if (reset && (status === 429 || remaining === '0')) {
    const secs = Number(reset);
    if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  }
  if (status === 429) return undefined;
  return remaining === '0' ? 1000 : undefined;
}
