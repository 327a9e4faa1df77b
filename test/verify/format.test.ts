import { describe, expect, it } from 'vitest';
import { formatVerify } from '../../src/cli/commands/verify.js';
import type { VerifySummary } from '../../src/verify/verifier.js';

const summary = (over: Partial<VerifySummary> = {}): VerifySummary => ({
  checkedAt: '2030-01-01T00:00:00.000Z',
  lookup: 'get',
  customers: 3,
  outcomes: { match: 3, mismatch: 0, missing: 0, not_checked: 0 },
  ledgerChecked: 3,
  keysExpected: 3,
  keysFound: 3,
  duplicates: 0,
  notInLedger: 0,
  attention: {},
  otherLifetimeModel: 0,
  lifetimeNotExact: 0,
  lifetimeHint: null,
  requests: 6,
  outcome: 'clean',
  ...over,
});

describe('verify output', () => {
  it('names the customers whose lifetime cannot be exact, apart from the differences in Rivo', () => {
    const text = formatVerify(summary({ lifetimeNotExact: 2 }), []);
    expect(text).toContain("Lifetime cannot be exact for 2 customers (the lifetime model cannot reach the plan's target; Rivo shows the best reachable)");
    expect(text).toContain('Every checked customer matches');
    expect(formatVerify(summary(), [])).not.toContain('cannot be exact');
  });
});
