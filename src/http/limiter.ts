/**
 * One per outside system: every request to that system goes through `schedule`, so the budget is shared by list
 * pages, single fetches and writes alike. Three rules decide when a request may start:
 *  - spacing: requests are spread evenly, one per `windowMs / perWindow`, on a fixed grid: a timer that fires a
 *    few ms late does not push every later request back (lateness up to `CATCH_UP` is made up);
 *  - a hard check on *actual* start times: at most `perWindow` starts in any sliding window of `windowMs`. Spacing
 *    alone keeps the window in normal operation; after an event-loop stall (a large page parsed, a slow commit)
 *    requests that came due together would otherwise leave in a burst, and this turns the burst back into the budget;
 *  - the server's "not now" (`pauseFor`): nothing starts until then, requests already waiting included.
 * and at most `maxConcurrent` requests are open at once.
 *
 * `windowMs` is the window the gate enforces. The factories (`perSecond`, `perMinute`) add a safety margin over the
 * server's window, since requests leave evenly spaced but arrive with jitter: without slack two of them could land
 * in the server's window one over the budget.
 *
 * While requests wait, the gate holds a timer that keeps the process alive: a run waiting out a 429 must not end
 * because nothing else is scheduled.
 */

/**
 * The margin the factories add: 1% of the window, at least 30 ms (the jitter a 1 s window must absorb). At 20 ms the
 * sandbox, on the same two cores as the tool, counted 201 in a second and refused one request in one run of four at
 * 200/s (20,000 customers, issue 13, round 5): its own event loop, busy or collecting, stamps some arrivals late.
 */
export const DEFAULT_WINDOW_MARGIN = { ratio: 0.01, minMs: 30 } as const;

/**
 * Lateness of a start (a late timer, a busy event loop) that the spacing makes up rather than carries forward:
 * `CATCH_UP.starts` intervals' worth, but never under `minMs` nor over `maxMs`.
 *
 * Never under 5 ms: timers fire in whole milliseconds and a busy loop fires them later still. At 1,000/s (one start
 * per 1.03 ms) a catch-up of a fraction of the interval lost about a tenth of the budget on an idle machine (888 of
 * 980 starts a second; with 5 ms: 978).
 * Up to 20 ms: at 200/s the loader's event loop stalls for 5–20 ms hundreds of times a run (a commit, a page of JSON,
 * a collection); making up only 5 ms of each lost ~3 % of the budget (190 of 196 starts a second).
 * But no more than 4 starts: what is made up leaves together, and a server handles a burst one request after another,
 * stamping the first ones late. At 1,000/s a 20 ms catch-up (20 starts at once) had the sandbox count 1,001 in a
 * second and refuse one; bursts of 5 stayed inside (955 at most).
 *
 * What bounds the budget is the sliding window on actual start times (at most `perWindow` in any `windowMs`, margin
 * included), never the spacing: made-up starts only use what the window has left.
 */
export const CATCH_UP = { starts: 4, minMs: 5, maxMs: 20 } as const;

const catchUpFor = (spacingMs: number) => Math.min(CATCH_UP.maxMs, Math.max(CATCH_UP.minMs, CATCH_UP.starts * spacingMs));

interface Job {
  fn: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  /** When it was scheduled: a start is late only by what it waited past its turn (see `pump`). */
  queuedAt: number;
}

/**
 * A 429 although the gate kept its window says the server's count saw more than the gate did: its clock is not ours
 * (arrivals bunch up on the way, or the server stamps them late). Each one widens the enforced window by 1 % of it
 * (at least 10 ms), up to 10 % in all: a run that meets them slows by a percent at a time instead of being refused
 * (and held a second) again and again. A 429 costs a pause of about a second, so a widening pays for itself.
 */
export const WIDEN_ON_REFUSAL = { ratio: 0.01, minMs: 10, maxRatio: 0.1 } as const;

export class RateGate {
  /** Even spacing between starts (ms). */
  private spacingMs: number;
  /** The window the gate enforces now: `windowMs`, widened by the refusals met (`refused`). */
  private enforcedMs: number;
  private readonly queue: Job[] = [];
  private queueHead = 0;
  private running = 0;
  private starts: number[] = [];
  private startsHead = 0;
  /** The grid: when the next request is due if every one left on time. */
  private due = 0;
  private catchUpMs: number;
  private holdUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private pumping = false;
  private stopped = false;

  constructor(
    readonly perWindow: number,
    readonly windowMs: number,
    readonly maxConcurrent: number,
  ) {
    if (!(perWindow > 0) || !(windowMs > 0)) throw new Error(`a rate gate needs a positive budget and window, got ${perWindow} per ${windowMs} ms`);
    this.spacingMs = windowMs / perWindow;
    this.enforcedMs = windowMs;
    this.catchUpMs = catchUpFor(this.spacingMs);
  }

  /** The window the gate enforces now (ms): `windowMs` plus what refusals added. */
  get enforcedWindowMs(): number {
    return this.enforcedMs;
  }

  /** The server refused a request as too many (429): see `WIDEN_ON_REFUSAL`. */
  refused(): void {
    const max = this.windowMs * (1 + WIDEN_ON_REFUSAL.maxRatio);
    this.enforcedMs = Math.min(max, this.enforcedMs + Math.max(this.windowMs * WIDEN_ON_REFUSAL.ratio, WIDEN_ON_REFUSAL.minMs));
    this.spacingMs = this.enforcedMs / this.perWindow;
    this.catchUpMs = catchUpFor(this.spacingMs);
  }

  /** `perWindow` per `windowMs` as a server counts it, with the safety margin added to the enforced window. */
  static withMargin(perWindow: number, windowMs: number, maxConcurrent: number, margin: { ratio: number; minMs: number } = DEFAULT_WINDOW_MARGIN): RateGate {
    return new RateGate(perWindow, windowMs + Math.max(windowMs * margin.ratio, margin.minMs), maxConcurrent);
  }

  static perMinute(rpm: number, maxConcurrent = 4): RateGate {
    return RateGate.withMargin(rpm, 60_000, maxConcurrent);
  }

  static perSecond(rps: number, maxConcurrent = 4): RateGate {
    return RateGate.withMargin(rps, 1_000, maxConcurrent);
  }

  schedule<T>(fn: () => Promise<T>): Promise<T> {
    if (this.stopped) return Promise.reject(new Error('the rate gate is stopped'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject, queuedAt: Date.now() });
      this.pump();
    });
  }

  /** The server said "not now": stop starting requests until then (a later, longer pause extends it). */
  pauseFor(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.holdUntil) return;
    this.holdUntil = until;
    // Timers set before the pause would wake too early; the pump sets one for the end of the pause.
    this.clearTimer();
    this.pump();
  }

  /** Requests waiting for their turn (not yet started). */
  get waiting(): number {
    return this.queue.length - this.queueHead;
  }

  /** Start times inside the enforced window ending now (tests and benchmarks read it). */
  inWindow(now = Date.now()): number {
    this.prune(now);
    return this.starts.length - this.startsHead;
  }

  /** Drops the requests still waiting (they reject); requests already started finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    const dropped = this.queue.slice(this.queueHead);
    this.queue.length = 0;
    this.queueHead = 0;
    for (const job of dropped) job.reject(new Error('the rate gate is stopped'));
  }

  /** Starts every request that may start now; otherwise sets one timer for the earliest moment one may. */
  private pump(): void {
    if (this.pumping) return; // a request scheduled from inside a starting one is picked up by the loop below
    this.pumping = true;
    try {
      while (!this.stopped && this.queueHead < this.queue.length && this.running < this.maxConcurrent) {
        const now = Date.now();
        const wait = this.waitMs(now);
        if (wait > 0) {
          this.armTimer(now + wait);
          return;
        }
        const job = this.queue[this.queueHead]!;
        this.queue[this.queueHead++] = undefined as unknown as Job;
        if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
          this.queue.splice(0, this.queueHead);
          this.queueHead = 0;
        }
        // Check and record are one synchronous step: no other start can slip in between.
        this.starts.push(now);
        // On time (or a little late): the next is due one interval after this one was. Later than that, lateness up
        // to the catch-up is made up. A request that arrived after its turn (the gate was idle) is not late: the grid
        // restarts from now, with nothing to make up.
        const turn = Math.max(this.due, job.queuedAt);
        this.due = Math.max(turn + this.spacingMs, now + this.spacingMs - this.catchUpMs);
        this.running++;
        let result: Promise<unknown>;
        try {
          result = Promise.resolve(job.fn());
        } catch (err) {
          result = Promise.reject(err);
        }
        result.then(job.resolve, job.reject).finally(() => {
          this.running--;
          this.pump();
        });
      }
      if (this.queueHead >= this.queue.length) this.clearTimer();
    } finally {
      this.pumping = false;
    }
  }

  /** Ms until a request may start (0: now). */
  private waitMs(now: number): number {
    let wait = this.holdUntil - now;
    // Spacing: the grid.
    wait = Math.max(wait, this.due - now);
    this.prune(now);
    if (this.starts.length - this.startsHead >= this.perWindow) {
      // The window is full: wait for its oldest start to leave it (half-open window (now - windowMs, now]).
      const oldest = this.starts[this.startsHead]!;
      wait = Math.max(wait, oldest + this.enforcedMs - now);
    }
    return wait > 0 ? Math.ceil(wait) : 0;
  }

  private prune(now: number): void {
    while (this.startsHead < this.starts.length && this.starts[this.startsHead]! <= now - this.enforcedMs) this.startsHead++;
    if (this.startsHead > 1024 && this.startsHead * 2 > this.starts.length) {
      this.starts = this.starts.slice(this.startsHead);
      this.startsHead = 0;
    }
  }

  private armTimer(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    // Ref'd on purpose: requests are waiting, and the process must not exit under them.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.pump();
    }, Math.max(1, at - Date.now()));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
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
