/**
 * One per outside system: every request to that system goes through `schedule`, so the budget is shared by list
 * pages, single fetches and writes alike. Three rules decide when a request may start:
 *  - spacing: requests are spread evenly, one per `windowMs / perWindow`, on a fixed grid: a timer that fires a
 *    few ms late does not push every later request back (lateness up to `CATCH_UP` is made up);
 *  - a hard check against the server's count: at most `perWindow` requests in any sliding window of `windowMs` *as
 *    the server stamps them*. We never see its stamps, only bounds on them: a request is stamped no earlier than it
 *    left, and no later than its answer came back. So a request holds its place in the window from its start until
 *    `windowMs` after its answer (see `DEFAULT_WINDOW_MARGIN` for one that fails without an answer). Spacing alone
 *    keeps the window in normal operation; after an event-loop stall (a large page parsed, a slow commit) requests
 *    that came due together would otherwise leave in a burst, and this turns the burst back into the budget;
 *  - the server's "not now" (`pauseFor`): nothing starts until then, requests already waiting included.
 * and at most `maxConcurrent` requests are open at once.
 *
 * While requests wait, the gate holds a timer that keeps the process alive: a run waiting out a 429 must not end
 * because nothing else is scheduled.
 */

/**
 * How late after it failed without an answer (a reset, a timeout) the server may still stamp a request: 1 % of the
 * window, at least 30 ms. An answer bounds the stamp exactly, since it cannot come before the server counted the
 * request; a failure without one does not (the request may still be on its way).
 *
 * Until issue 13's round 7 the margin was added to every request's start instead: a request held its place until
 * a window and 30 ms after it left. That cost 3 % of the budget at any rate, and was still a guess: the sandbox, on
 * the same two cores as the tool, answers in 11 ms (median) but one request in a few thousand in 45 ms when its event
 * loop is busy, and some runs met a 429 (200/s, 20,000 customers) with 30 ms. Held until its answer, a request costs
 * the gate only its round trip, and the server's count is kept whatever its clock.
 */
export const DEFAULT_WINDOW_MARGIN = { ratio: 0.01, minMs: 30 } as const;

/**
 * Lateness of a start (a late timer, a busy event loop) that the spacing makes up rather than carries forward:
 * `CATCH_UP.starts` intervals' worth, but never under `minMs` nor over `maxMs`.
 *
 * Never under 5 ms (unless that is more than 4 starts): timers fire in whole milliseconds and a busy loop fires them
 * later still. At 1,000/s (one start per 1.03 ms) a catch-up of a fraction of the interval lost about a tenth of the
 * budget on an idle machine (888 of 980 starts a second; with 5 ms: 978).
 * Up to 20 ms: at 200/s the loader's event loop stalls for 5–20 ms hundreds of times a run (a commit, a page of JSON,
 * a collection); making up only 5 ms of each lost ~3 % of the budget (190 of 196 starts a second).
 * But no more than 4 starts: what is made up leaves together, and a server handles a burst one request after another,
 * stamping the first ones late. At 1,000/s a 20 ms catch-up (20 starts at once) had the sandbox count 1,001 in a
 * second and refuse one; bursts of 5 stayed inside (955 at most).
 *
 * What bounds the budget is the sliding window (each request in it from its start until a window after its answer),
 * never the spacing: made-up starts only use what the window has left.
 */
export const CATCH_UP = { starts: 4, minMs: 5, maxMs: 20 } as const;

// Half an interval over the starts made up, so a grid that fell behind by exactly that much does not make up one more.
const catchUpFor = (spacingMs: number) => Math.min(CATCH_UP.maxMs, Math.max(CATCH_UP.minMs, CATCH_UP.starts * spacingMs), (CATCH_UP.starts + 0.5) * spacingMs);

interface Job {
  fn: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  /** When it was scheduled: a start is late only by what it waited past its turn (see `pump`). */
  queuedAt: number;
}

/**
 * A 429 although the gate kept its window says the server's count saw more than the gate did: its window is longer
 * than ours, or its clock is not ours. Each one widens the window the gate keeps by 1 % of it (at least 10 ms), up to
 * 10 % in all: a run that meets them slows by a percent at a time instead of being refused (and held a second) again
 * and again. A 429 costs a pause of about a second, so a widening pays for itself.
 */
export const WIDEN_ON_REFUSAL = { ratio: 0.01, minMs: 10, maxRatio: 0.1 } as const;

/**
 * Whether a request that failed was answered by the server (an HTTP status came back: the server stamped it before
 * that). A request that failed without an answer (a reset, a timeout) may still be counted later: it keeps its place
 * in the window for the whole margin.
 */
const wasAnswered = (err: unknown): boolean => typeof (err as { status?: unknown } | null)?.status === 'number';

export class RateGate {
  /** Even spacing between starts (ms). */
  private spacingMs: number;
  /** The server's window as the gate keeps it now: `windowMs`, widened by the refusals met (`refused`). */
  private keptMs: number;
  private readonly queue: Job[] = [];
  private queueHead = 0;
  private running = 0;
  /**
   * The requests that may still be in the server's window, in the order they started: `slotEnds[i]` is the latest the
   * server can have stamped request `slotBase + i` (its answer; infinity while it is open). It leaves the window
   * `keptMs` after that.
   */
  private slotEnds: number[] = [];
  private slotHead = 0;
  private slotBase = 0;
  /** The grid: when the next request is due if every one left on time. */
  private due = 0;
  private catchUpMs: number;
  private holdUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private pumping = false;
  private stopped = false;

  /**
   * `perWindow` requests per `windowMs` as the server counts them; `marginMs`: how late after a failure without an
   * answer the server may still stamp that request (`DEFAULT_WINDOW_MARGIN`).
   */
  constructor(
    readonly perWindow: number,
    readonly windowMs: number,
    readonly maxConcurrent: number,
    readonly marginMs = 0,
  ) {
    if (!(perWindow > 0) || !(windowMs > 0)) throw new Error(`a rate gate needs a positive budget and window, got ${perWindow} per ${windowMs} ms`);
    if (!(marginMs >= 0)) throw new Error(`a rate gate's margin must be 0 or more, got ${marginMs} ms`);
    this.keptMs = windowMs;
    this.spacingMs = windowMs / perWindow;
    this.catchUpMs = catchUpFor(this.spacingMs);
  }

  /** How long after its answer a request holds its place in the window (ms): `windowMs` plus what refusals added. */
  get keptWindowMs(): number {
    return this.keptMs;
  }

  /** The server refused a request as too many (429): see `WIDEN_ON_REFUSAL`. */
  refused(): void {
    const max = this.windowMs * (1 + WIDEN_ON_REFUSAL.maxRatio);
    this.keptMs = Math.min(max, this.keptMs + Math.max(this.windowMs * WIDEN_ON_REFUSAL.ratio, WIDEN_ON_REFUSAL.minMs));
    this.spacingMs = this.keptMs / this.perWindow;
    this.catchUpMs = catchUpFor(this.spacingMs);
  }

  /** `perWindow` per `windowMs` as a server counts it, with the margin for requests that fail without an answer. */
  static withMargin(perWindow: number, windowMs: number, maxConcurrent: number, margin: { ratio: number; minMs: number } = DEFAULT_WINDOW_MARGIN): RateGate {
    return new RateGate(perWindow, windowMs, maxConcurrent, Math.max(windowMs * margin.ratio, margin.minMs));
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

  /** Requests that may still be in the server's window now (tests and benchmarks read it). */
  inWindow(now = Date.now()): number {
    this.prune(now);
    let live = 0;
    for (let i = this.slotHead; i < this.slotEnds.length; i++) if (this.slotEnds[i]! > now - this.keptMs) live++;
    return live;
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
          if (Number.isFinite(wait)) this.armTimer(now + wait);
          return;
        }
        const job = this.queue[this.queueHead]!;
        this.queue[this.queueHead++] = undefined as unknown as Job;
        if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
          this.queue.splice(0, this.queueHead);
          this.queueHead = 0;
        }
        // Check and record are one synchronous step: no other start can slip in between.
        const slot = this.slotBase + this.slotEnds.length;
        this.slotEnds.push(Number.POSITIVE_INFINITY);
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
        result.then(
          (value) => {
            this.ended(slot, 0);
            job.resolve(value);
          },
          (err: unknown) => {
            this.ended(slot, wasAnswered(err) ? 0 : this.marginMs);
            job.reject(err);
          },
        ).finally(() => {
          this.running--;
          this.pump();
        });
      }
      if (this.queueHead >= this.queue.length) this.clearTimer();
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Request `slot` ended: the server stamped it by now (`afterMs` 0: it answered), or may still within `afterMs` (it
   * failed without an answer). It leaves the window `keptMs` after that.
   */
  private ended(slot: number, afterMs: number): void {
    const i = slot - this.slotBase;
    if (i < this.slotHead || i >= this.slotEnds.length) return; // already out of the window
    this.slotEnds[i] = Date.now() + afterMs;
  }

  /** Ms until a request may start (0: now). */
  private waitMs(now: number): number {
    let wait = this.holdUntil - now;
    // Spacing: the grid.
    wait = Math.max(wait, this.due - now);
    this.prune(now);
    if (this.slotEnds.length - this.slotHead >= this.perWindow) {
      // Possibly full: count the requests still in it (half-open window (now - keptMs, now]). If it is full, wait for
      // enough of them to leave that one more fits: the first to leave, unless a widening brought back more.
      const gone = now - this.keptMs;
      let live = 0;
      let first = Number.POSITIVE_INFINITY;
      for (let i = this.slotHead; i < this.slotEnds.length; i++) {
        const end = this.slotEnds[i]!;
        if (end > gone) {
          live++;
          if (end < first) first = end;
        }
      }
      if (live > this.perWindow) {
        const ends = this.slotEnds.slice(this.slotHead).filter((end) => end > gone).sort((x, y) => x - y);
        first = ends[live - this.perWindow]!;
      }
      // Full of open requests: the next answer pumps again (no timer could know when).
      if (live >= this.perWindow) wait = Math.max(wait, first + this.keptMs - now);
    }
    return wait > 0 ? Math.ceil(wait) : 0; // infinite while the window is full of open requests
  }

  /**
   * Forgets the oldest requests while they are out of the window. One still open holds the ones after it (they are
   * skipped when counted) until it ends.
   */
  private prune(now: number): void {
    const gone = now - this.keptMs;
    while (this.slotHead < this.slotEnds.length && this.slotEnds[this.slotHead]! <= gone) this.slotHead++;
    if (this.slotHead > 1024 && this.slotHead * 2 > this.slotEnds.length) {
      this.slotEnds = this.slotEnds.slice(this.slotHead);
      this.slotBase += this.slotHead;
      this.slotHead = 0;
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
