import { backoffDelay } from '../../http/retry.js';

/**
 * What follows a round of settle-and-send (pure; the runner sleeps and loops). A round ends the run when it neither
 * sent nor settled anything and nothing is left to settle; one that did nothing and had no failure cannot make the
 * next one different, so it ends the run too. Otherwise another round follows, after a pause only when the round had
 * failures: capped exponential backoff with jitter while rounds stop getting anywhere, the base pause while they still
 * make progress (a flaky Rivo that still takes most writes is met with a short pause, not one that doubles every
 * round).
 */

export interface RoundFacts {
  /** Units the send pass took. */
  units: number;
  /** Customers the settle phase read back. */
  settled: number;
  /** Customers with uncertain writes left to settle (budget not exhausted); asked only after an idle round. */
  leftToSettle: () => number;
  /** The round charged a failure to some customer's budget. */
  failed: boolean;
  /** Events landed or customers settled in this round. */
  progressed: boolean;
}

export interface RoundPause {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** `failedRounds`: consecutive rounds that failed without progress so far (the backoff's exponent). */
export type RoundNext = { stop: true } | { stop: false; pauseMs: number; failedRounds: number };

export function afterRound(r: RoundFacts, failedRounds: number, pause: RoundPause, random: () => number = Math.random): RoundNext {
  const idle = r.units === 0 && r.settled === 0;
  // Customers settled in this round may have been planned again after the pass went by them: one more round.
  if (idle && r.leftToSettle() === 0) return { stop: true };
  if (idle && !r.failed) return { stop: true };
  if (r.failed && !r.progressed) return { stop: false, pauseMs: backoffDelay(failedRounds, { maxRetries: 0, ...pause }, undefined, random), failedRounds: failedRounds + 1 };
  return { stop: false, pauseMs: r.failed ? pause.baseDelayMs : 0, failedRounds: 0 };
}
