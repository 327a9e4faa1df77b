import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../../../src/load/policy/budget.js';
import { afterRound, type RoundFacts } from '../../../src/load/policy/rounds.js';

const pause = { baseDelayMs: 500, maxDelayMs: 30_000 };
const facts = (over: Partial<RoundFacts> = {}): RoundFacts => ({ units: 0, settled: 0, leftToSettle: () => 0, failed: false, progressed: false, ...over });
const mid = () => 0.5; // jitter in the middle: exp/2 + exp/4

describe('afterRound: what follows a round', () => {
  it('stops when the round did nothing and nothing is left to settle', () => {
    expect(afterRound(facts(), 0, pause, mid)).toEqual({ stop: true });
  });

  it('an idle round with customers still to settle goes on only if it had failures', () => {
    expect(afterRound(facts({ leftToSettle: () => 2 }), 0, pause, mid)).toEqual({ stop: true });
    expect(afterRound(facts({ leftToSettle: () => 2, failed: true }), 0, pause, mid)).toMatchObject({ stop: false });
  });

  it('asks what is left to settle only after an idle round', () => {
    let asked = 0;
    afterRound(facts({ units: 3, leftToSettle: () => ++asked }), 0, pause, mid);
    expect(asked).toBe(0);
  });

  it('a round without failures goes on without a pause and resets the backoff', () => {
    expect(afterRound(facts({ units: 4, progressed: true }), 3, pause, mid)).toEqual({ stop: false, pauseMs: 0, failedRounds: 0 });
  });

  it('failures while still progressing: the base pause, the backoff reset', () => {
    expect(afterRound(facts({ units: 4, failed: true, progressed: true }), 3, pause, mid)).toEqual({ stop: false, pauseMs: 500, failedRounds: 0 });
  });

  it('failures without progress: capped exponential backoff with jitter, one step per such round', () => {
    const stuck = facts({ units: 1, failed: true });
    expect(afterRound(stuck, 0, pause, mid)).toEqual({ stop: false, pauseMs: 375, failedRounds: 1 });
    expect(afterRound(stuck, 3, pause, mid)).toEqual({ stop: false, pauseMs: 3000, failedRounds: 4 });
    expect(afterRound(stuck, 20, pause, () => 1)).toEqual({ stop: false, pauseMs: 30_000, failedRounds: 21 });
  });
});

describe('RetryBudget', () => {
  it('spends a customer\'s budget at maxAttempts failures, says so once, keeps the last error', () => {
    const b = new RetryBudget(2);
    expect(b.charge('a', 'first')).toBeNull();
    expect(b.exhausted('a')).toBe(false);
    expect(b.charge('a', 'second')).toBe(2);
    expect(b.charge('a', 'third')).toBeNull();
    expect(b.exhausted('a')).toBe(true);
    expect(b.exhausted('b')).toBe(false);
    expect(b.exhaustedList()).toEqual([{ customerKey: 'a', lastError: 'third' }]);
    expect(b.charged).toBe(3);
  });
});
